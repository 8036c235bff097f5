"""
Which PDF engine for the briefing pack: the same synthetic briefing (40 targets, 1,000 evidence records with 2,000
sources and Chinese text, campaigns.briefing.synthetic_briefing) rendered by each engine in a fresh process.

    .venv/bin/pip install -c constraints.txt -e '.[bench]'    # WeasyPrint and ReportLab, for this script only
    .venv/bin/python -m bench.pdf_engines                      # options: --records 1000 --targets 40 --png DIR

Engines:
- typst: campaigns.briefing.pdf.render_pdf as shipped (parts of 250 records, each compiled in a child process,
  joined with qpdf).
- typst-one: the same template in one compile, in the measuring process.
- weasyprint: an HTML template rendered by Django's template engine (autoescaping), with the same Noto SC fonts
  given by @font-face.
- reportlab: platypus, the text escaped for its paragraph mini-markup; Chinese in the STSong-Light CID font
  (ReportLab embeds only TrueType outlines and the Noto SC fonts are CFF, so this font is referenced, not
  embedded: a reader without the Adobe Asian font pack shows no Chinese).
- docx: campaigns.briefing.docx.render_docx, for the pack's budget.

For each: wall time of the render, peak RSS (the process's own and its children's, which run one at a time), PDF
size and pages, the fonts embedded, whether the extracted text holds the Chinese (情绪识别) and the evidence
links; then the resident memory after each of 5 renders of different briefings in one process. Results are in
bench/README.md.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGINES = ["typst", "typst-one", "weasyprint", "reportlab", "docx"]


#
# Engines
#

def render_typst(briefing, out):
    from campaigns.briefing.pdf import render_pdf

    render_pdf(briefing, out)


def render_typst_one(briefing, out):
    from campaigns.briefing.pdf import render_pdf

    render_pdf(briefing, out, evidence_per_part=10**9, isolate=False)


HTML_TEMPLATE = """<!doctype html>
<html lang="{% if b.language == 'zh-hans' %}zh-Hans{% else %}en{% endif %}"><head><meta charset="utf-8">
<title>{{ b.title }}</title>
<style>
@font-face { font-family: "Noto Serif SC"; src: url("{{ fonts }}/NotoSerifSC-Regular.otf"); }
@font-face { font-family: "Noto Sans SC"; src: url("{{ fonts }}/NotoSansSC-Regular.otf"); }
@page { size: A4; margin: 2.3cm 2cm 2.2cm;
  @top-left { content: "{{ b.title|escapejs }}"; font: 8pt "Noto Sans SC"; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt "Noto Sans SC"; color: #555; } }
@page:first { @top-left { content: none; } }
body { font: 10pt/1.35 "Noto Serif SC", serif; }
h1, h2, h3 { font-family: "Noto Sans SC"; color: #1f4e79; }
h1 { page-break-before: always; font-size: 17pt; }
.cover h1 { page-break-before: avoid; font-size: 24pt; }
table { width: 100%; border-collapse: collapse; font-size: 9pt; }
th { text-align: left; color: #1f4e79; border-top: 0.8pt solid #1f4e79; }
td, th { border-bottom: 0.4pt solid #b8c4d0; padding: 3pt; vertical-align: top; }
thead { display: table-header-group; }
a { color: #1f4e79; overflow-wrap: anywhere; }
.small { font-size: 8.5pt; color: #555; overflow-wrap: anywhere; }
blockquote { margin: 4pt 0 4pt 0; padding-left: 8pt; border-left: 1.5pt solid #b8c4d0; }
</style></head><body>
<section class="cover"><p class="small">{{ l.scope }}: {{ b.scope_label }}</p><h1>{{ b.title }}</h1>
{% if b.campaign %}<p>{{ b.campaign.title }}</p>{% endif %}
<p>{{ l.generated }} {{ b.generated_at }} {{ l.generated_by }} {{ b.generated_by }}</p></section>
<h1>{{ l.summary }}</h1>
{% if b.campaign %}<h2>{{ b.campaign.title }}</h2><p><b>{{ l.goal }}</b>: {{ b.campaign.goal }}</p>
<p>{{ b.campaign.summary }}</p><h2>{{ l.recommendations }}</h2>
<table><thead><tr><th>{{ l.code }}</th><th>{{ l.recommendation }}</th><th>{{ l.addressee }}</th></tr></thead>
{% for r in b.campaign.recommendations %}<tr><td>{{ r.code }}</td><td>{{ r.text }}</td><td>{{ r.addressee }}</td></tr>
{% endfor %}</table>{% else %}<p>{{ l.no_campaign }}</p>{% endif %}
<h1>{{ l.targets }}</h1>
{% for t in b.targets %}<h2>{{ t.institution.name }} ({{ t.institution.name_zh }})</h2>
<p><b>{{ l.status }}</b>: {{ t.status }} · <b>{{ l.priority }}</b>: {{ t.priority }} · <b>{{ l.owner }}</b>:
{{ t.owner|default:"—" }}</p><p><b>{{ l.ask }}</b>: {{ t.ask }}</p>
<h3>{{ l.timeline }}</h3><table><thead><tr><th>{{ l.at }}</th><th>{{ l.change }}</th><th>{{ l.by }}</th>
<th>{{ l.justification }}</th></tr></thead>{% for s in t.timeline %}<tr><td>{{ s.at }}</td>
<td>{{ s.from_status|default:"—" }} → {{ s.to_status }}</td><td>{{ s.by }}</td><td>{{ s.justification }}</td></tr>
{% endfor %}</table>
<h3>{{ l.interactions }}</h3><table><thead><tr><th>{{ l.date }}</th><th>{{ l.kind }}</th><th>{{ l.summary }}</th>
<th>{{ l.outcome }}</th></tr></thead>{% for i in t.interactions %}<tr><td>{{ i.date }}</td><td>{{ i.kind }}</td>
<td>{{ i.summary }}</td><td>{{ i.outcome }}</td></tr>{% endfor %}</table>
<p>{% for id in t.evidence_ids %}<a href="#ev-{{ id }}">{{ id }}</a> {% endfor %}</p>
{% endfor %}
<h1>{{ l.evidence }}</h1>
{% for e in b.evidence %}<h3 id="ev-{{ e.id }}">{{ e.id }} {{ e.title }}</h3>
<p class="small">{{ e.kind }} · {{ e.status }} · {{ e.event_date }} · {{ e.place }}<br>
{{ l.record }}: <a href="{{ e.url }}">{{ e.url }}</a></p><p>{{ e.summary }}</p>
<p><b>{{ l.sources }}</b></p><ul>{% for s in e.sources %}<li>{{ s.title }} · {{ s.publisher }}, {{ s.published }}<br>
<span class="small"><a href="{{ s.url }}">{{ s.url }}</a>{% if s.archive_url %} · <a href="{{ s.archive_url }}">
{{ s.archive_url }}</a>{% endif %}</span></li>{% endfor %}</ul>
{% for c in e.citations %}<blockquote>“{{ c.excerpt }}”<br><span class="small">{{ c.source_title }}</span>
{% if c.translation %}<br><i>{{ l.translation }}: {{ c.translation }}</i>{% endif %}</blockquote>{% endfor %}
{% endfor %}
<h1>{{ l.index }}</h1><table><thead><tr><th>{{ l.name }}</th><th>{{ l.name_zh }}</th><th>{{ l.kind }}</th></tr>
</thead>{% for i in b.institutions %}<tr><td>{{ i.name }}</td><td>{{ i.name_zh }}</td><td>{{ i.kind }}</td></tr>
{% endfor %}</table></body></html>
"""


def render_weasyprint(briefing, out):
    from django.conf import settings

    if not settings.configured:
        settings.configure()
    from django.template import Context, Engine
    from weasyprint import HTML

    from campaigns.briefing import labels_for
    from campaigns.briefing.fonts import cjk_font_dir

    html = Engine(autoescape=True).from_string(HTML_TEMPLATE).render(Context({
        "b": briefing, "l": labels_for(briefing["language"]), "fonts": cjk_font_dir().as_uri(),
    }))
    HTML(string=html).write_pdf(out)


def render_reportlab(briefing, out):
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    from campaigns.briefing import labels_for

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11)
    h1 = ParagraphStyle("h1", parent=body, fontSize=17, leading=21, spaceBefore=6, spaceAfter=8)
    h2 = ParagraphStyle("h2", parent=body, fontSize=13, leading=16, spaceBefore=8, spaceAfter=4)
    h3 = ParagraphStyle("h3", parent=body, fontSize=11, leading=14, spaceBefore=6, spaceAfter=3)
    lab = labels_for(briefing["language"])

    def p(text, style=body):
        return Paragraph(escape(str(text if text is not None else "—")), style)

    def link(url):
        return Paragraph(f'<a href="{escape(url)}">{escape(url)}</a>', small)

    def table(header, rows, widths):
        data = [[p(h, small) for h in header]] + [[p(v, small) for v in row] for row in rows]
        t = Table(data, colWidths=[w * cm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, "#b8c4d0"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    story = [p(briefing["title"], h1), p(briefing["scope_label"]), PageBreak(), p(lab["summary"], h1)]
    campaign = briefing["campaign"]
    if campaign:
        story += [p(campaign["title"], h2), p(campaign["goal"]), p(campaign["summary"]),
                  table([lab["code"], lab["recommendation"], lab["addressee"]],
                        [(r["code"], r["text"], r["addressee"]) for r in campaign["recommendations"]], [2, 10, 5])]
    story += [PageBreak(), p(lab["targets"], h1)]
    for t in briefing["targets"]:
        story += [p(f"{t['institution']['name']} ({t['institution']['name_zh']})", h2),
                  p(f"{lab['status']}: {t['status']} · {lab['priority']}: {t['priority']}"), p(t["ask"]),
                  p(lab["timeline"], h3),
                  table([lab["at"], lab["change"], lab["by"], lab["justification"]],
                        [(s["at"], f"{s['from_status']} → {s['to_status']}", s["by"], s["justification"])
                         for s in t["timeline"]], [3.5, 4, 2.5, 7]),
                  p(lab["interactions"], h3),
                  table([lab["date"], lab["kind"], lab["summary"], lab["outcome"]],
                        [(i["date"], i["kind"], i["summary"], i["outcome"]) for i in t["interactions"]],
                        [2.5, 2.5, 8, 4])]
    story += [PageBreak(), p(lab["evidence"], h1)]
    for e in briefing["evidence"]:
        story += [p(f"{e['id']} {e['title']}", h3), p(f"{e['kind']} · {e['status']} · {e['place']}", small),
                  link(e["url"]), p(e["summary"])]
        for s in e["sources"]:
            story += [p(f"• {s['title']} · {s['publisher']}, {s['published']}", small), link(s["url"])]
        for c in e["citations"]:
            story += [p(f"“{c['excerpt']}”"), p(c["translation"] or "", small)]
    story += [PageBreak(), p(lab["index"], h1),
              table([lab["name"], lab["name_zh"], lab["kind"]],
                    [(i["name"], i["name_zh"], i["kind"]) for i in briefing["institutions"]], [7, 6, 4])]

    def footer(canvas, doc):
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"{lab['page']} {doc.page}")

    SimpleDocTemplate(str(out), pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2.3 * cm,
                      bottomMargin=2.2 * cm, title=briefing["title"]).build(story, onFirstPage=footer,
                                                                            onLaterPages=footer)


def render_docx(briefing, out):
    from campaigns.briefing.docx import render_docx as render

    render(briefing, out)


RENDERERS = {"typst": render_typst, "typst-one": render_typst_one, "weasyprint": render_weasyprint,
             "reportlab": render_reportlab, "docx": render_docx}


#
# One measurement, in a fresh process
#

def peak_mb(who):
    """
    Peak resident memory in MB. For this process, VmHWM: Linux keeps ru_maxrss across fork and exec, so a child's
    ru_maxrss starts at its parent's peak, while VmHWM starts afresh with the new program's memory.
    """
    if who == resource.RUSAGE_SELF:
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def child_render(engine, out, targets, records):
    from campaigns.briefing import synthetic_briefing

    briefing = synthetic_briefing(targets=targets, records=records)
    before = peak_mb(resource.RUSAGE_SELF)
    started = time.perf_counter()
    RENDERERS[engine](briefing, out)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "before_mb": before, "self_mb": peak_mb(resource.RUSAGE_SELF),
                      "children_mb": peak_mb(resource.RUSAGE_CHILDREN)}))


def child_loop(engine, out, targets, records, renders=5):
    import psutil

    from campaigns.briefing import synthetic_briefing

    process = psutil.Process()
    rss = []
    for seed in range(renders):
        briefing = synthetic_briefing(targets=targets, records=records, seed=seed + 1)
        RENDERERS[engine](briefing, out)
        del briefing
        rss.append(process.memory_info().rss / 2**20)
    print(json.dumps({"rss_mb": rss}))


def run_child(*args):
    result = subprocess.run([sys.executable, "-m", "bench.pdf_engines", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


#
# What came out
#

def inspect_pdf(path, briefing):
    import pikepdf
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = "".join(page.extract_text() for page in reader.pages)
    embedded = set()
    referenced = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descendants = font.get("/DescendantFonts", [font])
                descriptor = descendants[0].get("/FontDescriptor", {})
                name = str(font.BaseFont).split("+")[-1]
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(name)
                else:
                    referenced.add(name)
    urls = [e["url"] for e in briefing["evidence"]]
    compact = "".join(text.split())
    return {
        "pages": len(reader.pages),
        "size_mb": path.stat().st_size / 2**20,
        "chinese_text": "情绪识别" in text,
        "links_found": sum(url in compact for url in urls) / max(len(urls), 1),
        "cjk_font_embedded": any("SC" in name or "CJK" in name for name in embedded),
        "fonts_embedded": sorted(embedded),
        "fonts_not_embedded": sorted(referenced),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--targets", type=int, default=40)
    parser.add_argument("--engines", nargs="+", default=ENGINES, choices=ENGINES)
    parser.add_argument("--loop-records", type=int, default=250,
                        help="records per briefing in the 5-render memory test")
    parser.add_argument("--png", help="folder for a PNG of a page with Chinese text from each PDF (needs pdftoppm)")
    args = parser.parse_args()

    from campaigns.briefing import synthetic_briefing

    briefing = synthetic_briefing(targets=args.targets, records=args.records)
    print(f"{args.targets} targets, {args.records} evidence records, "
          f"{sum(len(e['sources']) for e in briefing['evidence'])} sources; {os.cpu_count()} CPUs\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines:
            out = Path(tmp) / f"{engine}.{'docx' if engine == 'docx' else 'pdf'}"
            result = run_child("--child", engine, out, args.targets, args.records)
            loop = run_child("--loop", engine, out.with_suffix(".loop" + out.suffix), args.targets,
                             args.loop_records)
            row = {"engine": engine, **result, "loop": loop}
            if "error" not in result:
                if engine == "docx":
                    row["size_mb"] = out.stat().st_size / 2**20
                else:
                    row.update(inspect_pdf(out, briefing))
                    if args.png and shutil.which("pdftoppm"):
                        Path(args.png).mkdir(parents=True, exist_ok=True)
                        page = 3
                        subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", str(page), "-l", str(page), out,
                                        str(Path(args.png) / engine)], check=False)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr)

    print("| engine | render s | peak RSS MB (process / largest child) | PDF MB | pages | Chinese text | CJK font "
          "embedded | links in text | RSS after 5 renders in one process (MB) |")
    print("|---|---:|---:|---:|---:|---|---|---:|---|")
    for row in rows:
        if "error" in row:
            print(f"| {row['engine']} | failed: {row['error']} |")
            continue
        loop = row["loop"].get("rss_mb")
        loop_text = " → ".join(f"{v:.0f}" for v in loop) if loop else row["loop"].get("error", "")
        print(f"| {row['engine']} | {row['seconds']:.1f} | {row['self_mb']:.0f} / {row['children_mb']:.0f} "
              f"| {row.get('size_mb', 0):.1f} | {row.get('pages', '')} | {row.get('chinese_text', '')} "
              f"| {row.get('cjk_font_embedded', '')} | {row.get('links_found', 0):.0%} | {loop_text} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_render(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--loop":
        child_loop(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
