"""
How fast evidence search is on PostgreSQL at 100,000 records: `make bench-search` with DATABASE_URL set.

Seeds 20 groups' records (English and Chinese, with citations, protected sources and institution links) into the
database DATABASE_URL names, unless it already holds them, then times EXPLAIN (ANALYZE) of the exact SQL of
`EvidenceRecord.objects.visible_to(user).search(q, user=user)[:50]`, of the page's COUNT, and of what the
evidence list sends for a page (its SearchPaginator ranks the newest 1,000 matches), for a set of English and
Chinese queries, and prints p50/p95 execution times and the indexes each plan used. Two members are measured:
one group's coordinator (about 15,000 visible records) and a member of two groups with which every other group
shared its verified records (about 50,000: issue 20's case).

Use an empty database (`createdb bench`); one holding other evidence records is refused rather than touched.
Results are in bench/README.md.
"""

import argparse
import json
import math
import os
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GROUPS = 20
SOURCES_PER_GROUP = 500
BENCH_PREFIX = "bench-"

# (label, query): single words, two words, Chinese of two and four characters, rare and common terms.
QUERIES = [
    ("en common word", "emotion"),
    ("en word", "classroom"),
    ("en rare word", "polygraph"),
    ("en two words", "attention classroom"),
    ("en two letters", "AI"),
    ("en institution", "hikvision"),
    ("zh 2 chars common", "课堂"),
    ("zh 2 chars rare", "测谎"),
    ("zh 4 chars common", "情绪识别"),
    ("zh 4 chars rare", "心理画像"),
    ("zh institution", "海康威视"),
    ("en + zh", "Hangzhou 课堂"),
]


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings
    from django.db import connection

    django.setup()
    settings.DEBUG = False  # do not keep every seeding query in memory
    if connection.vendor != "postgresql":
        fail("bench/search.py measures PostgreSQL: set DATABASE_URL=postgres://user@host:port/dbname, naming an "
             "empty database (see bench/README.md).")


#
# Seed data
#

CITIES = [("Hangzhou", "杭州"), ("Shenzhen", "深圳"), ("Beijing", "北京"), ("Shanghai", "上海"), ("Chongqing", "重庆"),
          ("Urumqi", "乌鲁木齐"), ("Guangzhou", "广州"), ("Wuhan", "武汉"), ("Chengdu", "成都"), ("Nanjing", "南京"),
          ("Xi'an", "西安"), ("Kashgar", "喀什"), ("Suzhou", "苏州"), ("Tianjin", "天津"), ("Harbin", "哈尔滨"),
          ("Kunming", "昆明"), ("Hefei", "合肥"), ("Jinan", "济南"), ("Lanzhou", "兰州"), ("Xiamen", "厦门")]
SETTINGS = [("classroom", "课堂"), ("school", "学校"), ("prison", "监狱"), ("police station", "派出所"),
            ("interrogation room", "审讯室"), ("border checkpoint", "边境口岸"), ("airport", "机场"),
            ("subway station", "地铁站"), ("bus fleet", "公交车队"), ("kindergarten", "幼儿园"),
            ("university campus", "大学校园"), ("hospital", "医院"), ("bank branch", "银行网点"),
            ("shopping mall", "商场"), ("factory floor", "工厂车间"), ("call centre", "呼叫中心"),
            ("detention centre", "看守所"), ("highway", "高速公路"), ("courtroom", "法庭"), ("care home", "养老院")]
PRODUCTS = [("emotion recognition cameras", "情绪识别摄像头"), ("micro-expression analysis software", "微表情分析软件"),
            ("attention monitoring system", "注意力监测系统"), ("driver fatigue monitoring", "驾驶员疲劳监测"),
            ("voice stress analysis", "语音压力分析"), ("affective computing platform", "情感计算平台"),
            ("smart classroom behaviour management system", "智慧课堂行为管理系统"),
            ("AI interrogation assistant", "智能审讯辅助系统"), ("gait and emotion analytics", "步态与情绪分析"),
            ("facial expression scoring tool", "面部表情评分工具"), ("emotion recognition system", "情绪识别系统")]
FEELINGS = [("anger", "愤怒"), ("anxiety", "焦虑"), ("fear", "恐惧"), ("happiness", "快乐"), ("sadness", "悲伤"),
            ("stress", "压力"), ("fatigue", "疲劳"), ("attention", "注意力"), ("confusion", "困惑"),
            ("hostility", "敌意")]
MEDIA = [("Xinhua", "新华社"), ("The Paper", "澎湃新闻"), ("Caixin", "财新"), ("Southern Weekly", "南方周末"),
         ("People's Daily", "人民日报"), ("local media", "当地媒体"), ("a company blog", "公司博客")]
AUTHORITIES = [("public security bureau", "公安局"), ("education bureau", "教育局"), ("justice bureau", "司法局"),
               ("transport bureau", "交通运输局"), ("customs office", "海关")]
VENDORS = [("Hikvision", "海康威视"), ("Dahua", "大华股份"), ("SenseTime", "商汤科技"), ("Megvii", "旷视科技"),
           ("iFlytek", "科大讯飞"), ("Hanwang", "汉王科技"), ("Taigusys", "太古计算机"), ("EmoKit", "翼开科技"),
           ("Alpha Hawkeye", "阿尔法鹰眼"), ("ZNV Liwei", "中兴力维"), ("CloudWalk", "云从科技"),
           ("Yitu", "依图科技"), ("Meiya Pico", "美亚柏科"), ("Uniview", "宇视科技")]
PREFIXES = [("Hua", "华"), ("Zhong", "中"), ("Xin", "新"), ("Tian", "天"), ("Jing", "京"), ("Rui", "睿"), ("Bo", "博"),
            ("Kang", "康"), ("Shen", "深"), ("Ling", "灵")]
SUFFIXES = [("vision", "视"), ("tech", "科技"), ("mind", "智能"), ("data", "数据"), ("guard", "安防"),
            ("sense", "感知"), ("cloud", "云"), ("eye", "眼"), ("AI", "人工智能"), ("link", "联")]

EN_SENTENCES = [
    (1.0, "{media} reported that {n} {setting}s in {city} use {product} supplied by {vendor}."),
    (1.0, "{vendor} claims its {product} detects {feeling} from facial movements in real time."),
    (0.8, "Procurement documents from the {city} {authority} list {product} worth {amount} million yuan."),
    (0.6, "Researchers question the scientific basis of inferring {feeling} from faces."),
    (0.6, "The {authority} described the {setting} deployment as part of a smart city programme."),
    (0.5, "Teachers receive alerts when the system scores a student's attention as low."),
    (0.4, "The system flags people showing {feeling} for further questioning."),
    (0.3, "Critics say the emotion recognition pilot violates the right to privacy."),
    (0.004, "Officials compared the tool to a polygraph."),
]
ZH_SENTENCES = [
    (1.0, "据{media_zh}报道，{city_zh}{setting_zh}已安装{vendor_zh}的{product_zh}，用于识别{feeling_zh}。"),
    (1.0, "{vendor_zh}称其{product_zh}能够实时分析{feeling_zh}。"),
    (0.8, "采购文件显示，{city_zh}{authority_zh}以{amount}万元采购了{product_zh}。"),
    (0.6, "学者质疑通过面部表情推断{feeling_zh}的科学依据。"),
    (0.5, "该系统可以识别学生在课堂上的情绪并提醒老师。"),
    (0.4, "系统会标记表现出{feeling_zh}的人员以便进一步询问。"),
    (0.3, "批评者认为情绪识别试点侵犯了隐私权。"),
    (0.004, "警方将其用于心理画像。"),
    (0.004, "该产品被宣传为新一代测谎工具。"),
]


def _sentence(rng, templates, values):
    weights = [w for w, _ in templates]
    return rng.choices([t for _, t in templates], weights)[0].format(**values)


def _values(rng):
    city, setting, product = rng.choice(CITIES), rng.choice(SETTINGS), rng.choice(PRODUCTS)
    feeling, media, authority = rng.choice(FEELINGS), rng.choice(MEDIA), rng.choice(AUTHORITIES)
    vendor = rng.choice(VENDORS)
    return {
        "city": city[0], "city_zh": city[1], "setting": setting[0], "setting_zh": setting[1],
        "product": product[0], "product_zh": product[1], "feeling": feeling[0], "feeling_zh": feeling[1],
        "media": media[0], "media_zh": media[1], "authority": authority[0], "authority_zh": authority[1],
        "vendor": vendor[0], "vendor_zh": vendor[1], "n": rng.randint(2, 60), "amount": rng.randint(1, 90),
    }


def _english(rng):
    v = _values(rng)
    title = rng.choice([
        "{product} {verb} in {city} {setting}s", "{vendor} {product} at {city} {authority}",
        "{city} {setting} {verb} {product}",
    ]).format(verb=rng.choice(["installed", "piloted", "procured", "marketed", "expanded", "withdrawn"]), **v)
    summary = " ".join(_sentence(rng, EN_SENTENCES, _values(rng) | {"city": v["city"]})
                       for _ in range(rng.randint(2, 4)))
    return title[0].upper() + title[1:], summary, v


def _chinese(rng):
    v = _values(rng)
    title = rng.choice(["{city_zh}{setting_zh}{verb}{product_zh}", "{vendor_zh}{product_zh}进入{city_zh}{authority_zh}",
                        "{city_zh}{authority_zh}{verb}{product_zh}"]).format(
        verb=rng.choice(["部署", "试点", "采购", "推广", "停用"]), **v)
    summary = "".join(_sentence(rng, ZH_SENTENCES, _values(rng) | {"city_zh": v["city_zh"]})
                      for _ in range(rng.randint(2, 4)))
    return title, summary, v


def seed(records):
    from django.db import connection, transaction

    from accounts.models import Group, Membership, Role, User
    from evidence.models import Citation, EvidenceRecord, Institution, RecordInstitution, Source

    rng = random.Random(2026)
    started = time.monotonic()
    with transaction.atomic():
        groups = Group.objects.bulk_create(
            Group(name=f"Bench group {i:02}", slug=f"{BENCH_PREFIX}{i:02}") for i in range(GROUPS))
        users = User.objects.bulk_create(User(username=f"{g.slug}-coordinator") for g in groups)
        Membership.objects.bulk_create(Membership(user=u, group=g, role=Role.COORDINATOR)
                                       for u, g in zip(users, groups, strict=True))

        names = [(en, zh, [en.lower()]) for en, zh in VENDORS]
        names += [(f"{p}{s}", f"{pz}{sz}", [f"{p} {s}"]) for p, pz in PREFIXES for s, sz in SUFFIXES]
        institutions = []
        for en, zh, aliases in names:
            institution = Institution(slug=f"{BENCH_PREFIX}{en.lower().replace(' ', '-')}", name=en, name_zh=zh,
                                      aliases=aliases, kind="company", country="China")
            institution.search_text = institution.build_search_text()
            institutions.append(institution)
        institutions = Institution.objects.bulk_create(institutions)
        vendor_weights = [20 if i < len(VENDORS) else 1 for i in range(len(institutions))]

        sources = []
        for group in groups:
            for _ in range(SOURCES_PER_GROUP):
                v = _values(rng)
                protected = rng.random() < 0.08
                if protected:
                    title = rng.choice(["Interview notes with a former teacher", "Whistleblower memo",
                                        "线人笔记", "内部会议记录"])
                elif rng.random() < 0.5:
                    title = f"{v['media']}: {v['product']} in {v['city']}"
                else:
                    title = f"{v['media_zh']}：{v['city_zh']}{v['setting_zh']}引入{v['product_zh']}"
                sources.append(Source(group=group, title=title, kind="news", protected=protected,
                                      url=f"https://news.example.org/{group.slug}/{len(sources)}"))
        sources = Source.objects.bulk_create(sources, batch_size=5000)
        sources_of = {g.pk: [s for s in sources if s.group_id == g.pk] for g in groups}
        print(f"  groups, institutions, {len(sources)} sources: {time.monotonic() - started:.0f} s", flush=True)

        batch = 5000
        for start in range(0, records, batch):
            rows, extras = [], []
            for i in range(start, min(start + batch, records)):
                group = groups[i % GROUPS]
                chinese = rng.random() < 0.45
                title, summary, v = (_chinese if chinese else _english)(rng)
                status = rng.choices(["verified", "submitted", "draft", "rejected"], [45, 15, 35, 5])[0]
                protected = rng.random() < 0.03
                everyone = status == "verified" and not protected and rng.random() < 0.25
                rows.append(EvidenceRecord(group=group, title=title[:300], summary=summary, kind="deployment",
                                           country="China", place=v["city"], language="zh" if chinese else "en",
                                           status=status, protected=protected, shared_with_everyone=everyone))
                extras.append((chinese, status == "verified" and not protected and not everyone
                               and rng.random() < 0.1))
            rows = EvidenceRecord.objects.bulk_create(rows)
            citations, links, shares = [], [], []
            for record, (chinese, share) in zip(rows, extras, strict=True):
                for _ in range(rng.choices([1, 2, 3], [3, 4, 3])[0]):
                    v = _values(rng)
                    if chinese:
                        excerpt = _sentence(rng, ZH_SENTENCES, v)
                        citations.append(Citation(record=record, source=rng.choice(sources_of[record.group_id]),
                                                  excerpt=excerpt, excerpt_language="zh",
                                                  translation=_sentence(rng, EN_SENTENCES, v), translator="bench"))
                    else:
                        citations.append(Citation(record=record, source=rng.choice(sources_of[record.group_id]),
                                                  excerpt=_sentence(rng, EN_SENTENCES, v), excerpt_language="en"))
                for institution in set(rng.choices(institutions, vendor_weights, k=rng.choice([1, 1, 2]))):
                    links.append(RecordInstitution(record=record, institution=institution, role="vendor"))
                if share:
                    other = groups[(groups.index(record.group) + rng.randint(1, GROUPS - 1)) % GROUPS]
                    shares.append(EvidenceRecord.shared_with.through(evidencerecord_id=record.pk, group_id=other.pk))
            Citation.objects.bulk_create(citations)
            RecordInstitution.objects.bulk_create(links)
            EvidenceRecord.shared_with.through.objects.bulk_create(shares)
            done = start + len(rows)
            if done % 20000 == 0 or done == records:
                print(f"  {done} records: {time.monotonic() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Seeded {records} records in {time.monotonic() - started:.0f} s (triggers on, VACUUM ANALYZE included).")


def ensure_seeded(records, *, reseed):
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from accounts.models import Group, User
    from evidence.models import EvidenceRecord, Institution

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        fail(f"Cannot connect to DATABASE_URL: {exc}")
    call_command("migrate", verbosity=0)
    if (Group.objects.exclude(slug__startswith=BENCH_PREFIX).exists()
            or User.objects.exclude(username__startswith=BENCH_PREFIX).exists()
            or Institution.objects.exclude(slug__startswith=BENCH_PREFIX).exists()):
        fail("This database holds data the benchmark did not write; give it an empty one (createdb bench).")
    have = EvidenceRecord.objects.count()
    if have == records and not reseed:
        print(f"Reusing the {have} records already seeded (--reseed to start again).")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    if have or Group.objects.exists():
        print("Removing the previous benchmark data…", flush=True)
        with connection.cursor() as cursor:  # all of it is the benchmark's, checked above
            cursor.execute("TRUNCATE evidence_evidencerecord, evidence_source, evidence_institution, accounts_group, "
                           "accounts_user CASCADE")
    print(f"Seeding {records} records in {GROUPS} groups…", flush=True)
    seed(records)


WIDE_MEMBER = f"{BENCH_PREFIX}wide-member"
WIDE_GROUPS = (f"{BENCH_PREFIX}01", f"{BENCH_PREFIX}02")


def ensure_wide_member():
    """
    A member of two groups (bench-01 and bench-02) with which every other group shared each of its verified,
    unprotected records: about 50,000 visible records, the issue's "member who sees 50,000". Added once, after
    the seed, and only by this script (bench/load.py's clients stay as they were).
    """
    from django.db import connection, transaction

    from accounts.models import Group, Membership, Role, User
    from evidence.models import EvidenceRecord

    if User.objects.filter(username=WIDE_MEMBER).exists():
        return
    started = time.monotonic()
    print("Sharing every group's verified records with two groups for the wide member…", flush=True)
    groups = list(Group.objects.filter(slug__in=WIDE_GROUPS).order_by("slug"))
    with transaction.atomic():
        user = User.objects.create(username=WIDE_MEMBER)
        Membership.objects.bulk_create(Membership(user=user, group=g, role=Role.VOLUNTEER) for g in groups)
        through = EvidenceRecord.shared_with.through
        already = set(through.objects.filter(group=groups[0]).values_list("evidencerecord_id", flat=True))
        shareable = (EvidenceRecord.objects.filter(status="verified", protected=False, shared_with_everyone=False)
                     .exclude(group__in=groups).exclude(pk__in=already).values_list("pk", flat=True))
        through.objects.bulk_create((through(evidencerecord_id=pk, group_id=groups[0].pk) for pk in shareable),
                                    batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)


#
# Measuring
#


def _plan_facts(plan):
    """Index names used and whether evidence_evidencerecord was read sequentially, for one EXPLAIN plan."""
    indexes, seq_scans = set(), set()

    def walk(node):
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            seq_scans.add(node.get("Relation Name"))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return indexes, seq_scans


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _sql_of(run):
    """The exact SQL Django sends for `run()`'s last query, as the server received it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        run()
    return context.captured_queries[-1]["sql"]


def _time(cursor, sql, repeat, show_plan):
    """Execution times of `repeat` runs after a first one (returned apart: it also warms the cache)."""
    times, facts = [], (set(), set())
    for _ in range(repeat + 1):
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)  # no parameters: sent as it is
        plan = cursor.fetchone()[0]
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
        times.append(plan["Execution Time"])
        facts = _plan_facts(plan)
    if show_plan:
        print(json.dumps(plan["Plan"], indent=1, ensure_ascii=False))
    return times[0], times[1:], facts


def _pad(text, width):
    # Chinese characters take two columns in a terminal.
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def _list_page_sqls(found):
    """
    What the evidence list sends for page 1 of a search before reading its 50 records: the ids of the newest
    matches and their ranks (SearchPaginator with rank_at_most, issue 20), or, where it falls back, Paginator's.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evidence.search import RANKED_MATCHES, SearchPaginator

    with CaptureQueriesContext(connection) as context:
        SearchPaginator(found, 50, rank_at_most=RANKED_MATCHES).get_page("1")
    return [query["sql"] for query in context.captured_queries[:-1]]  # the last reads the page's records


def _time_all(cursor, sqls, repeat):
    """Execution times of `repeat` runs of the queries one after the other, each run's times added up."""
    runs = [_time(cursor, sql, repeat, False)[1] for sql in sqls]
    return [sum(times) for times in zip(*runs, strict=True)]


def measure(repeat, show_plans, username, who):
    from django.db import connection

    from accounts.models import User
    from evidence.models import EvidenceRecord
    from evidence.search import RANKED_MATCHES

    user = User.objects.get(username=username)
    visible = EvidenceRecord.objects.visible_to(user)
    print(f"\nAs {user.username} ({who}), who sees {visible.count()} of "
          f"{EvidenceRecord.objects.count()} records. Milliseconds of EXPLAIN ANALYZE execution time: the first "
          f"run, then p50/p95 of the {repeat} runs after it. 'list' is what the evidence list sends for page 1 "
          f"before reading its records: the newest {RANKED_MATCHES} matches' ids, then their ranks.\n")
    header = (f"{_pad('query', 18)} {_pad('text', 20)} {'matches':>7} | {'page: first':>11} {'p50':>6} {'p95':>6} |"
              f" {'count: first':>12} {'p50':>6} {'p95':>6} | {'list: p50':>9} {'p95':>6} | search index used")
    print(header)
    print("-" * len(header))
    page_times, count_times, site_times = [], [], []
    with connection.cursor() as cursor:
        for label, text in QUERIES:
            found = visible.search(text, user=user)
            page_sql = _sql_of(lambda found=found: list(found[:50]))
            page_first, page, (indexes, seq_scans) = _time(cursor, page_sql, repeat, show_plans)
            count_first, count, _ = _time(cursor, _sql_of(found.count), repeat, False)
            site = _time_all(cursor, _list_page_sqls(found), repeat)
            page_times += page
            count_times += count
            site_times += site
            used = ", ".join(sorted(i for i in indexes if "search" in i)) or "none"
            if "evidence_evidencerecord" in seq_scans:
                used += " + SEQ SCAN of records"
            print(f"{_pad(label, 18)} {_pad(text, 20)} {found.count():>7} | {page_first:>11.1f} "
                  f"{percentile(page, .5):>6.1f} {percentile(page, .95):>6.1f} | {count_first:>12.1f} "
                  f"{percentile(count, .5):>6.1f} {percentile(count, .95):>6.1f} | {percentile(site, .5):>9.1f} "
                  f"{percentile(site, .95):>6.1f} | {used}", flush=True)
    print("-" * len(header))
    print(f"{_pad('all queries', 18)} {_pad('', 20)} {'':>7} | {'':>11} {percentile(page_times, .5):>6.1f} "
          f"{percentile(page_times, .95):>6.1f} | {'':>12} {percentile(count_times, .5):>6.1f} "
          f"{percentile(count_times, .95):>6.1f} | {percentile(site_times, .5):>9.1f} "
          f"{percentile(site_times, .95):>6.1f} |")


def describe_server():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                       "current_setting('lc_ctype')")
        version, shared_buffers, work_mem, ctype = cursor.fetchone()
    print(f"\n{version}\nshared_buffers={shared_buffers}, work_mem={work_mem}, lc_ctype={ctype}; "
          f"{os.cpu_count()} CPUs, {_memory()} RAM")


def _memory():
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(meminfo.readline().split()[1])
        return f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reseed", action="store_true", help="drop the benchmark's data and seed it again")
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    parser.add_argument("--only", choices=["one-group", "wide"], help="measure only this member")
    args = parser.parse_args()
    setup_django()
    ensure_seeded(args.records, reseed=args.reseed)
    ensure_wide_member()
    if args.only != "wide":
        measure(args.repeat, args.plans, f"{BENCH_PREFIX}00-coordinator", "coordinator of one group")
    if args.only != "one-group":
        measure(args.repeat, args.plans, WIDE_MEMBER,
                "volunteer in two groups with which the others shared their verified records")
    describe_server()


if __name__ == "__main__":
    main()
