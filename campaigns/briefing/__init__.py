"""
The briefing: the plain, JSON-serialisable dict that the PDF and DOCX renderers of a briefing pack take.

The pack job (campaigns/packs/content.py) builds one from the models, already scoped to what the requesting user may
see and already redacted (protected sources and records left out and only counted in `withheld`); the renderers
never touch the database and never see a model instance, so they can run in any process and be benchmarked
on synthetic data (`synthetic_briefing`).

All text is user text and is treated as such by both renderers: it is laid out literally, never parsed as
markup. Timestamps are ISO 8601 strings ("2024-03-01T09:30:00+00:00"); dates are text, as the pack's language
writes them ("1 Mar 2024", "2024年3月1日"; the synthetic briefings use ISO "2024-03-01"), and so are labels
of choices (statuses, kinds ...). Optional values are None (or an empty list), never missing keys. `url` fields
are absolute links; the renderers make only http(s) URLs clickable and print anything else as text.

Renderers: `campaigns.briefing.pdf.render_pdf(briefing, out_path)` and
`campaigns.briefing.docx.render_docx(briefing, out_path)`.
"""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypedDict

from django.utils import translation
from django.utils.translation import ngettext, pgettext, pgettext_lazy


class InstitutionRef(TypedDict):
    """An institution as listed under a target and in the index."""

    name: str
    name_zh: str | None
    kind: str  # e.g. "Vendor", "Government body", "University"
    url: str | None  # its page on the site


class Recommendation(TypedDict):
    code: str  # e.g. "R3"
    text: str
    addressee: str | None  # who the recommendation is addressed to


class Campaign(TypedDict):
    title: str
    goal: str
    summary: str
    status: str  # display value, e.g. "Active"
    recommendations: list[Recommendation]


class StanceChange(TypedDict):
    """One step of a target's status history (the audit trail of `advance_target`)."""

    at: str  # timestamp
    from_status: str | None  # None for the first status
    to_status: str
    by: str  # display name of the user who changed it
    justification: str


class Interaction(TypedDict):
    date: str
    kind: str  # e.g. "Meeting", "Letter", "Email"
    direction: str  # e.g. "Outgoing", "Incoming"
    summary: str
    outcome: str


class Target(TypedDict):
    institution: InstitutionRef
    ask: str
    status: str
    priority: str
    owner: str | None
    next_step: str
    next_step_due: str | None  # date
    timeline: list[StanceChange]  # oldest first
    interactions: list[Interaction]  # newest first
    evidence_ids: list[str]  # ids of entries of Briefing.evidence


class EvidenceInstitution(TypedDict):
    name: str
    role: str  # e.g. "Vendor", "Deployer"


class Source(TypedDict):
    title: str
    publisher: str
    url: str | None
    published: str | None  # date
    archive_url: str | None


class Citation(TypedDict):
    source_title: str
    excerpt: str
    language: str  # e.g. "zh-hans"
    translation: str | None
    translator: str | None


class Evidence(TypedDict):
    id: str  # stable id, used to link targets to their evidence inside the document
    url: str  # link back to the record on the site; printed with every entry
    title: str
    summary: str
    kind: str
    status: str
    event_date: str | None
    place: str | None
    institutions: list[EvidenceInstitution]
    sources: list[Source]
    citations: list[Citation]


class Withheld(TypedDict, total=False):
    """What redaction left out: counts only, never what it was. Unknown keys are listed as they are."""

    protected_records: int
    protected_sources: int
    protected_fields: int  # translators' names, institutions another group keeps to itself


class Briefing(TypedDict):
    title: str
    scope_label: str  # e.g. "Campaign: …", "Target: …", "Evidence search: …"
    generated_at: str  # timestamp
    generated_by: str
    language: Literal["en", "zh-hans"]  # language of the headings and labels, not of the user text
    site_url: str
    campaign: Campaign | None  # None for a target-only or evidence-search pack
    targets: list[Target]
    evidence: list[Evidence]
    institutions: list[InstitutionRef]  # the index, sorted by name
    withheld: Withheld


#
# Labels
#

# The fixed words of the document, in English; each briefing language's words come from the .po (context
# "briefing"), so the PDF, the DOCX and the tables agree and a translator sees them all in one place.
LABELS = {
    "contents": pgettext_lazy("briefing", "Contents"),
    "scope": pgettext_lazy("briefing", "Scope"),
    "generated": pgettext_lazy("briefing", "Generated"),
    "generated_by": pgettext_lazy("briefing", "by"),
    "site": pgettext_lazy("briefing", "Site"),
    "withheld": pgettext_lazy("briefing", "Withheld by redaction"),
    "withheld_none": pgettext_lazy("briefing", "Nothing was withheld."),
    "protected_records": pgettext_lazy("briefing", "protected records"),
    "protected_sources": pgettext_lazy("briefing", "protected sources"),
    "protected_fields": pgettext_lazy("briefing", "protected fields"),
    "summary": pgettext_lazy("briefing", "Summary"),
    "campaign": pgettext_lazy("briefing", "Campaign"),
    "goal": pgettext_lazy("briefing", "Goal"),
    "status": pgettext_lazy("briefing", "Status"),
    "no_campaign": pgettext_lazy(
        "briefing", "This briefing covers a selection of targets or evidence, not a whole campaign."),
    "recommendations": pgettext_lazy("briefing", "Recommendations"),
    "no_recommendations": pgettext_lazy("briefing", "No recommendations."),
    "code": pgettext_lazy("briefing", "Code"),
    "recommendation": pgettext_lazy("briefing", "Recommendation"),
    "addressee": pgettext_lazy("briefing", "Addressed to"),
    "targets": pgettext_lazy("briefing", "Targets"),
    "no_targets": pgettext_lazy("briefing", "This briefing has no targets."),
    "institution": pgettext_lazy("briefing", "Institution"),
    "priority": pgettext_lazy("briefing", "Priority"),
    "owner": pgettext_lazy("briefing", "Owner"),
    "next_step": pgettext_lazy("briefing", "Next step"),
    "due": pgettext_lazy("briefing", "Due"),
    "ask": pgettext_lazy("briefing", "Ask"),
    "timeline": pgettext_lazy("briefing", "Stance timeline"),
    "no_timeline": pgettext_lazy("briefing", "No status changes recorded."),
    "at": pgettext_lazy("briefing", "When"),
    "change": pgettext_lazy("briefing", "Change"),
    "by": pgettext_lazy("briefing", "By"),
    "justification": pgettext_lazy("briefing", "Justification"),
    "interactions": pgettext_lazy("briefing", "Interactions"),
    "no_interactions": pgettext_lazy("briefing", "No interactions recorded."),
    "date": pgettext_lazy("briefing", "Date"),
    "kind": pgettext_lazy("briefing", "Kind"),
    "direction": pgettext_lazy("briefing", "Direction"),
    "outcome": pgettext_lazy("briefing", "Outcome"),
    # A target's evidence ("相关证据"), not the evidence section's heading ("证据"): the same English word.
    "evidence_for_target": pgettext_lazy("briefing target", "Evidence"),
    "evidence": pgettext_lazy("briefing", "Evidence"),
    "no_evidence": pgettext_lazy("briefing", "This briefing has no evidence."),
    "record": pgettext_lazy("briefing", "Record"),
    "event_date": pgettext_lazy("briefing", "Event date"),
    "place": pgettext_lazy("briefing", "Place"),
    "institutions": pgettext_lazy("briefing", "Institutions"),
    "sources": pgettext_lazy("briefing", "Sources"),
    "no_sources": pgettext_lazy("briefing", "No sources."),
    "published": pgettext_lazy("briefing", "published"),
    "archived": pgettext_lazy("briefing", "archive"),
    "citations": pgettext_lazy("briefing", "Citations"),
    "translation": pgettext_lazy("briefing", "Translation"),
    "translator": pgettext_lazy("briefing", "translated by"),
    "index": pgettext_lazy("briefing", "Index of institutions"),
    "no_institutions": pgettext_lazy("briefing", "No institutions."),
    "name": pgettext_lazy("briefing", "Name"),
    "name_zh": pgettext_lazy("briefing", "Chinese name"),
    "page": pgettext_lazy("briefing", "Page"),
    "of": pgettext_lazy("briefing", "of"),
    "executive_summary": pgettext_lazy("briefing", "Executive summary"),
    "key_findings": pgettext_lazy("briefing", "Key findings"),
    "by_kind": pgettext_lazy("briefing", "By kind of evidence"),
    "by_year": pgettext_lazy("briefing", "By year of the event"),
    "by_sector": pgettext_lazy("briefing", "By sector"),
    "by_institution": pgettext_lazy("briefing", "Institutions named most often"),
    "count": pgettext_lazy("briefing", "Records"),
    "key_evidence": pgettext_lazy("briefing", "Key evidence"),
    "what_we_ask": pgettext_lazy("briefing", "What we ask"),
    "prepared_by": pgettext_lazy("briefing", "Prepared by"),
    "contact": pgettext_lazy("briefing", "Contact"),
    "excerpt": pgettext_lazy("briefing", "Excerpt"),
    "about": pgettext_lazy("briefing", "About this briefing"),
    "internal_briefing": pgettext_lazy("briefing", "Internal briefing, for the group's members"),
    "outward_note": pgettext_lazy(
        "briefing", "This briefing holds only evidence the group has verified and may share. Sources are cited as "
        "published."),
}


def labels_for(language):
    """The fixed words in a briefing language (English for any language the site has no words in)."""
    with translation.override(language or "en"):
        return {**{key: str(label) for key, label in LABELS.items()}, "none": "—"}


def counts_text(briefing):
    """What the briefing holds, e.g. "1 target · 12 evidence records", each plural form right in its language."""
    phrases = (
        (len(briefing["targets"]), lambda n: ngettext("%(count)s target", "%(count)s targets", n)),
        (len(briefing["evidence"]),
         lambda n: ngettext("%(count)s evidence record", "%(count)s evidence records", n)),
        (len(briefing["institutions"]), lambda n: ngettext("%(count)s institution", "%(count)s institutions", n)),
    )
    with translation.override(briefing.get("language") or "en"):
        return " · ".join(phrase(count) % {"count": count} for count, phrase in phrases)


def withheld_text(withheld, language):
    """
    What redaction withheld, e.g. "1 protected record · 3 protected fields", with each count's plural form in the
    briefing's language (ngettext under that language), or the label saying nothing was withheld.
    """
    phrases = {
        "protected_records": lambda n: ngettext("%(count)s protected record", "%(count)s protected records", n),
        "protected_sources": lambda n: ngettext("%(count)s protected source", "%(count)s protected sources", n),
        "protected_fields": lambda n: ngettext("%(count)s protected field", "%(count)s protected fields", n),
    }
    with translation.override(language or "en"):
        parts = [phrases[key](count) % {"count": count} for key, count in (withheld or {}).items()
                 if count and key in phrases]
    return " · ".join(parts) or labels_for(language)["withheld_none"]


def findings_text(briefing):
    """The key findings' opening line, e.g. "12 verified evidence records, from 2019 to 2024." ('' without findings)."""
    findings = briefing.get("findings")
    if not findings:
        return ""
    count = findings["records"]
    years = [year for year, _ in findings["by_year"] if year.isdigit()]
    with translation.override(briefing.get("language") or "en"):
        text = ngettext("%(count)s verified evidence record", "%(count)s verified evidence records", count) % {
            "count": count}
        if years:
            if years[0] != years[-1]:
                text = pgettext("briefing", "%(records)s, from %(first)s to %(last)s.") % {
                    "records": text, "first": years[0], "last": years[-1]}
            else:
                text = pgettext("briefing", "%(records)s, all from %(year)s.") % {"records": text, "year": years[0]}
        else:
            text = f"{text}."
        return str(text)


def is_web_url(url):
    """Whether a URL may be made a clickable link (only http and https: no javascript:, file:, data: …)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


#
# Synthetic briefings, for the benchmark and the tests
#

_CITIES = [("Hangzhou", "杭州"), ("Shenzhen", "深圳"), ("Beijing", "北京"), ("Shanghai", "上海"),
           ("Urumqi", "乌鲁木齐"), ("Chongqing", "重庆"), ("Kashgar", "喀什"), ("Chengdu", "成都"), ("Nanjing", "南京"),
           ("Wuhan", "武汉")]
_SETTINGS = [("classroom", "课堂"), ("prison", "监狱"), ("police station", "派出所"), ("border checkpoint", "边境口岸"),
             ("subway station", "地铁站"), ("kindergarten", "幼儿园"), ("interrogation room", "审讯室"),
             ("bank branch", "银行网点"), ("factory floor", "工厂车间"), ("care home", "养老院")]
_PRODUCTS = [("emotion recognition cameras", "情绪识别摄像头"),
             ("micro-expression analysis software", "微表情分析软件"),
             ("attention monitoring system", "注意力监测系统"), ("voice stress analysis", "语音压力分析"),
             ("affective computing platform", "情感计算平台"), ("psychological profiling", "心理画像")]
_VENDORS = [("Hikvision", "海康威视"), ("Dahua Technology", "大华股份"), ("SenseTime", "商汤科技"),
            ("Megvii", "旷视科技"), ("Taigusys", "太古计算"), ("EmoKit", "翼开科技"),
            ("Hanwang Technology", "汉王科技"), ("iFlytek", "科大讯飞")]
_BODIES = [("Ministry of Public Security", "公安部"), ("Ministry of Education", "教育部"),
           ("Cyberspace Administration", "国家互联网信息办公室"), ("Municipal Education Bureau", "市教育局"),
           ("Provincial Prison Administration", "省监狱管理局"),
           ("Standards Committee TC260", "全国信息安全标准化技术委员会")]
_STATUSES = ["Not contacted", "Contacted", "In dialogue", "Committed", "Acted", "Refused"]
_PEOPLE = ["Alice Chen", "Carol Wong", "Victor Li", "Mei Zhang"]
_PUBLISHERS = [("Xinhua", "新华网"), ("The Paper", "澎湃新闻"), ("Caixin", "财新网"), ("Reuters", "路透社"),
               ("Company website", "公司官网"), ("Government procurement portal", "政府采购网")]


def synthetic_briefing(*, targets=40, records=1000, sources_per_record=2, citations_per_record=2,
                       language="en", campaign=True, seed=1):
    """
    A realistic briefing of `targets` targets and `records` evidence records (with `sources_per_record` sources
    each), English with Chinese names, titles and excerpts, for the benchmark and the tests. Deterministic.
    """
    rnd = random.Random(seed)
    site = "https://disentangle.example.org"
    start = datetime(2023, 1, 9, 9, 30, tzinfo=UTC)

    institutions = []
    for i in range(max(targets, 12)):
        name, name_zh = (_VENDORS + _BODIES)[i % (len(_VENDORS) + len(_BODIES))]
        suffix = "" if i < len(_VENDORS) + len(_BODIES) else f" ({_CITIES[i % len(_CITIES)][0]})"
        suffix_zh = "" if not suffix else f"（{_CITIES[i % len(_CITIES)][1]}）"
        institutions.append({
            "name": name + suffix,
            "name_zh": name_zh + suffix_zh,
            "kind": "Vendor" if i % 14 < len(_VENDORS) else "Government body",
            "url": f"{site}/institutions/{i + 1}/",
        })

    evidence = []
    for n in range(records):
        city, city_zh = rnd.choice(_CITIES)
        setting, setting_zh = rnd.choice(_SETTINGS)
        product, product_zh = rnd.choice(_PRODUCTS)
        vendor = rnd.choice(institutions[:len(_VENDORS)])
        deployer = rnd.choice(institutions)
        when = (start + timedelta(days=rnd.randrange(900))).date()
        chinese = n % 2 == 0
        sources = []
        for s in range(sources_per_record):
            publisher, publisher_zh = rnd.choice(_PUBLISHERS)
            slug = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
            sources.append({
                "title": (f"{city_zh}{setting_zh}引入{product_zh}" if chinese
                          else f"{city} {setting} adopts {product}") + f" ({s + 1})",
                "publisher": publisher_zh if chinese else publisher,
                # Long URLs on purpose: the layout has to break them.
                "url": f"https://news.example.cn/{when:%Y/%m/%d}/{slug}/article-{n}-{s}.html?utm_source=briefing&ref={slug}",
                "published": when.isoformat(),
                "archive_url": f"https://web.archive.example/web/{when:%Y%m%d}000000/https://news.example.cn/{slug}"
                if s == 0 else None,
            })
        citations = []
        for c in range(min(citations_per_record, len(sources))):
            if chinese:
                citations.append({
                    "source_title": sources[c]["title"],
                    "excerpt": f"该{setting_zh}已部署{product_zh}，可实时分析人员的情绪状态，"
                               f"并在发现“异常情绪”时自动向管理人员报警。据{vendor['name_zh']}介绍，系统准确率超过90%。",
                    "language": "zh-hans",
                    "translation": f"The {setting} has deployed {product} that analyse people's emotional state in "
                                   f"real time and alert staff automatically on 'abnormal emotions'. According to "
                                   f"{vendor['name']}, the system is over 90% accurate.",
                    "translator": rnd.choice(_PEOPLE),
                })
            else:
                citations.append({
                    "source_title": sources[c]["title"],
                    "excerpt": f"The {product} installed in the {setting} flags 'negative emotions' and reports them "
                               f"to supervisors every hour.",
                    "language": "en",
                    "translation": None,
                    "translator": None,
                })
        evidence.append({
            "id": f"E{n + 1}",
            "url": f"{site}/evidence/{n + 1}/",
            "title": (f"{city_zh}{setting_zh}部署{product_zh}（情绪识别）" if chinese
                      else f"{product.capitalize()} in a {setting} in {city}"),
            "summary": (f"Reports describe {product} ({product_zh}) deployed in a {setting} in {city} ({city_zh}), "
                        f"supplied by {vendor['name']} and operated by {deployer['name']}. The system claims to "
                        f"detect emotions such as anxiety and hostility from facial expressions."),
            "kind": rnd.choice(["Deployment", "Procurement", "Product claim", "Research"]),
            "status": rnd.choice(["Verified", "Verified", "Unverified"]),
            "event_date": when.isoformat(),
            "place": f"{city} {city_zh}",
            "institutions": [{"name": vendor["name"], "role": "Vendor"},
                             {"name": deployer["name"], "role": "Deployer"}],
            "sources": sources,
            "citations": citations,
        })

    target_list = []
    per_target = max(1, records // max(targets, 1)) if records else 0
    for t in range(targets):
        institution = institutions[t]
        history = []
        status = None
        at = start + timedelta(days=rnd.randrange(60))
        for step in range(rnd.randrange(1, 5)):
            new = _STATUSES[min(step + 1, len(_STATUSES) - 1)] if step else _STATUSES[0]
            history.append({
                "at": at.isoformat(timespec="seconds"),
                "from_status": status,
                "to_status": new,
                "by": rnd.choice(_PEOPLE),
                "justification": f"Reply of {at:%d %B} received; they asked for the evidence on "
                                 f"{institution['name_zh']}.",
            })
            status = new
            at += timedelta(days=rnd.randrange(7, 60))
        interactions = []
        for i in range(rnd.randrange(0, 6)):
            day = (at - timedelta(days=10 * i + 3)).date()
            interactions.append({
                "date": day.isoformat(),
                "kind": rnd.choice(["Meeting", "Letter", "Email", "Phone call"]),
                "direction": rnd.choice(["Outgoing", "Incoming"]),
                "summary": f"Discussed the deployments in {rnd.choice(_CITIES)[0]}; they disputed the 情绪识别 claims.",
                "outcome": rnd.choice(["Asked for more evidence", "Promised a written answer", "No reply", "公开回应"]),
            })
        ids = [e["id"] for e in evidence[t * per_target:(t + 1) * per_target]][:40]
        target_list.append({
            "institution": institution,
            "ask": f"Stop selling or operating emotion recognition (情绪识别) systems, starting with "
                   f"{institution['name']}'s "
                   f"deployments in schools and prisons, and publish the contracts.",
            "status": status,
            "priority": rnd.choice(["High", "Medium", "Low"]),
            "owner": rnd.choice(_PEOPLE + [None]),
            "next_step": "Send the follow-up letter with the new evidence",
            "next_step_due": (at.date() + timedelta(days=14)).isoformat(),
            "timeline": history,
            "interactions": interactions,
            "evidence_ids": ids,
        })

    campaign_data = None
    if campaign:
        campaign_data = {
            "title": "No emotion recognition in schools and prisons 学校和监狱禁用情绪识别",
            "goal": "Vendors stop selling, and public bodies stop buying, emotion recognition for schools and prisons.",
            "summary": "Emotion recognition claims to read feelings from faces, voices and bodies; the science does "
                       "not support it and its use in classrooms, interrogation rooms and prisons harms people's "
                       "rights. This campaign asks vendors and public bodies to stop. 情绪识别技术缺乏科学依据。",
            "status": "Active",
            "recommendations": [
                {"code": "R1", "text": "Ban the design, sale and use of emotion recognition technologies.",
                 "addressee": "Ministry of Public Security"},
                {"code": "R2",
                 "text": "Suspend procurement of emotion recognition for schools 暂停学校采购情绪识别系统.",
                 "addressee": "Ministry of Education"},
                {"code": "R3", "text": "Stop developing and marketing emotion recognition products.",
                 "addressee": "Vendors"},
            ],
        }

    used = {e["name"] for ev in evidence for e in ev["institutions"]} | {t["institution"]["name"] for t in target_list}
    index = sorted((i for i in institutions if i["name"] in used), key=lambda i: i["name"].lower())
    return {
        "title": "Briefing: emotion recognition in China 情绪识别简报",
        "scope_label": "Campaign: No emotion recognition in schools and prisons" if campaign else "Evidence search",
        "generated_at": datetime(2025, 3, 1, 10, 0, tzinfo=UTC).isoformat(timespec="seconds"),
        "generated_by": "Alice Chen",
        "language": language,
        "site_url": site,
        "campaign": campaign_data,
        "targets": target_list,
        "evidence": evidence,
        "institutions": index,
        "withheld": {"protected_records": 12, "protected_sources": 87},
    }


def empty_briefing(**overrides):
    """The smallest valid briefing: no campaign, no targets, no evidence."""
    briefing = {
        "title": "Empty briefing",
        "scope_label": "Evidence search: nothing matched",
        "generated_at": date(2025, 3, 1).isoformat() + "T10:00:00+00:00",
        "generated_by": "Alice Chen",
        "language": "en",
        "site_url": "https://disentangle.example.org",
        "campaign": None,
        "targets": [],
        "evidence": [],
        "institutions": [],
        "withheld": {},
    }
    briefing.update(overrides)
    return briefing
