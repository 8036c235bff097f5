"""
Looks inside an uploaded PDF or office document for active content: anything that acts when the file is opened or
read (a script, a macro, an action that opens a web address or posts a form, a program or file carried inside, a
picture or template fetched from the internet). People open a group's evidence on machines the state targets, and
the sender of a file learns who opened it, and when, from a beacon as simple as a picture on their own server.

Parsing a hostile file is itself an attack surface (qpdf, zip, XML), so this runs as a child process of its own,
started by evidence.attachments.inspect_content, with limits on memory, CPU time and file writing that are set
before a byte of the file is read; the parent also stops it after a wall-clock timeout. It imports nothing from the
project (it is run by path, with `python -I`) and reads:

    python -I inspector.py <pdf|package> <memory bytes> <cpu seconds>   < the file

It writes one JSON verdict to stdout: {"refused": null} or {"refused": <reason>, "names": [...]}, where reason is
one of REASONS; the parent turns it into the message the uploader reads. A child that dies (out of memory, out of
CPU time) writes nothing, which the parent reads as "limits".
"""

import io
import json
import re
import resource
import sys
import zipfile
import zlib

# Reasons, in the order of importance: a file with several kinds of active content is refused for the first.
REASONS = ("script", "automatic", "sends", "xfa", "macros", "embedded", "external", "password", "damaged", "bomb",
           "limits")


class Refused(Exception):
    def __init__(self, reason, names=()):
        super().__init__(reason)
        self.reason = reason
        self.names = sorted(set(names))[:5]


class Findings:
    """What was found, by reason; the verdict is the most important one."""

    def __init__(self):
        self.found = {}

    def add(self, reason, *names):
        """Record `names` (at least one) found for `reason`; with none, nothing was found."""
        if names:
            self.found.setdefault(reason, set()).update(str(name) for name in names)

    def raise_first(self):
        for reason in REASONS:
            if reason in self.found:
                raise Refused(reason, self.found[reason])


#
# PDF
#

# Names that make a reader run a script or another program, as a key (/JS, /JavaScript name tree) or as an
# action's type (/S /JavaScript, /S /Launch).
PDF_SCRIPT = {"/JS", "/JavaScript", "/Launch"}
# Actions that send form data out, read data in, or open a file elsewhere (a link to \\server\share hands the
# reader's Windows credentials to that server): refused even when they wait for a click.
PDF_SENDING = {"/SubmitForm", "/ImportData", "/GoToR", "/GoToE"}
# Files carried inside the PDF: the document's attachments, a file pinned to a page, Flash or 3D "rich media".
PDF_EMBEDDING_KEYS = {"/EmbeddedFiles", "/EF", "/RichMediaContent"}
PDF_EMBEDDING_TYPES = {"/FileAttachment", "/RichMedia", "/EmbeddedFile"}
# What a PDF may do by itself when it is opened, or a page or field is shown (/OpenAction, /AA): go to a page.
PDF_AUTOMATIC_ALLOWED = {"/GoTo"}
# Names that only ever mean active content, searched for in the bytes too, in case qpdf reads the file otherwise
# than a reader would.
PDF_UNAMBIGUOUS = {**dict.fromkeys(PDF_SCRIPT, "script"), **dict.fromkeys(PDF_SENDING, "sends"),
                   "/XFA": "xfa", "/EmbeddedFiles": "embedded", "/RichMedia": "embedded",
                   "/FileAttachment": "embedded", "/EmbeddedFile": "embedded"}
_PDF_NAME = re.compile(rb"/(?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+")


def _decoded_pdf_name(token):
    # In a PDF name "#4A" is "J": /J#61vaScript is /JavaScript spelt so that a plain search misses it.
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), token).decode("latin-1")


def _action_types(action, pikepdf):
    """The types (/S) of an action and of the actions it chains to (/Next), each action dictionary once."""
    types, stack, seen = set(), [action], set()
    while stack:
        action = stack.pop()
        if isinstance(action, pikepdf.Array):
            stack.extend(action)
            continue
        if not isinstance(action, pikepdf.Dictionary):
            continue
        if action.is_indirect:
            if action.objgen in seen:
                continue
            seen.add(action.objgen)
        kind = action.get("/S")
        types.add(str(kind) if isinstance(kind, pikepdf.Name) else "/unknown")
        if "/Next" in action:
            stack.append(action["/Next"])
    return types


def _check_automatic(value, findings, pikepdf):
    """/OpenAction (a destination, or an action) and each entry of an /AA (additional actions) dictionary."""
    if isinstance(value, pikepdf.Array):
        return  # a destination: the page to open at
    if isinstance(value, pikepdf.Dictionary) and "/S" not in value and "/Next" not in value:
        actions = list(value.values())  # /AA: an action for each event
    else:
        actions = [value]
    for action in actions:
        unsafe = _action_types(action, pikepdf) - PDF_AUTOMATIC_ALLOWED
        if unsafe:
            findings.add("automatic", *unsafe)


def _walk_pdf(pdf, findings, pikepdf):
    """Every object qpdf finds, and every dictionary and array inside each, once. Streams are never decoded."""
    seen = set()
    stack = list(pdf.objects)
    stack.append(pdf.trailer)
    while stack:
        obj = stack.pop()
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            continue  # numbers, strings, names: nothing inside
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Array):
            stack.extend(obj)
            continue
        keys = set(obj.keys())
        findings.add("script", *(PDF_SCRIPT & keys))
        findings.add("embedded", *(PDF_EMBEDDING_KEYS & keys))
        if "/XFA" in keys:
            findings.add("xfa", "/XFA")
        for kind_key in ("/S", "/Subtype", "/Type"):
            kind = obj.get(kind_key)
            if isinstance(kind, pikepdf.Name):
                kind = str(kind)
                if kind_key == "/S" and kind in PDF_SCRIPT:
                    findings.add("script", kind)
                elif kind_key == "/S" and kind in PDF_SENDING:
                    findings.add("sends", kind)
                elif kind in PDF_EMBEDDING_TYPES:
                    findings.add("embedded", kind)
        for automatic in ("/OpenAction", "/AA"):
            if automatic in keys:
                _check_automatic(obj[automatic], findings, pikepdf)
        stack.extend(obj.values())


def inspect_pdf(data):
    findings = Findings()
    names = set()
    for token in _PDF_NAME.findall(data):
        name = _decoded_pdf_name(token) if b"#" in token else token.decode("latin-1")
        if name in PDF_UNAMBIGUOUS:
            findings.add(PDF_UNAMBIGUOUS[name], name)
        names.add(name)
    import pikepdf  # here, so that office documents do not pay for loading qpdf

    # Dictionaries can hide in compressed object streams, where the bytes show nothing; qpdf opens those.
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            _walk_pdf(pdf, findings, pikepdf)
            warnings = " ".join(pdf.get_warnings())
        # qpdf reads an object it cannot parse (for want of memory, or because it is broken) as null, with a
        # warning: whatever that object held was not checked.
        if "bad_alloc" in warnings:
            raise Refused("limits", ["memory"])
        if "error reading object" in warnings:
            findings.add("damaged", "error reading object")
    except pikepdf.PasswordError:
        findings.add("password", "/Encrypt")
    except pikepdf.PdfError:
        # Without object streams the bytes, searched above, are all there is; with them, what qpdf cannot read
        # is not known to be harmless.
        if "/ObjStm" in names:
            findings.add("damaged", "/ObjStm")
    findings.raise_first()


#
# Office documents: OOXML (.docx, .xlsx, .pptx) and OpenDocument (.odt, .ods), both zip packages of XML
#

# A part that unpacks to more than this many times its packed size is a bomb, not a document: typical XML packs
# ten to twenty times smaller, and no ordinary part is anywhere near this.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
# The XML parts read here (relationships, content types, manifests, document bodies) are parsed as a stream, but
# one larger than this is not checked at all.
MAX_PART_BYTES = 64 * 1024 * 1024
# Office documents embed others (a chart in Word keeps its numbers in a workbook); those are checked the same way,
# but only one level down.
MAX_DEPTH = 1
PACKAGE_SUFFIXES = (".docx", ".xlsx", ".pptx")

_MACRO_PART = re.compile(r"(vbaproject\.bin|vbadata\.xml|vbaprojectsignature[a-z]*\.bin)$|/macrosheets/|"
                         r"^(basic|scripts)/")
_EMBEDDING_PART = re.compile(r"(^|/)(embeddings|activex)/")
# The XML of an OpenDocument and of the objects in it (a chart in Calc is "Object 1/content.xml").
_ODF_XML_PART = re.compile(r"(object \d+/)?(content|styles|settings)\.xml")
_MACRO_CONTENT_TYPE = re.compile(r"macroenabled|vbaproject|vbadata|macrosheet")
_EMBEDDING_CONTENT_TYPE = re.compile(r"activex|oleobject")
# Field codes in Word that run a program (DDE) or fetch from a server each time the document is opened.
_DDE_FIELD = re.compile(r"\bDDE(AUTO)?\b", re.IGNORECASE)
_REMOTE_FIELD = re.compile(r"\bINCLUDE(PICTURE|TEXT)\b[\s\\*a-z]*\"?\s*((https?|ftp|file)://|\\\\)", re.IGNORECASE)
# Elements of an OpenDocument that show something from elsewhere (as opposed to a link, which waits for a click).
_ODF_FETCHING = {"image", "object", "object-ole", "plugin", "applet", "floating-frame"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _xml_events(archive, entry, events=("end",)):
    """The parsed elements of one XML part, as a stream; entities are never expanded and nothing is fetched."""
    from lxml import etree

    if entry.file_size > MAX_PART_BYTES:
        raise Refused("limits", [entry.filename])
    with archive.open(entry) as part:
        try:
            for _event, element in etree.iterparse(part, events=events, resolve_entities=False, no_network=True,
                                                   load_dtd=False, huge_tree=False, remove_comments=True):
                yield element
                if "end" in events:
                    element.clear(keep_tail=False)
        except etree.XMLSyntaxError as exc:
            raise Refused("damaged", [entry.filename]) from exc


def _localname(element):
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_relationships(archive, entry, findings):
    for element in _xml_events(archive, entry):
        if _localname(element) != "Relationship":
            continue
        kind = (element.get("Type") or "").rsplit("/", 1)[-1].lower()
        if (element.get("TargetMode") or "").lower() == "external" and kind != "hyperlink":
            findings.add("external", element.get("Target") or kind)
        elif kind in ("oleobject", "control", "activexcontrolbinary"):
            findings.add("embedded", element.get("Target") or kind)
        elif kind in ("vbaproject", "wordvbadata", "xlmacrosheet", "xlintlmacrosheet"):
            findings.add("macros", element.get("Target") or kind)


def _check_content_types(archive, entry, findings):
    for element in _xml_events(archive, entry):
        content_type = (element.get("ContentType") or "").lower()
        where = element.get("PartName") or element.get("Extension") or content_type
        if _MACRO_CONTENT_TYPE.search(content_type):
            findings.add("macros", where)
        elif _EMBEDDING_CONTENT_TYPE.search(content_type):
            findings.add("embedded", where)


def _check_word_fields(archive, entry, findings):
    """Field codes, which Word splits over several runs; joined, they are searched for DDE and remote includes."""
    instructions = []
    for element in _xml_events(archive, entry):
        name = _localname(element)
        if name == "instrText" and element.text:
            instructions.append(element.text)
        elif name == "fldSimple":
            instructions.append(" " + " ".join(value for key, value in element.attrib.items()
                                               if key.endswith("}instr") or key == "instr") + " ")
    joined = "".join(instructions)
    if _DDE_FIELD.search(joined):
        findings.add("macros", "DDE")
    match = _REMOTE_FIELD.search(joined)
    if match:
        findings.add("external", match.group(0).split()[-1].strip('"'))


def _check_excel_links(archive, entry, findings):
    for element in _xml_events(archive, entry):
        if _localname(element) in ("ddeLink", "oleLink"):
            findings.add("macros", "DDE")


def _check_opendocument(archive, entry, findings):
    for element in _xml_events(archive, entry):
        name = _localname(element)
        if name == "event-listener" or (name == "scripts" and len(element)):
            findings.add("macros", entry.filename)
        href = element.get(XLINK_HREF) or ""
        if name in _ODF_FETCHING and re.match(r"[a-z][a-z0-9+.-]*:|\\\\|//", href, re.IGNORECASE):
            findings.add("external", href)
        for key, value in element.attrib.items():
            if "vnd.sun.star.script:" in value or value.startswith("macro:"):
                findings.add("macros", key.rsplit("}", 1)[-1])


def _check_odf_manifest(archive, entry, findings):
    for element in _xml_events(archive, entry):
        media_type = "".join(value for key, value in element.attrib.items() if key.endswith("media-type")).lower()
        if "oleobject" in media_type:
            findings.add("embedded", element.get("{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}full-path"))
        elif "script" in media_type or "basic" in media_type:
            findings.add("macros", media_type)


def inspect_package(data, depth=0):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise Refused("damaged") from exc
    findings = Findings()
    with archive:
        entries = archive.infolist()
        for entry in entries:
            if entry.file_size > RATIO_FROM_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                raise Refused("bomb", [entry.filename])
        for entry in entries:
            try:
                _check_entry(archive, entry, findings, depth)
            except Refused as refused:  # a part that is damaged or too large: refused, unless for a graver reason
                findings.add(refused.reason, *(refused.names or [entry.filename]))
    findings.raise_first()


def _check_entry(archive, entry, findings, depth):
    """One part of a package: its name, or its XML for the parts that say what the document does."""
    name = entry.filename
    lowered = name.lower()
    if _MACRO_PART.search(lowered):
        findings.add("macros", name.rsplit("/", 1)[-1])
    elif _EMBEDDING_PART.search(lowered):
        if depth < MAX_DEPTH and lowered.endswith(PACKAGE_SUFFIXES) and "/embeddings/" in lowered:
            if entry.file_size > MAX_PART_BYTES:
                raise Refused("limits", [name])
            try:
                inspect_package(archive.read(entry), depth + 1)
            except Refused as refused:
                findings.add(refused.reason, *(refused.names or [name.rsplit("/", 1)[-1]]))
        else:
            findings.add("embedded", name.rsplit("/", 1)[-1])
    elif lowered.endswith(".rels"):
        _check_relationships(archive, entry, findings)
    elif lowered == "[content_types].xml":
        _check_content_types(archive, entry, findings)
    elif lowered == "meta-inf/manifest.xml":
        _check_odf_manifest(archive, entry, findings)
    elif _ODF_XML_PART.fullmatch(lowered):
        _check_opendocument(archive, entry, findings)
    elif re.fullmatch(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml", lowered):
        _check_word_fields(archive, entry, findings)
    elif lowered.startswith("xl/externallinks/") and lowered.endswith(".xml"):
        _check_excel_links(archive, entry, findings)


#
# The child process
#


def set_limits(memory_bytes, cpu_seconds):
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # At the soft limit the kernel sends SIGXCPU, a second later SIGKILL: either way the child dies without a verdict.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it writes no file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # and leaves no core dump holding the upload


def main(argv):
    kind, memory_bytes, cpu_seconds = argv[1], int(argv[2]), int(argv[3])
    set_limits(memory_bytes, cpu_seconds)
    data = sys.stdin.buffer.read()
    try:
        (inspect_pdf if kind == "pdf" else inspect_package)(data)
        verdict = {"refused": None}
    except Refused as refused:
        verdict = {"refused": refused.reason, "names": refused.names}
    except (MemoryError, RecursionError):
        verdict = {"refused": "limits", "names": []}
    except (zipfile.BadZipFile, zlib.error, EOFError):  # a part whose packed data does not match its entry
        verdict = {"refused": "damaged", "names": []}
    sys.stdout.write(json.dumps(verdict))


if __name__ == "__main__":
    main(sys.argv)
