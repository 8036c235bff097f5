"""
The site under load: `make bench-load` with DATABASE_URL naming an empty PostgreSQL database.

Migrates and seeds the database (bench/search.py's 20 groups and 100,000 evidence records, plus institutions up to
2,000, sources up to 200,000 and 200 campaigns with their targets; skipped when already there), counts the SQL
queries of each endpoint in-process (Django's test Client) here and on a tiny copy, then starts the production
stack on this machine (gunicorn with 2 workers of 4 threads as in production, Debian's redis-server, a Celery
worker), signs in one coordinator of each group (20 sessions) and drives 20 concurrent clients over the endpoints
with locust (headless, in a child process: bench/load_locustfile.py). Prints requests/second, p50/p95/p99 latency
and errors per endpoint, and the query counts. Results are in bench/README.md.
"""

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench import search

ROOT = Path(__file__).resolve().parent.parent
INSTITUTIONS = 2_000
SOURCES = 200_000
CAMPAIGNS_PER_GROUP = 10
CLIENTS = 20
TARGET_P95_MS = 150
TARGET_FLOOR_MULTIPLE = 2.5
FLOOR = "floor: /api/me/"

# (name, path template): {campaign} is a campaign of the client's group. The searches rotate through words.
EN_WORDS = ["emotion", "classroom", "polygraph", "hikvision", "attention classroom"]
ZH_WORDS = ["情绪识别", "课堂", "测谎", "海康威视"]
ENDPOINTS = [
    # The framework's own floor: a session and a user, no group data. Every other endpoint is judged against it.
    (FLOOR, "/api/me/"),
    ("evidence list, filtered", "/evidence/?status=verified&institution=bench-hikvision"),
    ("evidence search en", "/evidence/?q={en}"),
    ("evidence search zh", "/evidence/?q={zh}"),
    ("institution page", "/institutions/bench-hikvision/"),
    ("campaign dashboard", "/campaigns/{campaign}/"),
    ("api evidence", "/api/evidence/?status=verified"),
    ("api institutions", "/api/institutions/"),
    ("api campaigns", "/api/campaigns/"),
    ("api targets", "/api/targets/"),
]


def say(message):
    print(message, flush=True)


#
# Seeding, on top of bench/search.py's
#


def seed_rest(*, institutions, sources, campaigns_per_group):
    """Institutions, sources and campaigns up to the given numbers; whatever is there already is kept."""
    from django.db import connection, transaction

    from accounts.models import Group, User
    from campaigns.models import Campaign, Interaction, Target, TargetEvidence
    from evidence.models import Institution, RecordInstitution, Source, url_key

    rng = random.Random(8)
    groups = list(Group.objects.order_by("slug"))
    started = time.monotonic()
    with transaction.atomic():
        have = Institution.objects.count()
        if have < institutions:
            rows = []
            for i in range(have, institutions):
                city, city_zh = rng.choice(search.CITIES)
                # A fifth are a group's own (not in the shared directory), as groups add the ones they look into.
                own = groups[i % len(groups)] if i % 5 == 0 else None
                institution = Institution(slug=f"{search.BENCH_PREFIX}inst-{i}", name=f"{city} Vision Systems {i}",
                                          name_zh=f"{city_zh}视觉系统{i}号", aliases=[f"{city} vision {i}"],
                                          kind=rng.choice(["company", "school", "police", "government"]),
                                          country="China", added_by_group=own)
                institution.search_text = institution.build_search_text()
                rows.append(institution)
            Institution.objects.bulk_create(rows, batch_size=2000)
            say(f"  institutions: {have} → {institutions}")
        have = Source.objects.count()
        if have < sources:
            for start in range(have, sources, 10_000):
                rows = []
                for i in range(start, min(start + 10_000, sources)):
                    group = groups[i % len(groups)]
                    url = f"https://archive.example.org/{group.slug}/{i}"
                    rows.append(Source(group=group, title=f"Archived report {i} on emotion recognition", kind="news",
                                       url=url, url_key=url_key(url), language=rng.choice(["en", "zh"]),
                                       protected=rng.random() < 0.05))
                Source.objects.bulk_create(rows)
            say(f"  sources: {have} → {sources} ({time.monotonic() - started:.0f} s)")
        if not Campaign.objects.exists():
            directory = list(Institution.objects.in_directory().values_list("pk", flat=True))
            coordinators = {u.memberships.get().group_id: u for u in
                            User.objects.filter(username__startswith=search.BENCH_PREFIX).prefetch_related(
                                "memberships")}
            campaigns = Campaign.objects.bulk_create(
                Campaign(group=g, title=f"Campaign {n} of {g.name}", goal="Ban emotion recognition in schools.",
                         status=rng.choice(["planning", "active", "active", "paused"]), lead=coordinators[g.pk],
                         created_by=coordinators[g.pk])
                for g in groups for n in range(campaigns_per_group))
            targets = Target.objects.bulk_create(
                Target(campaign=c, institution_id=pk, ask="Stop selling emotion recognition to schools.",
                       status=rng.choice(["identified", "contacted", "in_dialogue", "no_response"]),
                       priority=rng.choice([1, 2, 3]), owner=coordinators[c.group_id], next_step="Write again",
                       next_step_due=None if rng.random() < 0.3 else
                       (time.strftime("%Y-%m-%d", time.gmtime(time.time() + rng.randint(-20, 40) * 86400))))
                for c in campaigns for pk in rng.sample(directory, rng.randint(3, 8)))
            # Each target gets two of its institution's records of the campaign's group, where there are any.
            records = {}
            for record_id, institution_id, group_id in RecordInstitution.objects.values_list(
                    "record_id", "institution_id", "record__group_id"):
                records.setdefault((institution_id, group_id), []).append(record_id)
            TargetEvidence.objects.bulk_create(
                TargetEvidence(target=t, record_id=r, added_by=coordinators[t.campaign.group_id])
                for t in targets for r in rng.sample(records.get((t.institution_id, t.campaign.group_id), []),
                                                     min(2, len(records.get((t.institution_id,
                                                                             t.campaign.group_id), [])))))
            Interaction.objects.bulk_create(
                Interaction(target=t, kind="letter", direction="sent", occurred_on="2026-10-01",
                            summary="We asked them to stop.", created_by=coordinators[t.campaign.group_id])
                for t in targets)
            say(f"  {len(campaigns)} campaigns, {len(targets)} targets ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def ensure_seeded(records, *, reseed, institutions=INSTITUTIONS, sources=SOURCES,
                  campaigns_per_group=CAMPAIGNS_PER_GROUP):
    search.ensure_seeded(records, reseed=reseed)
    seed_rest(institutions=institutions, sources=sources, campaigns_per_group=campaigns_per_group)


def sizes():
    from campaigns.models import Campaign, Target
    from evidence.models import Citation, EvidenceRecord, Institution, Source

    return {model.__name__: model.objects.count()
            for model in (EvidenceRecord, Citation, Source, Institution, Campaign, Target)}


#
# Clients: who signs in and what each asks for
#


def plans(clients):
    """One signed-in session per group's coordinator and the paths that client requests."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from campaigns.models import Campaign

    result = []
    users = User.objects.filter(username__startswith=search.BENCH_PREFIX).order_by("username")[:clients]
    for user in users:
        client = Client()
        client.force_login(user)  # a session row, as the /login/ form would write (no password, axes or 2FA)
        campaign = Campaign.objects.visible_to(user).order_by("pk").first()
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        # This process runs the development settings; gunicorn runs production's, whose session cookie is named
        # __Host-sessionid (config/settings.py). Both names are sent, so either reads the session.
        result.append({"cookie": f"{settings.SESSION_COOKIE_NAME}={key}; __Host-sessionid={key}",
                       "session_key": key, "user": user.username, "campaign": campaign.pk})
    return result


def paths_of(plan, turn=0):
    words = {"en": EN_WORDS[turn % len(EN_WORDS)], "zh": ZH_WORDS[turn % len(ZH_WORDS)],
             "campaign": plan["campaign"]}
    return [(name, template.format(**words)) for name, template in ENDPOINTS]


def signed_in_client(plan):
    """An in-process client carrying the plan's session cookie, as the benchmark's clients send it."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_X_FORWARDED_PROTO="https")  # as behind the TLS proxy, so the secure cookie is sent
    client.cookies[settings.SESSION_COOKIE_NAME] = plan["session_key"]
    return client


class SqlTimer:
    """Times each query precisely (connection.execute_wrapper): CaptureQueriesContext rounds each to a millisecond."""

    def __init__(self):
        self.seconds, self.slowest = 0.0, (0.0, "")

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.seconds += took
            self.slowest = max(self.slowest, (took, sql))


def timed_get(client, path):
    """One request in-process: (whole ms, SQL ms, CPU ms of this process, slowest SQL)."""
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path)
        whole, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if response.status_code != 200:
        search.fail(f"{path} answered {response.status_code} in-process")
    return whole * 1000, timer.seconds * 1000, cpu * 1000, timer.slowest[1]


def count_queries(runs=5):
    """
    SQL queries per request of each endpoint (first word of each search), for the first group's coordinator, and
    the median of `runs` unloaded requests: whole ms, SQL ms, CPU ms (the Python's share: it does not count waiting
    for PostgreSQL, nor for the CPU when the machine is busy, so it is the steadier figure on a shared machine).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = plans(1)[0]
    client = signed_in_client(plan)
    counts, timings = {}, {}
    for name, path in paths_of(plan):
        client.get(path)  # warm: per-process caches (content types, sessions) are not the endpoint's cost
        with CaptureQueriesContext(connection) as context:
            response = client.get(path)
        if response.status_code != 200:
            search.fail(f"{path} answered {response.status_code} in-process")
        counts[name] = len(context.captured_queries)
        measured = [timed_get(client, path) for _ in range(runs)]
        timings[name] = tuple(sorted(run[i] for run in measured)[runs // 2] for i in range(3)) + (
            max(measured, key=lambda run: run[1])[3],)
    return counts, timings


def tiny_query_counts(database_url, records):
    """The same counts on a small copy (a database next to DATABASE_URL's, created if missing), in a child."""
    from django.db import connection

    tiny = database_url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"] + "_tiny"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [connection.settings_dict["NAME"] + "_tiny"])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{connection.settings_dict["NAME"]}_tiny"')
    output = subprocess.run([sys.executable, "-m", "bench.load", "--queries-only", "--records", str(records)],
                            env=os.environ | {"DATABASE_URL": tiny}, cwd=ROOT, capture_output=True, text=True)
    if output.returncode:
        search.fail(f"The tiny run failed:\n{output.stdout}\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def profile(names, runs, html_dir=None):
    """
    Where the time of each named endpoint goes: `runs` requests in-process (after one to warm up) under
    pyinstrument, for the first group's coordinator, printed as a call tree (or written as HTML pages).
    """
    from pyinstrument import Profiler

    plan = plans(1)[0]
    client = signed_in_client(plan)
    chosen = [(name, path) for name, path in paths_of(plan)
              if any(wanted == "all" or wanted.lower() in name.lower() for wanted in names)]
    if not chosen:
        search.fail(f"No endpoint matches {names}; the names are: {', '.join(name for name, _ in ENDPOINTS)}")
    for name, path in chosen:
        client.get(path)
        # A fine interval: a request takes tens of milliseconds, and the default 1 ms would sample it coarsely.
        profiler = Profiler(interval=0.0002)
        with profiler:
            for _ in range(runs):
                response = client.get(path)
                if response.status_code != 200:
                    search.fail(f"{path} answered {response.status_code} in-process")
        say(f"\n=== {name}: {path}, {runs} requests, {profiler.last_session.duration / runs * 1000:.1f} ms each ===")
        if html_dir:
            target = Path(html_dir) / f"{name.replace(' ', '_').replace(':', '').replace(',', '')}.html"
            target.write_text(profiler.output_html())
            say(f"  written to {target}")
        else:
            say(profiler.output_text(unicode=True, color=False, show_all=False))


#
# The stack
#


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """gunicorn (2 workers), redis-server and a Celery worker, in production settings, on free local ports."""

    def __init__(self, database_url, workers, threads):
        self.workers, self.threads = workers, threads
        self.dir = Path(tempfile.mkdtemp(prefix="disentangle-load-"))
        self.port, redis_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "DJANGO_ENV": "production", "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.url, "SECURE_SSL_REDIRECT": "False", "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
            "STATIC_ROOT": str(self.dir / "static"), "MEDIA_ROOT": str(self.dir / "media"),
            "VAR_DIR": str(self.dir), "EMAIL_URL": "consolemail://", "LOG_LEVEL": "WARNING",
        }
        self.redis_port = redis_port
        self.processes = []

    def start(self):
        bin_dir = Path(sys.executable).parent
        redis = shutil.which("redis-server")
        if not redis:
            search.fail("redis-server is needed (apt-get install redis-server).")
        self._spawn("redis", [redis, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"])
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=self.env, cwd=ROOT,
                       check=True)
        self._spawn("celery", [bin_dir / "celery", "-A", "config", "worker", "-l", "warning", "--concurrency", "1"])
        self._spawn("gunicorn", [bin_dir / "gunicorn", "config.wsgi:application", "--bind",
                                 f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                                 "--threads", str(self.threads)])
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                search.fail(f"gunicorn did not answer within 60 s; see {self.dir}/gunicorn.log")
            time.sleep(0.5)

    def warm_up(self, client_plans):
        """Each endpoint a few times first: workers import templates and open connections on their first calls."""
        for plan in client_plans[:4]:
            for _, path in paths_of(plan):
                request = urllib.request.Request(self.url + urllib.parse.quote(path, safe="/?=&"),
                                                 headers={"Cookie": plan["cookie"], "X-Forwarded-Proto": "https"})
                with urllib.request.urlopen(request, timeout=60) as response:
                    if response.status != 200 or response.url != request.full_url:
                        search.fail(f"{path} answered {response.status} ({response.url}) when warming up")

    def _spawn(self, name, command):
        log = open(self.dir / f"{name}.log", "w")  # noqa: SIM115 - kept open for the child's life
        self.processes.append((name, subprocess.Popen([str(c) for c in command], env=self.env, cwd=ROOT,
                                                      stdout=log, stderr=subprocess.STDOUT,
                                                      start_new_session=True)))

    def stop(self):
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_locust(url, client_plans, duration, think):
    with tempfile.TemporaryDirectory(prefix="disentangle-locust-") as folder:
        plan_file = Path(folder) / "plan.json"
        plan_file.write_text(json.dumps({"clients": client_plans, "think": think,
                                         "endpoints": ENDPOINTS, "en": EN_WORDS, "zh": ZH_WORDS}))
        command = [str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "load_locustfile.py"),
                   "--headless", "--users", str(len(client_plans)), "--spawn-rate", str(len(client_plans)),
                   "--run-time", f"{duration}s", "--host", url, "--csv", f"{folder}/run", "--only-summary",
                   "--loglevel", "WARNING"]
        load_before = os.getloadavg()
        result = subprocess.run(command, env=os.environ | {"LOAD_PLAN": str(plan_file)}, cwd=ROOT,
                                capture_output=True, text=True)
        load_after = os.getloadavg()
        stats_file = Path(f"{folder}/run_stats.csv")
        if not stats_file.exists():
            search.fail(f"locust failed:\n{result.stdout}\n{result.stderr}")
        with open(stats_file) as f:
            rows = {row["Name"]: row for row in csv.DictReader(f)}
        failures = Path(f"{folder}/run_failures.csv").read_text()
    return rows, failures, load_before, load_after


#
# Report
#


def report(rows, counts, tiny, duration, think, loads):
    say(f"\n{CLIENTS} clients for {duration} s, think time {think} s between requests; "
        f"load average before {loads[0][0]:.2f}, after {loads[1][0]:.2f} (1 min)\n")
    header = (f"{'endpoint':<26} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
              f"{'÷ floor':>7} {'errors':>6} {'queries':>7} {'tiny':>5}  verdict")
    say(header)
    say("-" * len(header))
    missed = []
    floor = rows.get(FLOOR)
    floor_p95 = float(floor["95%"]) if floor else None
    for name, _ in ENDPOINTS + [("Aggregated", "")]:
        row = rows.get(name)
        if row is None:
            say(f"{name:<26} no requests")
            missed.append(name)
            continue
        p95 = float(row["95%"])
        errors = int(row["Failure Count"])
        multiple = p95 / floor_p95 if floor_p95 else float("inf")
        # Judged against the floor measured in the same run, so a busy machine moves both alike.
        ok = p95 < TARGET_P95_MS and multiple <= TARGET_FLOOR_MULTIPLE and errors == 0
        if name != "Aggregated" and not ok:
            missed.append(name)
        say(f"{'all endpoints' if name == 'Aggregated' else name:<26} {row['Request Count']:>8} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {multiple:>7.1f} "
            f"{errors:>6} {counts.get(name, ''):>7} {tiny.get(name, ''):>5}  {'ok' if ok else 'MISSES'}")
    if not think and "Aggregated" in rows:
        say(f"\nSaturation (no think time): {float(rows['Aggregated']['Requests/s']):.1f} requests/s for the mix")
    return missed


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--tiny-records", type=int, default=400)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds each client waits between requests (0: as fast as it can)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads of each gunicorn worker (1: sync workers)")
    parser.add_argument("--reseed", action="store_true", help="drop the benchmark's data and seed it again")
    parser.add_argument("--queries-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true",
                        help="only the query counts and unloaded timings of the seeded data (no stack, no load)")
    parser.add_argument("--profile", nargs="+", metavar="NAME",
                        help="profile the endpoints whose name contains NAME (or 'all') in-process with pyinstrument, "
                             "on the seeded data, and stop")
    parser.add_argument("--profile-runs", type=int, default=20, help="requests per profiled endpoint")
    parser.add_argument("--runs", type=int, default=5, help="unloaded requests per endpoint, of which the median")
    parser.add_argument("--profile-html", metavar="DIR", help="write each profile as an HTML page into DIR")
    args = parser.parse_args()
    # The sessions are written here and read by gunicorn: both sign them with this key.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    search.setup_django()
    if args.profile or args.in_process:
        from evidence.models import EvidenceRecord

        if not EvidenceRecord.objects.exists():
            search.fail("Seed the database first: run bench/load.py once without --profile / --in-process.")
        if args.profile:
            profile(args.profile, args.profile_runs, args.profile_html)
            return
        load = os.getloadavg()[0]
        counts, timings = count_queries(args.runs)
        say(f"load average {load:.2f} → {os.getloadavg()[0]:.2f}; one request at a time, in-process (median of "
            f"{args.runs}):\n  {'endpoint':<26} queries  whole ms  SQL ms  CPU ms")
        for name, (total, sql, cpu, _) in timings.items():
            say(f"  {name:<26} {counts[name]:>7} {total:9.1f} {sql:7.1f} {cpu:7.1f}")
        return
    if args.queries_only:  # the tiny copy, run by tiny_query_counts: print the counts as the last line
        scale = args.records / 100_000
        ensure_seeded(args.records, reseed=False, institutions=200, sources=10_000,
                      campaigns_per_group=max(1, round(CAMPAIGNS_PER_GROUP * scale)))
        say(json.dumps(count_queries()[0]))
        return
    ensure_seeded(args.records, reseed=args.reseed)
    say(f"Data: {sizes()}")
    counts, timings = count_queries(args.runs)
    say(f"\nOne request at a time, in-process (median of {args.runs}): whole request ms, SQL ms, CPU ms")
    for name, (total, sql, cpu, slowest) in timings.items():
        say(f"  {name:<26} {total:7.1f} {sql:7.1f} {cpu:7.1f}   slowest query: {slowest[:300]}")
    tiny = tiny_query_counts(os.environ["DATABASE_URL"], args.tiny_records)
    client_plans = plans(CLIENTS)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connection.close()
    stack = Stack(os.environ["DATABASE_URL"], args.workers, args.threads)
    try:
        say(f"Starting gunicorn ({args.workers} workers of {args.threads} threads), redis-server and a Celery worker "
            f"in {stack.dir}…")
        stack.start()
        stack.warm_up(client_plans)
        rows, failures, *loads = run_locust(stack.url, client_plans, args.duration, args.think)
    finally:
        stack.stop()
    missed = report(rows, counts, tiny, args.duration, args.think, loads)
    if failures.count("\n") > 1:
        say("\nFailures:\n" + failures)
    say(f"\nqueries: SQL queries per request in-process at this size; tiny: the same at {args.tiny_records} records."
        f"\nPostgreSQL {version}; {os.cpu_count()} CPUs, {search._memory()} RAM.")
    if missed:
        say(f"Missing the target (p95 < {TARGET_P95_MS} ms and ≤ {TARGET_FLOOR_MULTIPLE}× the floor's, no errors): "
            f"{', '.join(missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
