"""
Page fragments (a list's rows) cached by what they show.

A fragment is rendered from a dict of plain values and nothing else: the template sees `row` (those values, plus
what `derive` computes from them alone, such as labels and links) and `viewer` (the viewer's part: their groups,
what they may do). The cache key is a digest of every one of those values, the viewer's part included, with the
language, the time zone and the template's own text. So:

- nothing needs invalidating: a change to anything a fragment shows (a title, a status, an institution's name, a
  share) is a new key, and the old fragment is never asked for again (it expires after FRAGMENT_TIMEOUT);
- two viewers share a fragment only if it was rendered from the same values for the same viewer's part, which
  names their groups: one group's row is never served to another, whatever the two rows show;
- the template cannot show anything the key leaves out, since it is given nothing else.

A translation changed by a deploy shows in cached fragments once they expire (FRAGMENT_TIMEOUT).
"""

import hashlib

from django.core.cache import cache
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

FRAGMENT_TIMEOUT = 600


def _template(name):
    """
    The Django engine's template (rendered with a plain Context: no context processors per row) and a digest of its
    text. Not memoised here: the template loaders cache the template in production and reload it in development.
    """
    template = get_template(name).template
    return template, hashlib.sha256(template.source.encode()).hexdigest()[:16]


def _key_prefix(template_name, template_version, viewer):
    return repr((template_name, template_version, get_language(), timezone.get_current_timezone_name(),
                 sorted(viewer.items())))


def _key(template_name, prefix, values):
    described = repr((prefix, sorted(values.items())))
    return f"fragment:{template_name}:{hashlib.sha256(described.encode()).hexdigest()}"


def fragment_key(template_name, viewer, values):
    """The cache key of the fragment `template_name` renders from `values` for `viewer`."""
    _, version = _template(template_name)
    return _key(template_name, _key_prefix(template_name, version, viewer), values)


def render_fragments(template_name, rows, *, viewer, derive=None):
    """
    The HTML of each row of `rows` (dicts of plain values) rendered by `template_name`, as safe strings: read from
    the cache where the same values were rendered for the same viewer's part, else rendered and stored.
    `derive(values)` returns more context computed from the row's values only (labels, links), on a miss.
    """
    template, version = _template(template_name)
    prefix = _key_prefix(template_name, version, viewer)
    keys = [_key(template_name, prefix, values) for values in rows]
    found = cache.get_many(keys)
    rendered = {}
    for key, values in zip(keys, rows, strict=True):
        if key in found or key in rendered:
            continue
        row = {**values, **derive(values)} if derive else values
        rendered[key] = template.render(Context({"row": row, "viewer": viewer}))
    if rendered:
        cache.set_many(rendered, FRAGMENT_TIMEOUT)
    return [mark_safe(found[key] if key in found else rendered[key]) for key in keys]
