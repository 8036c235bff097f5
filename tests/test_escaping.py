"""
HTML and script in any text a member can enter is shown as text. Every free-text column of every group-data model
(and of the institutions and accounts the pages show with them) is filled with a payload, then every page of the
group's objects is rendered: the payload appears, escaped, and never as markup. (The briefing PDF and DOCX are
checked in tests/campaigns/test_briefing_render.py.)

Slugs are left alone: they are checked by their validators before they reach a URL, which a direct update skips.
"""

import pytest
from django.db import models

from accounts.models import User
from evidence.models import Institution
from tests.test_isolation import beta_objects
from tests.test_isolation_matrix import (
    SHARED_MODELS,
    fill_text_fields,
    get_routes,
    group_data_models,
    reference_data,  # noqa: F401 (a fixture)
    rows_of,
)

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"
RAW = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
# Pages that show the objects' own text; each must show the payload, so the test is known to have reached it.
PAGES_SHOWING_TEXT = {
    "evidence-detail", "evidence-list", "campaign-detail", "campaign-list", "target-detail", "batch-detail",
    "institution-detail", "member-list", "audit-log", "group-dashboard", "my-work", "evidence-import-detail",
    "worker-check-detail",
}


def payload_value(row, field):
    if isinstance(field, (models.SlugField, models.FileField)):
        return None
    if isinstance(field, models.EmailField):
        return f"{PAYLOAD}{row.pk}@example.org"
    if isinstance(field, models.URLField):
        return f'https://example.org/"{PAYLOAD}'
    value = f"{PAYLOAD}{row.pk}"  # unique, for the columns that must be
    if field.max_length and len(value) > field.max_length:
        return None  # too short a column for the payload: nothing a member writes goes there
    return value


def test_every_text_field_is_escaped_on_every_page(client_for, reference_data, group, coordinator):  # noqa: F811
    objects = beta_objects(group, coordinator)
    for label, model in group_data_models().items():
        if label not in SHARED_MODELS:
            fill_text_fields(model, list(rows_of(model, group)), payload_value)
    fill_text_fields(Institution, list(Institution.objects.all()), payload_value)
    fill_text_fields(User, list(User.objects.filter(memberships__group=group)),
                     lambda row, field: payload_value(row, field) if field.name in ("first_name", "last_name",
                                                                                    "email") else None)
    client = client_for(coordinator)
    unescaped, shown = [], set()
    for route, url in get_routes(objects):
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        unescaped += [f"{route}: {raw}" for raw in RAW if raw in html]
        if ESCAPED in html:
            shown.add(route)
    assert not unescaped, f"Text shown as markup on: {unescaped}"
    assert PAGES_SHOWING_TEXT <= shown, f"The payload did not show at all on {PAGES_SHOWING_TEXT - shown}"
