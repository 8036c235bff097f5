"""
A letter as PDF (Typst, with the briefing's fonts and child-process compile: campaigns/briefing/pdf.py) and as DOCX
(python-docx, with the briefing's East Asian font setup: campaigns/briefing/docx.py).

A letter is a page or two, so a batch's letters are compiled several to a child process (`LETTERS_PER_CHILD`):
a fresh process per letter would cost a second each, one process for a whole batch would keep Typst's caches
growing (pdf.py explains why every compile leaves the worker's own process).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from campaigns.briefing import is_web_url
from campaigns.briefing.docx import ACCENT, EAST_ASIAN_BODY, EAST_ASIAN_HEADINGS, LATIN_BODY, LATIN_HEADINGS, MUTED
from campaigns.briefing.docx import _text as docx_text
from campaigns.briefing.docx import _Writer as BriefingWriter
from campaigns.briefing.pdf import PART_TIMEOUT, PROJECT_ROOT, RenderError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATE_DIR / "letter.typ"
LETTERS_PER_CHILD = 20
_URL = re.compile(r"https?://[^\s<>\"]+")


def letter_data(*, group, recipient, recipient_zh, subject, body, sender, date, language):
    """What the letter's layout needs, as plain strings: the body in paragraphs (blank lines) of lines."""
    paragraphs = [block.split("\n") for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()) if block]
    return {"group": group, "recipient": recipient, "recipient_zh": recipient_zh or "", "subject": subject,
            "paragraphs": paragraphs, "body": body, "sender": sender, "date": date, "language": language}


#
# PDF
#


def render_pdfs(letters, *, scratch=None, timestamp=None):
    """Write each (data, out_path) of `letters` as a PDF, in child processes of LETTERS_PER_CHILD letters each."""
    letters = list(letters)
    for start in range(0, len(letters), LETTERS_PER_CHILD):
        _compile_in_child(letters[start:start + LETTERS_PER_CHILD], scratch=scratch, timestamp=timestamp)


def _compile_in_child(letters, *, scratch, timestamp):
    jobs = [{"data": json.dumps(data, ensure_ascii=False), "out": str(out)} for data, out in letters]
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False, dir=scratch) as handle:
        json.dump({"jobs": jobs, "timestamp": timestamp}, handle, ensure_ascii=False)
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                        os.environ.get("PYTHONPATH")]))}
        result = subprocess.run([sys.executable, "-m", "campaigns.letters.render", handle.name],
                                capture_output=True, text=True, timeout=PART_TIMEOUT, env=env, cwd=PROJECT_ROOT)
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip()[-4000:] or f"exit status {result.returncode}")


def _compile_here(data_json, out_path, timestamp):
    import typst

    from campaigns.briefing.pdf import _fonts

    try:
        typst.compile(str(TEMPLATE), output=str(out_path), root=str(TEMPLATE_DIR), font_paths=_fonts(),
                      sys_inputs={"data": data_json}, timestamp=timestamp)
    except typst.TypstError as error:
        raise RenderError(f"{error.message}\n{error.diagnostic}") from error


def main(argv):
    """Child process: compile the letters listed in the JSON file `argv[0]`."""
    with open(argv[0], encoding="utf-8") as handle:
        work = json.load(handle)
    try:
        for job in work["jobs"]:
            _compile_here(job["data"], job["out"], work.get("timestamp"))
    except RenderError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


#
# DOCX
#


def render_docx(data, out_path):
    """Write one letter as a DOCX: letterhead, date, recipient, subject, body (links clickable), signature."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2.5)
    styles = document.styles
    BriefingWriter._fonts(styles["Normal"], LATIN_BODY, EAST_ASIAN_BODY, size=11)
    BriefingWriter._fonts(styles["Title"], LATIN_HEADINGS, EAST_ASIAN_HEADINGS)

    head = document.add_paragraph()
    run = head.add_run(docx_text(data["group"], ""))
    run.bold, run.font.size, run.font.color.rgb = True, Pt(15), ACCENT
    date = document.add_paragraph()
    date.alignment = 2  # right
    date.add_run(docx_text(data["date"], "")).font.color.rgb = MUTED
    recipient = document.add_paragraph()
    recipient.add_run(docx_text(data["recipient"], "")).bold = True
    if data["recipient_zh"] and data["recipient_zh"] != data["recipient"]:
        recipient.add_run().add_break()
        recipient.add_run(docx_text(data["recipient_zh"], ""))
    subject = document.add_paragraph()
    run = subject.add_run(docx_text(data["subject"], ""))
    run.bold, run.font.size = True, Pt(12)
    links = {}
    for lines in data["paragraphs"]:
        paragraph = document.add_paragraph()
        for n, line in enumerate(lines):
            if n:
                paragraph.add_run().add_break()
            _add_text_with_links(document, paragraph, line, links)
    signature = document.add_paragraph()
    signature.add_run(docx_text(data["sender"], "")).bold = True
    signature.add_run().add_break()
    signature.add_run(docx_text(data["group"], "")).font.color.rgb = MUTED
    document.core_properties.title = docx_text(data["subject"], "")
    document.core_properties.author = docx_text(data["group"], "")
    document.save(str(out_path))
    return Path(out_path)


def _add_text_with_links(document, paragraph, line, links):
    position = 0
    for match in _URL.finditer(line):
        if match.start() > position:
            paragraph.add_run(docx_text(line[position:match.start()], ""))
        _hyperlink(document, paragraph, match.group(), links)
        position = match.end()
    if position < len(line):
        paragraph.add_run(docx_text(line[position:], ""))


def _hyperlink(document, paragraph, url, links):
    if not is_web_url(url):
        paragraph.add_run(docx_text(url, ""))
        return
    rel = links.get(url)
    if rel is None:
        rel = links[url] = document.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    for tag, value in (("w:color", "1F4E79"), ("w:u", "single")):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        properties.append(element)
    run.append(properties)
    text = OxmlElement("w:t")
    text.text = docx_text(url, "")
    text.set(qn("xml:space"), "preserve")
    run.append(text)
    hyperlink.append(run)
    paragraph._p.append(hyperlink)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
