"""
Messages written now and read later, by someone else, in their own language: a job's error is written by a worker,
which runs in no one's language, and read on a page or through the API by members who each chose theirs.

`stored(msgid, **params)` keeps the untranslated message (mark it with gettext_noop, so that it is collected for
translation) and its parameters; `for_reader(text)` translates it into the active language when it is shown (the
`for_reader` template filter, the API's ReaderTextField). Text not made by `stored` (rows written before, a
library's message) is shown as it is.
"""

import json

from django.utils import translation
from django.utils.translation import gettext

# Parameters are mostly numbers and names; an exception's text is the longest, and is cut so that the whole
# message fits the error columns (2,000 characters).
PARAM_MAX_LENGTH = 500


def stored(msgid, **params):
    """The message to save in a text column, translated when it is read (for_reader)."""
    params = {key: value if isinstance(value, int | float) else str(value)[:PARAM_MAX_LENGTH]
              for key, value in params.items()}
    return json.dumps({"msgid": msgid, "params": params}, ensure_ascii=False)


def for_reader(text):
    """`text` in the active language, if `stored` made it; else `text` as it is."""
    if not text or not text.startswith('{"msgid"'):
        return text
    try:
        message = json.loads(text)
        translated = gettext(message["msgid"])
        return translated % message["params"] if message["params"] else translated
    except (ValueError, KeyError, TypeError):  # cut short, or not ours after all
        return text


def in_english(text):
    """`text` as an English reader sees it (logs, the operator's commands, tests), whatever language is active."""
    with translation.override("en"):
        return for_reader(text)
