"""
A group's letterhead: the logo and contact line printed on the cover of what it sends out (outward briefings,
letters). A coordinator sets it (`set_letterhead`); the logo is kept in private storage on the Group row.

A logo is a PNG, taken through the same checks as every uploaded file (evidence.attachments.check_upload: type
read from the content), or an SVG, which is a program as much as a picture: it is parsed without DTDs, entities or
network (defusedxml) and rebuilt from an allow-list of drawing elements and attributes, so scripts, event
handlers, foreignObject, styles and every reference outside the file (href, url(...) to anything but #an-id) are
dropped. No maintained Python SVG sanitiser exists; an allow-list is the safe way round (a deny-list forgets).
"""

import re
import uuid
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.permissions import Action, ensure_can
from evidence.attachments import check_upload

LOGO_MAX_BYTES = 512 * 1024
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

SVG_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "symbol", "use",
}
SVG_ATTRIBUTES = {
    "id", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d",
    "points", "transform", "preserveAspectRatio", "version", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "opacity", "clip-path", "clip-rule", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "dominant-baseline", "letter-spacing", "offset", "stop-color", "stop-opacity",
    "gradientUnits", "gradientTransform", "spreadMethod", "fx", "fy", "dx", "dy", "clipPathUnits",
}
# url(...) may only point inside the file (a gradient, a clip path): url(#id).
_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"^\s*url\(\s*#[\w.-]+\s*\)\s*$")


class LogoError(ValidationError):
    """The logo was refused; the message says why."""


def _local(tag):
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def _clean(element):
    """Keep `element` (an SVG element of the allow-list) with only its allowed attributes and children."""
    for name in list(element.attrib):
        namespace, local = _local(name)
        value = element.attrib[name]
        keep = False
        if local == "href" and namespace in ("", XLINK):
            keep = value.startswith("#")  # a reference inside the file; never a link or an external file
        elif namespace == "" and local in SVG_ATTRIBUTES:
            keep = not _URL.search(value) or bool(_LOCAL_URL.match(value))
        if not keep:
            del element.attrib[name]
    for child in list(element):
        namespace, local = _local(child.tag) if isinstance(child.tag, str) else ("", "")
        if namespace != SVG or local not in SVG_ELEMENTS:
            element.remove(child)  # with all it holds: script, foreignObject, style, image, a, animate ...
        else:
            _clean(child)


def sanitise_svg(data):
    """The SVG `data` (bytes) rebuilt from the allow-list; LogoError if it is not an SVG at all."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise LogoError(_("The SVG file cannot be read: %(error)s") % {"error": exc}) from exc
    if root.tag != f"{{{SVG}}}svg":
        raise LogoError(_("This is not an SVG image."))
    _clean(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _looks_like_svg(head):
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<")


def checked_logo(upload):
    """(bytes to store, content type, extension) of an uploaded logo, or LogoError saying why it is refused."""
    if upload.size > LOGO_MAX_BYTES:
        raise LogoError(_("A logo may be at most 512 KB."))
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    if _looks_like_svg(head):
        return sanitise_svg(upload.read()), "image/svg+xml", ".svg"
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        raise LogoError(exc.messages) from exc
    if checked.content_type != "image/png":
        raise LogoError(_("A logo must be a PNG or an SVG image."))
    upload.seek(0)
    return upload.read(), "image/png", ".png"


@transaction.atomic
def set_letterhead(group, *, actor, contact_line=None, logo=None, remove_logo=False):
    """
    Change the group's contact line and/or logo (coordinators only), with one audit row. `logo` is an uploaded
    file, checked and (SVG) sanitised before anything is stored; the previous logo file is removed once replaced.
    """
    ensure_can(actor, Action.MANAGE_MEMBERS, group)
    before = {"contact_line": group.contact_line, "logo": bool(group.logo)}
    old_logo = group.logo.name if group.logo else ""
    if contact_line is not None:
        group.contact_line = contact_line.strip()
    if logo is not None:
        data, content_type, extension = checked_logo(logo)
        group.logo.save(f"{uuid.uuid4().hex}{extension}", ContentFile(data), save=False)
        group.logo_type = content_type
    elif remove_logo:
        group.logo, group.logo_type = "", ""
    group.save(update_fields=["contact_line", "logo", "logo_type"])
    after = {"contact_line": group.contact_line, "logo": bool(group.logo)}
    record_change(actor=actor, obj=group, action="group.letterhead_changed", before=before, after=after)
    if old_logo and old_logo != (group.logo.name if group.logo else ""):
        storage = group.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return group
