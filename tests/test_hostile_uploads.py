"""
Hostile files through every upload endpoint: evidence attachments (page and API), interaction attachments (page
and API) and the evidence import. Each is refused with a reason the uploader can act on, and leaves no file in
storage and no row. A name with folders in it is only ever shown, cleaned, never used as a path.

A PDF with a script or a launch action is refused, not stored with a warning: the people who open the group's
evidence are targets themselves (evidence/attachments.py).

victor volunteers in Alpha Watch and uploads; carol campaigns there and logs interactions; alice coordinates and
imports.
"""

import functools
import io
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Interaction, InteractionAttachment
from evidence import importing
from evidence.models import Attachment, EvidenceImport
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
def private_storage(settings, tmp_path):
    """Imports wait in a folder of this test's own; attachments go where their field's storage puts them."""
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "config.storage.PrivateFileSystemStorage", "OPTIONS": {"location": tmp_path},
    }}
    settings.ATTACHMENT_MAX_BYTES = LIMIT
    return tmp_path


class Files:
    """
    The files in private storage that were not there when the test began. The folder is shared by the test
    processes running side by side, so `holding` narrows them to those with given content.
    """

    def __init__(self, *roots):
        self.roots = roots
        self.before = self._all()

    def _all(self):
        return {p for root in self.roots for p in Path(root).rglob("*") if p.is_file()}

    def new(self, holding=None):
        return sorted(p for p in self._all() - self.before if holding is None or p.read_bytes() == holding)


@pytest.fixture
def new_files(private_storage):
    return Files(private_storage, Attachment._meta.get_field("file").storage.location)


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


ATTACHMENT_ENDPOINTS = {
    "evidence attachments, API": (evidence_api, 400),
    "evidence attachments, page": (evidence_page, 302),
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
    [stored] = new_files.new(holding=content)
    assert Path(attachment.file.path) == stored and "notice" not in stored.name and "etc" not in stored.parts


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
    monkeypatch.setattr(importing, "MAX_BYTES", LIMIT)
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
    [stored] = new_files.new(holding=CSV)
    assert stored.is_relative_to(private_storage) and "evidence" not in stored.name
