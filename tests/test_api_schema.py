"""The OpenAPI schema is generated without a single warning from drf-spectacular, and is valid OpenAPI."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_is_generated_without_warnings(tmp_path):
    # --fail-on-warn turns every warning (a field whose type could not be guessed, two operations with one id, a
    # view it could not read) into an error, and --validate checks the result against the OpenAPI specification.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml"))
    assert "/api/groups/{id}/settings/" in (tmp_path / "schema.yml").read_text()
