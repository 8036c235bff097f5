"""
A fetched message read into what filing needs: who sent it, to which addresses, which messages it answers, its
text (from HTML by taking the text only: nothing of it is ever rendered), and its attachments as bytes.
"""

import email
import email.errors
import email.policy
import email.utils
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

# Defects that mean the message's structure is broken and its parts (the text, the files) cannot be trusted to be
# all there: the fetch fails with the reason instead of filing half a message.
_BROKEN = (email.errors.StartBoundaryNotFoundDefect, email.errors.NoBoundaryInMultipartDefect,
           email.errors.MultipartInvariantViolationDefect)
# HTML elements whose text is not part of what the message says.
_NOT_TEXT = ("script", "style", "head", "title", "template", "noscript")
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}


class MalformedMessage(ValueError):
    """The message could not be read (its MIME structure is broken)."""


@dataclass
class Attachment:
    name: str
    content: bytes


@dataclass
class ParsedMessage:
    message_id: str = ""
    sender: str = ""
    sender_address: str = ""
    recipients: list = field(default_factory=list)
    subject: str = ""
    sent_at: object = None
    answers: list = field(default_factory=list)
    body: str = ""
    attachments: list = field(default_factory=list)

    @property
    def is_reply(self):
        return bool(self.answers) or self.subject.lower().startswith(("re:", "aw:", "回复", "答复"))


def message_ids(value):
    """The Message-IDs in a header (In-Reply-To, References), without their angle brackets."""
    return [part.strip("<>") for part in str(value or "").replace(">", "> ").split() if part.strip("<>")]


def _header(message, name):
    try:
        return str(message.get(name, "") or "").strip()
    except (ValueError, TypeError, IndexError, email.errors.HeaderParseError):
        return ""


def _addresses(message, *names):
    values = [_header(message, name) for name in names]
    return [address.lower() for _, address in email.utils.getaddresses([value for value in values if value])
            if "@" in address]


def html_to_text(html):
    """The text of an HTML part, blocks on lines of their own; scripts, styles and markup are dropped."""
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for element in list(document.iter(*_NOT_TEXT)):
        if element.getparent() is not None:
            element.drop_tree()
    lines = []
    for element in document.iter():
        if isinstance(element.tag, str):  # not a comment or processing instruction, whose text is no text
            if element.tag in _BLOCKS:
                lines.append("\n")
            lines.append(element.text or "")
        lines.append(element.tail or "")
    text = "".join(lines)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def _content(part):
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if part.get_content_maintype() == "text" else payload
    return content


def _body(message):
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _content(part)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return html_to_text(text) if part.get_content_subtype() == "html" else text.strip()


def _attachments(message, body_part):
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not name:
            continue  # an alternative text or HTML of the body
        content = part.get_payload(decode=True) or b""
        found.append(Attachment(name=name or "attachment", content=content))
    return found


def parse(raw, *, headers_only=False):
    """
    The ParsedMessage of `raw` bytes; MalformedMessage if its structure is broken. With `headers_only` (a message
    fetched without its body), only what the headers say.
    """
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        broken = [defect for part in message.walk() for defect in part.defects if isinstance(defect, _BROKEN)]
        if broken and not headers_only:
            raise MalformedMessage(type(broken[0]).__name__)
        body_part = None if headers_only else message.get_body(preferencelist=("plain", "html"))
        sender = _header(message, "From")
        senders = _addresses(message, "From")
        date = _header(message, "Date")
        try:
            sent_at = email.utils.parsedate_to_datetime(date) if date else None
        except (ValueError, TypeError):
            sent_at = None
        return ParsedMessage(
            message_id=_header(message, "Message-ID").strip("<> ")[:998],
            sender=sender[:998],
            sender_address=senders[0] if senders else "",
            recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
            subject=" ".join(_header(message, "Subject").split())[:998],
            sent_at=sent_at if sent_at is None or sent_at.tzinfo else None,
            answers=message_ids(_header(message, "In-Reply-To")) + message_ids(_header(message, "References")),
            body="" if headers_only else _body(message),
            attachments=[] if headers_only else _attachments(message, body_part),
        )
    except MalformedMessage:
        raise
    except Exception as exc:  # the standard library's parser raises many kinds on hostile input
        raise MalformedMessage(f"{type(exc).__name__}: {exc}") from exc
