"""
What every API request goes through before a view reads it: the JSON parser with a depth limit and the throttles.
Settings name these classes, so nothing here imports views (DRF's settings would import them half-loaded).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of this API needs more than a few levels (a record, its citations, one citation); a generous limit.
JSON_MAX_DEPTH = 32
JSON_TOO_DEEP = _("JSON nested too deeply.")


def _deeper_than(data, limit):
    # Without recursion, so that the check itself cannot run out of stack.
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False


class BoundedJSONParser(JSONParser):
    """
    DRF's JSON parser, refusing a body nested deeper than JSON_MAX_DEPTH with a 400. Python's json module raises
    RecursionError (not the ValueError DRF turns into a 400) at about a thousand levels, so `[[[…]]]` ten thousand
    deep was a server error; and anything deeper than the API needs only costs the serializers' time.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP) from None
        if _deeper_than(data, JSON_MAX_DEPTH):
            raise ParseError(JSON_TOO_DEEP)
        return data
