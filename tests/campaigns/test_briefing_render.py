"""
The briefing renderers (campaigns/briefing): the PDF and the DOCX open, hold the targets, the evidence with its
link back to the site, and Chinese text; empty sections render; user text never becomes markup or code.
Renders are kept to a few records so the tests stay fast; the 1,000-record figures are bench/pdf_engines.py's.
"""

import zipfile

import pikepdf
import pytest
from docx import Document
from pypdf import PdfReader

from campaigns.briefing import empty_briefing, synthetic_briefing
from campaigns.briefing.docx import render_docx
from campaigns.briefing.pdf import render_pdf

# Typst markup and code, HTML, and XML/DOCX specials: each must come out as the very same characters.
INJECTIONS = [
    '#import "x": *',
    '#eval("1+1")',
    "#let x = 1] [",
    "$x^2$ and *not bold* and _not italic_",
    "<label> @ref `raw` \\ // not a comment",
    "<script>alert(1)</script>",
    "&amp; </w:t><w:t> ]]> \"quoted\" 'single'",
]


def pdf_text(path):
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.split())


def docx_text(path):
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    parts.extend(p.text for section in document.sections for p in section.header.paragraphs)
    return " ".join(" ".join(parts).split())


def uri_links(path):
    with pikepdf.open(path) as pdf:
        return {
            str(annot.A.URI)
            for page in pdf.pages for annot in page.get("/Annots", [])
            if "/A" in annot and annot.A.get("/S") == "/URI"
        }


def small_briefing(**kwargs):
    return synthetic_briefing(targets=2, records=3, **kwargs)


@pytest.fixture
def briefing_with_injections():
    briefing = small_briefing()
    briefing["title"] = INJECTIONS[0]
    briefing["scope_label"] = INJECTIONS[1]
    briefing["campaign"]["summary"] = " | ".join(INJECTIONS)
    briefing["campaign"]["recommendations"][0]["text"] = INJECTIONS[2]
    briefing["targets"][0]["ask"] = INJECTIONS[3]
    briefing["targets"][0]["institution"]["name"] = INJECTIONS[4]
    briefing["evidence"][0]["title"] = INJECTIONS[5]
    briefing["evidence"][0]["summary"] = INJECTIONS[6]
    briefing["evidence"][1]["citations"][0]["excerpt"] = " ".join(INJECTIONS)
    briefing["evidence"][2]["id"] = '"><#eval("x")'
    return briefing


def embedded_fonts(path):
    with pikepdf.open(path) as pdf:
        return {str(font.BaseFont) for page in pdf.pages for font in page.Resources.Font.values()}


class TestPdf:
    def test_it_renders_targets_evidence_chinese_and_links_back_to_the_site(self, tmp_path):
        briefing = small_briefing()
        path = render_pdf(briefing, tmp_path / "briefing.pdf")

        text = pdf_text(path)
        assert path.read_bytes().startswith(b"%PDF")
        assert briefing["targets"][0]["institution"]["name"] in text
        assert briefing["evidence"][1]["title"] in text
        assert "情绪识别" in text
        assert briefing["evidence"][0]["url"] in text
        assert briefing["evidence"][0]["url"] in uri_links(path)
        assert briefing["evidence"][0]["sources"][0]["archive_url"] in uri_links(path)
        assert "Recommendations" in text and "Index of institutions" in text

    def test_it_sets_chinese_in_the_systems_noto_cjk_with_bold(self, tmp_path):
        # Debian's fonts-noto-cjk, which the Docker image and CI install.
        path = render_pdf(small_briefing(), tmp_path / "briefing.pdf")

        fonts = embedded_fonts(path)
        assert any("NotoSansCJKsc-Bold" in font for font in fonts), fonts
        assert any("NotoSerifCJKsc-Regular" in font for font in fonts), fonts
        assert not any("NotoSansSC" in font or "NotoSerifSC" in font for font in fonts), fonts

    def test_it_falls_back_to_the_chinese_font_it_ships(self, tmp_path, monkeypatch):
        monkeypatch.setenv("CJK_FONT_DIR", str(tmp_path))  # no system fonts there
        path = render_pdf(small_briefing(), tmp_path / "briefing.pdf")

        fonts = embedded_fonts(path)
        assert any("NotoSerifSC" in font for font in fonts)
        assert any("NotoSansSC" in font for font in fonts)

    def test_it_renders_with_no_campaign_no_targets_and_no_evidence(self, tmp_path):
        path = render_pdf(empty_briefing(), tmp_path / "empty.pdf")

        text = pdf_text(path)
        assert "not a whole campaign" in text
        assert "This briefing has no targets." in text
        assert "This briefing has no evidence." in text
        assert "No institutions." in text

    def test_it_renders_user_text_literally(self, tmp_path, briefing_with_injections):
        path = render_pdf(briefing_with_injections, tmp_path / "briefing.pdf")

        text = pdf_text(path)
        for injection in INJECTIONS:
            assert " ".join(injection.split()) in text
        assert '"><#eval("x")' in text

    def test_it_links_only_web_urls(self, tmp_path):
        briefing = small_briefing()
        briefing["evidence"][0]["url"] = "javascript:alert(1)"
        briefing["evidence"][0]["sources"][0]["url"] = "file:///etc/passwd"
        path = render_pdf(briefing, tmp_path / "briefing.pdf")

        assert "javascript:alert(1)" in pdf_text(path)
        assert not any(link.startswith(("javascript:", "file:")) for link in uri_links(path))

    def test_it_lays_out_a_long_briefing_in_parts_with_running_page_numbers(self, tmp_path):
        briefing = synthetic_briefing(targets=2, records=5)
        path = render_pdf(briefing, tmp_path / "long.pdf", evidence_per_part=2)

        reader = PdfReader(path)
        text = pdf_text(path)
        for evidence in briefing["evidence"]:
            assert evidence["title"] in text
        footers = [" ".join(page.extract_text().split()) for page in reader.pages[1:]]
        assert all(f"Page {n}" in footer for n, footer in enumerate(footers, start=2))
        with pikepdf.open(path) as pdf:
            assert len(pikepdf.NameTree(pdf.Root.Names.Dests)) == 5  # every evidence entry can be jumped to
            with pdf.open_outline() as outline:
                assert [item.title for item in outline.root] == ["Summary", "Targets", "Evidence",
                                                                 "Index of institutions"]

    def test_it_gives_the_same_bytes_for_the_same_briefing(self, tmp_path):
        briefing = small_briefing()
        first = render_pdf(briefing, tmp_path / "a.pdf", isolate=False).read_bytes()
        second = render_pdf(briefing, tmp_path / "b.pdf", isolate=False).read_bytes()

        assert first == second

    def test_it_labels_a_chinese_briefing_in_chinese(self, tmp_path):
        path = render_pdf(small_briefing(language="zh-hans"), tmp_path / "zh.pdf", isolate=False)

        text = pdf_text(path)
        assert "机构索引" in text and "倡导对象" in text

    def test_it_counts_what_was_withheld_in_the_singular_and_the_plural(self, tmp_path):
        briefing = empty_briefing(withheld={"protected_records": 1, "protected_sources": 0, "protected_fields": 3})

        text = pdf_text(render_pdf(briefing, tmp_path / "withheld.pdf", isolate=False))

        assert "1 protected record · 3 protected fields" in text
        assert "1 protected records" not in text and "protected sources" not in text


class TestDocx:
    def test_it_renders_targets_evidence_chinese_and_links_back_to_the_site(self, tmp_path):
        briefing = small_briefing()
        path = render_docx(briefing, tmp_path / "briefing.docx")

        text = docx_text(path)
        assert briefing["targets"][0]["institution"]["name"] in text
        assert briefing["evidence"][1]["title"] in text
        assert "情绪识别" in text
        with zipfile.ZipFile(path) as archive:
            relationships = archive.read("word/_rels/document.xml.rels").decode()
        assert f'Target="{briefing["evidence"][0]["url"]}"' in relationships

    def test_it_uses_real_headings_and_tables(self, tmp_path):
        briefing = small_briefing()
        document = Document(str(render_docx(briefing, tmp_path / "briefing.docx")))

        headings = {p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")}
        assert headings["Summary"] == "Heading 1"
        assert headings[f"{briefing['targets'][0]['institution']['name']} "
                        f"({briefing['targets'][0]['institution']['name_zh']})"] == "Heading 2"
        assert len(document.tables) >= 3  # recommendations, targets, per-target timelines, index

    def test_it_names_an_east_asian_font_on_the_styles(self, tmp_path):
        document = Document(str(render_docx(small_briefing(), tmp_path / "briefing.docx")))

        for name in ("Normal", "Heading 1", "Heading 2"):
            fonts = document.styles[name].element.rPr.rFonts
            assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")

    @pytest.mark.parametrize(("language", "expected"), [
        ("en", "1 protected record · 1 protected source · 2 protected fields"),
        ("zh-hans", "1 条受保护的记录 · 1 个受保护的来源 · 2 个受保护的字段"),
    ])
    def test_it_counts_what_was_withheld_in_the_briefings_language(self, tmp_path, language, expected):
        briefing = empty_briefing(language=language,
                                  withheld={"protected_records": 1, "protected_sources": 1, "protected_fields": 2})

        assert expected in docx_text(render_docx(briefing, tmp_path / "withheld.docx"))

    def test_it_says_when_nothing_was_withheld(self, tmp_path):
        briefing = empty_briefing(withheld={"protected_records": 0, "protected_sources": 0, "protected_fields": 0})

        assert "Nothing was withheld." in docx_text(render_docx(briefing, tmp_path / "none.docx"))

    def test_it_renders_with_no_campaign_no_targets_and_no_evidence(self, tmp_path):
        text = docx_text(render_docx(empty_briefing(), tmp_path / "empty.docx"))

        assert "This briefing has no targets." in text
        assert "This briefing has no evidence." in text

    def test_it_renders_user_text_literally(self, tmp_path, briefing_with_injections):
        briefing_with_injections["evidence"][0]["summary"] += " control\x00char\x1b"
        text = docx_text(render_docx(briefing_with_injections, tmp_path / "briefing.docx"))

        for injection in INJECTIONS:
            assert " ".join(injection.split()) in text
        assert "controlchar" in text  # characters XML cannot hold are dropped, not an error


#
# Typography (issue 17): what a reader outside the group saw looked wrong
#


def briefing_with_a_bare_citation():
    briefing = small_briefing()
    first = briefing["evidence"][0]
    first["citations"] = [{**first["citations"][0], "excerpt": "", "translation": None, "translator": None}]
    first["title"] = "Record with a bare citation"
    briefing["evidence"] = [first]
    return briefing


@pytest.mark.parametrize("render, read", [(render_pdf, pdf_text), (render_docx, docx_text)])
def test_a_citation_without_an_excerpt_prints_no_empty_quote_or_stray_dash(tmp_path, render, read):
    text = read(render(briefing_with_a_bare_citation(), tmp_path / "briefing"))
    evidence = text[text.index("Record with a bare citation"):text.rindex("Index of institutions")]
    assert "“”" not in evidence and "“ ”" not in evidence
    assert " — " not in evidence  # the DOCX printed "— <source title>" after every quote
    # The source is listed once, numbered; excerpts point at that number instead of repeating its title.
    source = briefing_with_a_bare_citation()["evidence"][0]["sources"][0]["title"]
    assert "[1]" in evidence and evidence.count(source) == 1


@pytest.mark.parametrize("render, read", [(render_pdf, pdf_text), (render_docx, docx_text)])
def test_counts_have_their_plural_forms_and_the_cover_its_title_once(tmp_path, render, read):
    briefing = synthetic_briefing(targets=1, records=2, language="en")
    text = " ".join(read(render(briefing, tmp_path / "briefing")).split())
    assert "1 target · 2 evidence records" in text
    assert "Internal briefing, for the group's members".upper() in text.upper()


def test_a_chinese_briefing_takes_its_labels_from_the_translations(tmp_path):
    text = "".join(docx_text(render_docx(small_briefing(language="zh-hans"), tmp_path / "b.docx")).split())
    assert "内部简报" in text and "因保密而略去" in text and "Withheld by redaction" not in text
