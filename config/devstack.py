"""
`make run`: the whole site on one machine with no configuration.

Prepares the database and demo data, then runs an embedded Redis (unless REDIS_URL is set), the two Celery worker
pools (short jobs and long ones, config/celery.py), Celery beat for the periodic jobs and the development web
server, and stops them all on Ctrl-C, one after the other in reverse order: Redis last, once no worker needs it.
Links in e-mails and packs (SITE_URL) name the address served here unless SITE_URL is set.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]


def say(message):
    print(f"[disentangle] {message}", flush=True)


def start_embedded_redis(env):
    port = int(env.get("EMBEDDED_REDIS_PORT", "6390"))
    env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    if embedded_redis.is_answering(port):
        say(f"Redis is already answering on 127.0.0.1:{port}; using it.")
        return None
    var_dir = Path(env.get("VAR_DIR", BASE_DIR / "var"))
    # Its own session, like the other processes: Ctrl-C in the terminal reaches only this script, so Redis is
    # stopped last, not at once while the workers still use it.
    process = embedded_redis.start(port, var_dir / "redis", new_session=True)
    say(f"Redis started on 127.0.0.1:{port} ({process.args[0]}).")
    return process


def stop_all(processes):
    """Stop each process in turn, waiting for one to end before the next: the workers finish with Redis still up."""
    for name, process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in 20 s; killing it.")
            process.kill()
            process.wait()
        say(f"{name} stopped.")


def celery(*arguments):
    return [sys.executable, "-m", "celery", "-A", "config", *arguments]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    options = parser.parse_args(argv)

    env = os.environ.copy()
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Invitations, digests and packs link to the site: to this address, whatever the port.
    env.setdefault("SITE_URL", f"http://{options.host}:{options.port}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", env["DJANGO_SETTINGS_MODULE"])
    from django.conf import settings

    queues = settings.JOB_QUEUES
    redis_process = None if "REDIS_URL" in env else start_embedded_redis(env)

    # Stopped in reverse order of starting: web first, then beat and the workers, Redis last.
    processes = [("redis", redis_process)] if redis_process else []
    interrupted = False

    def on_signal(signum, frame):
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for step in (["migrate", "--no-input"], ["load_report"], ["seed_demo"],
                     ["load_report_evidence", "demo-coalition"]):
            subprocess.run([*MANAGE, *step], env=env, check=True)
        # Own sessions, so that Ctrl-C reaches only this script and the shutdown order is ours.
        # One worker pool per queue (config/celery.py): a long pack never holds up a short check.
        for pool, concurrency in (("short", 2), ("long", 1)):
            worker = subprocess.Popen(
                celery("worker", "--queues", queues[pool], "--hostname", f"{pool}@%h", "--loglevel", "INFO",
                       "--concurrency", str(concurrency)),
                env=env, cwd=BASE_DIR, start_new_session=True,
            )
            processes.append((f"{pool} worker", worker))
        var_dir = Path(env.get("VAR_DIR", BASE_DIR / "var"))
        beat = subprocess.Popen(
            celery("beat", "--loglevel", "INFO", "--schedule", str(var_dir / "celerybeat-schedule")),
            env=env, cwd=BASE_DIR, start_new_session=True,
        )
        processes.append(("beat", beat))
        web = subprocess.Popen(
            [*MANAGE, "runserver", f"{options.host}:{options.port}"], env=env, cwd=BASE_DIR, start_new_session=True
        )
        processes.append(("web", web))
        say(f"Site: http://{options.host}:{options.port}/  (Ctrl-C stops everything)")
        while not interrupted:
            for name, process in processes:
                if process.poll() is not None:
                    say(f"{name} exited with code {process.returncode}; stopping the rest.")
                    interrupted = True
            time.sleep(0.5)
    except subprocess.CalledProcessError as exc:
        say(f"Setup step failed: {' '.join(exc.cmd[2:])}")
        return 1
    finally:
        say("Stopping…")
        stop_all(list(reversed(processes)))
        say("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
