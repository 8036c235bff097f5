"""
The briefing as an editable Word document (python-docx): the same sections as the PDF, with real headings (so
Word's navigation pane and table of contents work), real tables, and clickable links.

User text only ever goes into run text, which python-docx escapes as XML; characters XML cannot hold at all
(control characters) are dropped first, since lxml refuses them.

Chinese: a DOCX carries font names, not fonts. Styles name SimSun (body) and Microsoft YaHei (headings) as the
East Asian fonts (w:eastAsia), present on every Chinese-capable Windows and mapped to Noto CJK by LibreOffice's
usual font aliases, and mark the East Asian language as zh-CN so that Word picks a Chinese face for the glyphs.
"""

import gc
import io
import re
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from . import counts_text, is_web_url, labels_for, withheld_text
from .docx_outward import OutwardSections, names

LATIN_BODY = "Cambria"
LATIN_HEADINGS = "Calibri"
EAST_ASIAN_BODY = "SimSun"
EAST_ASIAN_HEADINGS = "Microsoft YaHei"
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
MUTED = RGBColor(0x55, 0x55, 0x55)

# XML 1.0 forbids these; anything else (including markup characters) is escaped by lxml.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_docx(briefing, out_path):
    """Write the briefing (see campaigns.briefing.Briefing) as a DOCX to out_path and return out_path."""
    writer = _Writer(briefing)
    writer.build()
    writer.document.save(str(out_path))
    # The document's parts and package refer to each other, so its XML (tens of MB at a thousand records) would
    # wait for the cyclic collector; a worker rendering pack after pack grew ~18 MB a render until then.
    del writer
    gc.collect()
    return Path(out_path)


def _text(value, default="—"):
    if value is None or value == "":
        return default
    return _NOT_XML.sub("", str(value))


def _when(value):
    return _text(value)[:16].replace("T", " ") if value else "—"


class _Writer(OutwardSections):
    def __init__(self, briefing):
        self.b = briefing
        self.lab = labels_for(briefing.get("language"))
        # An outward briefing leaves the group: no member, status, owner, next step or link into the site.
        self.outward = briefing.get("kind") == "outward"
        self.document = Document()
        self._setup()
        # python-docx looks styles up by scanning them all and reuses a link relationship by scanning all the
        # others, per call: quadratic at a thousand records (18 s). Both are looked up once here instead.
        self._style_ids = {}
        self._link_ids = {}
        # Likewise each new paragraph is put before the body's last child (its section properties) after a scan
        # of the whole body; inserting next to that element directly keeps it linear.
        self._end = self.document.element.body.sectPr

    def paragraph(self, text=None):
        element = OxmlElement("w:p")
        self._end.addprevious(element)
        paragraph = Paragraph(element, self.document._body)
        if text:
            paragraph.add_run(text)
        return paragraph

    #
    # Page and styles
    #

    def _setup(self):
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin, section.bottom_margin = Cm(2.3), Cm(2.2)
        section.different_first_page_header_footer = True  # a clean cover

        styles = self.document.styles
        self._fonts(styles["Normal"], LATIN_BODY, EAST_ASIAN_BODY, size=10)
        for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
            self._fonts(styles[name], LATIN_HEADINGS, EAST_ASIAN_HEADINGS)
            styles[name].font.color.rgb = ACCENT
        for name in ("Table Grid", "List Bullet", "Quote"):
            if name in styles:
                self._fonts(styles[name], LATIN_BODY, EAST_ASIAN_BODY)

        cover = self.b.get("cover")
        header = section.header.paragraphs[0]
        header.text = _text(self.b["title"]) + (f" · {_text(cover['group'])}" if self.outward and cover else "")
        header.runs[0].font.size = Pt(8)
        header.runs[0].font.color.rgb = MUTED
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = footer.add_run(f"{self.lab['generated']} {_when(self.b['generated_at'])} · {self.lab['page']} ")
        run.font.size = Pt(8)
        self._page_field(footer)

    @staticmethod
    def _fonts(style, latin, east_asian, size=None):
        style.font.name = latin
        if size:
            style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            fonts.set(qn(attribute), latin)
        fonts.set(qn("w:eastAsia"), east_asian)
        # Theme fonts would override the names above; drop them.
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:eastAsia"), "zh-CN")

    @staticmethod
    def _page_field(paragraph):
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)

    #
    # Building blocks
    #

    def heading(self, text, level):
        return self.styled(f"Heading {level}", _text(text))

    def para(self, text="", *, bold_label=None, small=False, italic=False):
        paragraph = self.paragraph()
        if bold_label:
            paragraph.add_run(f"{bold_label}: ").bold = True
        run = paragraph.add_run(_text(text, default="") if text != "" else "")
        run.italic = italic
        if small:
            for r in paragraph.runs:
                r.font.size = Pt(8.5)
                r.font.color.rgb = MUTED
        return paragraph

    def link(self, paragraph, url, text=None):
        """A clickable link for http(s) URLs; anything else is printed as plain text."""
        if not is_web_url(url):
            return paragraph.add_run(_text(url if text is None else text))
        rel = self._link_ids.get(url)
        if rel is None:
            rels = self.document.part.rels
            rel = f"rIdLink{len(self._link_ids) + 1}"
            rels.add_relationship(RELATIONSHIP_TYPE.HYPERLINK, url, rel, is_external=True)
            self._link_ids[url] = rel
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), rel)
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), "Hyperlink")
        color = OxmlElement("w:color")
        color.set(qn("w:val"), "1F4E79")
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        rpr.extend([style, color, underline])
        run.append(rpr)
        t = OxmlElement("w:t")
        t.text = _text(url if text is None else text)
        t.set(qn("xml:space"), "preserve")
        run.append(t)
        hyperlink.append(run)
        paragraph._p.append(hyperlink)
        return hyperlink

    def styled(self, style_name, text=None):
        """A paragraph of a named style, its id looked up once (see __init__)."""
        if style_name not in self._style_ids:
            self._style_ids[style_name] = self.document.styles[style_name].style_id
        paragraph = self.paragraph(text)
        paragraph._p.style = self._style_ids[style_name]
        return paragraph

    def table(self, header, rows, widths=None):
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, header, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(title)
            run.bold = True
            run.font.size = Pt(8.5)
        self._repeat_header(table.rows[0])
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                run = cell.paragraphs[0].add_run(_text(value))
                run.font.size = Pt(9)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = Cm(width)
        return table

    @staticmethod
    def _repeat_header(row):
        properties = row._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)

    #
    # The document
    #

    def build(self):
        self.cover()
        self.executive_summary()
        self.findings()
        self.summary()
        self.targets()
        self.evidence()
        self.index()

    def cover(self):
        b, lab, cover = self.b, self.lab, self.b.get("cover")
        if cover:
            letterhead = self.paragraph()
            if cover.get("logo") and cover["logo"]["format"] == "png":
                letterhead.add_run().add_picture(io.BytesIO(bytes(cover["logo"]["data"])), height=Cm(2))
                letterhead.add_run().add_break()
            letterhead.add_run(_text(cover["group"])).bold = True
            if cover.get("contact"):
                self.para(cover["contact"], small=True)
        self.para(lab["about"] if self.outward else lab["internal_briefing"], small=True)
        self.document.add_heading(_text(b["title"]), 0)
        if self.outward:
            self.para(b["generated_by"], bold_label=lab["prepared_by"])
            self.para(_when(b["generated_at"])[:10], bold_label=lab["date"])
        else:
            self.para(b["scope_label"], bold_label=lab["scope"])
            self.para(f"{_when(b['generated_at'])} {lab['generated_by']} {_text(b['generated_by'])}",
                      bold_label=lab["generated"])
            site = self.para(bold_label=lab["site"])
            self.link(site, b["site_url"])
        self.para(counts_text(b))
        if self.outward:
            self.para(lab["outward_note"], small=True)
        else:
            self.para(withheld_text(b.get("withheld"), b.get("language")), bold_label=lab["withheld"])
        self.document.add_page_break()

    def summary(self):
        b, lab = self.b, self.lab
        self.heading(lab["recommendations"] if self.outward else lab["summary"], 1)
        campaign = b["campaign"]
        if not campaign:
            self.para(lab["no_campaign"])
        else:
            if not self.outward:
                self.heading(campaign["title"], 2)
            if campaign.get("status"):
                self.para(campaign["status"], bold_label=lab["status"])
            if campaign.get("goal"):
                self.para(campaign["goal"], bold_label=lab["goal"])
            if campaign.get("summary"):
                self.para(campaign["summary"])
            if not self.outward:
                self.heading(lab["recommendations"], 2)
            if campaign["recommendations"]:
                self.table([lab["code"], lab["recommendation"], lab["addressee"]],
                           [(r["code"], r["text"], r["addressee"]) for r in campaign["recommendations"]],
                           widths=[1.5, 10.5, 5])
            else:
                self.para(lab["no_recommendations"])
        if b["targets"] and not self.outward:
            self.heading(lab["targets"], 2)
            self.table(
                [lab["institution"], lab["status"], lab["priority"], lab["owner"], lab["next_step"], lab["due"]],
                [(_names(t["institution"]), t["status"], t["priority"], t["owner"], t["next_step"],
                  t["next_step_due"]) for t in b["targets"]],
            )

    def targets(self):
        if self.outward:
            return self.outward_targets()
        b, lab = self.b, self.lab
        self.document.add_page_break()
        self.heading(lab["targets"], 1)
        if not b["targets"]:
            self.para(lab["no_targets"])
        urls = {str(e["id"]): e["url"] for e in b["evidence"]}
        for t in b["targets"]:
            institution = t["institution"]
            self.heading(_names(institution), 2)
            self.para(t["status"], bold_label=lab["status"])
            self.para(t["priority"], bold_label=lab["priority"])
            self.para(t["owner"], bold_label=lab["owner"])
            kind = self.para(f"{_text(institution['kind'])} · ", bold_label=lab["institution"])
            self.link(kind, institution["url"])
            self.para(f"{_text(t['next_step'])} ({lab['due']}: {_text(t['next_step_due'])})",
                      bold_label=lab["next_step"])
            self.para(t["ask"], bold_label=lab["ask"])

            self.heading(lab["timeline"], 3)
            if t["timeline"]:
                self.table([lab["at"], lab["change"], lab["by"], lab["justification"]],
                           [(_when(s["at"]), _change(s), s["by"], s["justification"]) for s in t["timeline"]])
            else:
                self.para(lab["no_timeline"], small=True)

            self.heading(lab["interactions"], 3)
            if t["interactions"]:
                self.table([lab["date"], lab["kind"], lab["direction"], lab["summary"], lab["outcome"]],
                           [(i["date"], i["kind"], i["direction"], i["summary"], i["outcome"])
                            for i in t["interactions"]])
            else:
                self.para(lab["no_interactions"], small=True)

            if t["evidence_ids"]:
                self.heading(lab["evidence_for_target"], 3)
                refs = self.paragraph()
                for n, evidence_id in enumerate(t["evidence_ids"]):
                    if n:
                        refs.add_run(", ")
                    self.link(refs, urls.get(str(evidence_id)), str(evidence_id))

    def evidence(self):
        b, lab = self.b, self.lab
        self.document.add_page_break()
        self.heading(lab["evidence"], 1)
        if not b["evidence"]:
            self.para(lab["no_evidence"])
        for e in b["evidence"]:
            self.heading(f"{_text(e['id'])} {_text(e['title'])}", 3)
            facts = [e["kind"], None if self.outward else e["status"],
                     e["event_date"] and f"{lab['event_date']}: {e['event_date']}",
                     e["place"] and f"{lab['place']}: {e['place']}"]
            line = self.para(" · ".join(_text(f) for f in facts if f), small=True)
            if e.get("key"):
                marker = line.add_run(f"  {lab['key_evidence']}")
                marker.bold = True
                marker.font.color.rgb = ACCENT
            if e["url"]:
                self.link(self.para(bold_label=lab["record"]), e["url"])
            self.para(e["summary"])
            if e["institutions"]:
                self.para("; ".join(f"{_text(i['name'])} ({_text(i['role'])})" for i in e["institutions"]),
                          bold_label=lab["institutions"])
            if e["sources"]:
                self.para(bold_label=lab["sources"])
                for n, s in enumerate(e["sources"], start=1):
                    item = self.paragraph()
                    published = f", {lab['published']} {_text(s['published'])}" if s["published"] else ""
                    publisher = f" · {_text(s['publisher'])}" if s["publisher"] else ""
                    item.add_run(f"[{n}] {_text(s['title'])}{publisher}{published} ")
                    self.link(item, s["url"])
                    if s["archive_url"]:
                        item.add_run(f" · {lab['archived']}: ")
                        self.link(item, s["archive_url"])
            # A citation without an excerpt is already listed among the sources: no empty quote, no stray dash.
            for c in e["citations"]:
                if c["excerpt"]:
                    quote = self.styled("Quote")
                    quote.add_run(f"“{_text(c['excerpt'])}”")
                    quote.add_run(f" [{c.get('source_number', 1)}]").font.size = Pt(8.5)
                if c["translation"]:
                    translation = self.styled("Quote")
                    translation.add_run(f"{lab['translation']}: {_text(c['translation'])}").italic = True
                    if c["translator"]:
                        translation.add_run(f" ({lab['translator']} {_text(c['translator'])})").font.size = Pt(8.5)

    def index(self):
        b, lab = self.b, self.lab
        self.document.add_page_break()
        self.heading(lab["index"], 1)
        if not b["institutions"]:
            self.para(lab["no_institutions"])
            return
        if self.outward:
            self.table([lab["name"], lab["name_zh"], lab["kind"]],
                       [(i["name"], i["name_zh"], i["kind"]) for i in b["institutions"]], widths=[7, 6, 4])
            return
        table = self.table([lab["name"], lab["name_zh"], lab["kind"], lab["site"]],
                           [(i["name"], i["name_zh"], i["kind"], "") for i in b["institutions"]],
                           widths=[5, 4, 3, 5])
        for row, institution in zip(table.rows[1:], b["institutions"], strict=True):
            paragraph = row.cells[3].paragraphs[0]
            paragraph.runs[0].text = ""
            self.link(paragraph, institution["url"])


def _change(step):
    """A status change, "Contacted → In dialogue"; the first status alone, without a dash for where it came from."""
    if not step["from_status"]:
        return _text(step["to_status"])
    return f"{_text(step['from_status'])} → {_text(step['to_status'])}"


def _names(institution):
    return names(institution)
