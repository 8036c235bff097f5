"""What several evidence pages share: the page size, how much history they show, and safe links."""

from urllib.parse import urlsplit

PAGE_SIZE = 50
HISTORY_LIMIT = 50


def web_link(url):
    """`url` if it is safe to put in an href. Imported datasets skip form validation, so check the scheme."""
    return url if urlsplit(url or "").scheme in ("http", "https") else ""
