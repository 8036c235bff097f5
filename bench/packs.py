"""
The whole briefing-pack job: a campaign with 40 targets and 1,000 evidence records (2,000 sources, 2,000
citations, half in Chinese) seeded in a throwaway database, then the pack built without attachments in a fresh
process by the task function itself (campaigns.tasks.build_briefing_pack, called in-process, no broker), as the
worker runs it. Prints the wall time and the peak resident memory: the process's own and its largest child's
(the Typst compiles), from resource.getrusage, and the CPU time of both (the wall time on a busy machine says
little). Targets: 1,000 records under 20 s and 500 MB (issue 6); PACK_MAX_RECORDS = 10,000 under 60 s and 600 MB
(issue 15), on a 2-core machine.

    .venv/bin/python -m bench.packs                # --records 1000 --targets 40 --runs 3 --redact/--no-redact
    .venv/bin/python -m bench.packs --records 10000 --runs 1

By default it uses a fresh SQLite database and media folder in a temporary directory, removed afterwards; with
DATABASE_URL set it uses that database, which must be empty (e.g. `createdb packbench`). Results: bench/README.md.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = [("Hangzhou", "杭州"), ("Shenzhen", "深圳"), ("Beijing", "北京"), ("Shanghai", "上海"), ("Urumqi", "乌鲁木齐"),
          ("Chongqing", "重庆"), ("Kashgar", "喀什"), ("Chengdu", "成都"), ("Nanjing", "南京"), ("Wuhan", "武汉")]
SETTINGS = [("classroom", "课堂"), ("prison", "监狱"), ("police station", "派出所"), ("subway station", "地铁站"),
            ("kindergarten", "幼儿园"), ("interrogation room", "审讯室"), ("bank branch", "银行网点")]
PRODUCTS = [("emotion recognition cameras", "情绪识别摄像头"), ("micro-expression analysis", "微表情分析软件"),
            ("attention monitoring", "注意力监测系统"), ("voice stress analysis", "语音压力分析")]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False


def seed(records, targets):
    """The campaign, its targets and evidence; returns the pack's id (queued, not sent anywhere)."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Group, Membership, Role, User
    from campaigns.models import BriefingPack, Campaign, Interaction, StanceChange, Target, TargetEvidence
    from evidence.models import Citation, EvidenceRecord, Institution, RecordInstitution, Source

    call_command("migrate", verbosity=0)
    if EvidenceRecord.objects.exists() or Group.objects.exists():
        sys.exit("The database is not empty; give bench/packs.py an empty one.")
    rnd = random.Random(6)
    group = Group.objects.create(name="Bench Watch", slug="bench-watch")
    alice = User.objects.create(username="bench-alice")
    Membership.objects.create(user=alice, group=group, role=Role.COORDINATOR)
    institutions = Institution.objects.bulk_create(
        Institution(slug=f"bench-institution-{n}", name=f"Bench Institution {n}", name_zh=f"测试机构{n}",
                    kind=rnd.choice(["company", "government", "police"]), search_text=f"bench institution {n}")
        for n in range(max(targets, 60)))
    campaign = Campaign.objects.create(group=group, title="No emotion recognition in schools 学校禁用情绪识别",
                                       goal="Vendors stop selling emotion recognition to schools.", status="active",
                                       public_summary="Emotion recognition has no scientific basis.")
    target_rows = Target.objects.bulk_create(
        Target(campaign=campaign, institution=institutions[n], ask="Stop selling emotion recognition (情绪识别).",
               status="contacted", next_step="Send the follow-up letter") for n in range(targets))
    now = timezone.now()
    StanceChange.objects.bulk_create(
        StanceChange(target=t, from_status="identified", to_status="contacted", changed_by=alice,
                     note="First letter sent.") for t in target_rows)
    Interaction.objects.bulk_create(
        Interaction(target=t, kind="letter", direction="sent", occurred_on=(now - timedelta(days=d)).date(),
                    summary="We asked them to stop. 我们要求停止。", created_by=alice)
        for t in target_rows for d in range(3))
    record_rows, source_rows = [], []
    for n in range(records):
        city, city_zh = rnd.choice(CITIES)
        setting, setting_zh = rnd.choice(SETTINGS)
        product, product_zh = rnd.choice(PRODUCTS)
        chinese = n % 2 == 0
        record_rows.append(EvidenceRecord(
            group=group, kind="deployment", status="verified", protected=n % 25 == 0, created_by=alice,
            title=f"{city_zh}{setting_zh}部署{product_zh}" if chinese else f"{product} in a {setting} in {city}",
            summary=f"Reports describe {product} ({product_zh}) deployed in a {setting} in {city} ({city_zh}).",
            place=city, country="China", event_start=(now - timedelta(days=rnd.randrange(900))).date()))
        for s in range(2):
            source_rows.append(Source(
                group=group, title=f"{city_zh}{setting_zh}引入{product_zh} ({s + 1})" if chinese
                else f"{city} {setting} adopts {product} ({s + 1})", publisher="Example News", protected=s == 1
                and n % 10 == 0, url=f"https://news.example.cn/{n}/{s}/article.html", url_key=f"{n}/{s}"))
    record_rows = EvidenceRecord.objects.bulk_create(record_rows, batch_size=500)
    source_rows = Source.objects.bulk_create(source_rows, batch_size=500)
    Citation.objects.bulk_create(
        (Citation(record=record, source=source_rows[2 * n + s], excerpt=f"该{SETTINGS[n % 7][1]}已部署情绪识别系统。",
                  excerpt_language="zh-hans", translation="The site deployed emotion recognition.",
                  translator="Bench Translator") for n, record in enumerate(record_rows) for s in range(2)),
        batch_size=1000)
    RecordInstitution.objects.bulk_create(
        (RecordInstitution(record=record, institution=institutions[rnd.randrange(len(institutions))], role="vendor")
         for record in record_rows), batch_size=1000)
    per_target = max(1, records // max(targets, 1))
    TargetEvidence.objects.bulk_create(
        (TargetEvidence(target=target_rows[min(n // per_target, targets - 1)], record=record, added_by=alice)
         for n, record in enumerate(record_rows)), batch_size=1000)
    pack = BriefingPack.objects.create(group=group, requested_by=alice, scope="campaign", campaign=campaign,
                                       scope_label=f"Campaign: {campaign.title}")
    return pack.pk


def resident_mb():
    """The process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2)


def build(pack_id, redact):
    """In this (fresh) process: build the pack by calling the task function; print the figures as JSON."""
    from accounts.jobs import Progress
    from campaigns.models import BriefingPack
    from campaigns.tasks import build_briefing_pack

    BriefingPack.objects.filter(pk=pack_id).update(status="queued", attempts=0, redact_protected=redact)
    started = time.perf_counter()
    steps, step = [], Progress.step

    def timed_step(self, name, count=1):
        # When each step ends, from the start, and the process's memory then: where the time and memory go
        # (reading the database is before "start").
        steps.append((name, round(time.perf_counter() - started, 2), resident_mb()))
        return step(self, name, count)

    Progress.step = timed_step
    original_init = Progress.__init__

    def timed_init(self, *args, **kwargs):
        steps.append(("read", round(time.perf_counter() - started, 2), resident_mb()))
        return original_init(self, *args, **kwargs)

    Progress.__init__ = timed_init
    build_briefing_pack(pack_id)
    wall = time.perf_counter() - started
    pack = BriefingPack.objects.get(pk=pack_id)
    own_usage, child_usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own, child = own_usage.ru_maxrss / 1024, child_usage.ru_maxrss / 1024
    cpu = sum(usage.ru_utime + usage.ru_stime for usage in (own_usage, child_usage))
    print(json.dumps({"status": pack.status, "error": pack.error, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      "peak_rss_mb": round(own, 1), "largest_child_mb": round(child, 1),
                      "zip_mb": round((pack.size or 0) / 1024**2, 2), "steps": steps}))


SAMPLE_EVERY = 0.05


def run_sampling_memory(command, env):
    """
    Run the build and sample the resident memory of it and its children together: the figure that must fit the
    machine. getrusage gives each one's own peak, and those peaks need not happen at the same moment.
    """
    import threading

    import psutil

    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def sample():
        process = psutil.Process(child.pid)
        while not done.is_set():
            try:
                total = sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
            except psutil.Error:
                total = 0  # a child exited between listing and reading it; the next sample counts again
            peak[0] = max(peak[0], total)
            done.wait(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr), peak[0] / 1024**2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--targets", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-redact", action="store_true", help="include protected material")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # the child process's part
    args = parser.parse_args()
    if args.build:
        setup_django()
        return build(args.build, not args.no_redact)

    scratch = None
    env = dict(os.environ)
    if "DATABASE_URL" not in env:
        scratch = Path(tempfile.mkdtemp(prefix="bench-packs-"))
        env.update(DATABASE_URL=f"sqlite:///{scratch / 'bench.sqlite3'}", MEDIA_ROOT=str(scratch / "media"),
                   VAR_DIR=str(scratch))
        os.environ.update(env)
    try:
        setup_django()
        started = time.perf_counter()
        pack_id = seed(args.records, args.targets)
        print(f"Seeded {args.targets} targets, {args.records} records, {2 * args.records} sources in "
              f"{time.perf_counter() - started:.1f} s.")
        for run in range(args.runs):
            command = [sys.executable, "-m", "bench.packs", "--build", str(pack_id)]
            if args.no_redact:
                command.append("--no-redact")
            result, job_peak_mb = run_sampling_memory(command, env)
            lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
            if result.returncode or not lines:
                sys.exit(f"The build failed:\n{result.stdout}\n{result.stderr[-3000:]}")
            figures = json.loads(lines[-1])
            if figures["status"] != "ready":
                sys.exit(f"The pack failed: {figures['error']}")
            print(f"run {run + 1}: {figures['wall_s']:.2f} s ({figures['cpu_s']:.2f} s of CPU), "
                  f"peak RSS {figures['peak_rss_mb']:.0f} MB "
                  f"(largest child {figures['largest_child_mb']:.0f} MB; together at most "
                  f"{figures['peak_rss_mb'] + figures['largest_child_mb']:.0f} MB), ZIP {figures['zip_mb']} MB")
            print(f"       the whole job's peak (the process and its children at the same moment, sampled every "
                  f"{SAMPLE_EVERY * 1000:.0f} ms): {job_peak_mb:.0f} MB")
            print("       steps done at (s, resident MB): "
                  + ", ".join(f"{name} {at} s {mb} MB" for name, at, mb in figures["steps"]))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
