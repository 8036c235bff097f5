"""
DRF's tokens (rest_framework.authtoken, no longer installed) were stored as plain keys in authtoken_token, where
anyone who could read the database or the admin could use them. Each one is copied here as a hash, so scripts
keep working until the new expiry (a sudden 401 for every API user on upgrade would be a worse surprise than one
more expiry period), and the table of plain keys is dropped: keeping it would keep the very thing we hash for.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

PLAIN_TABLE = "authtoken_token"


def hash_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return  # a site set up after DRF's tokens were dropped
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id FROM {PLAIN_TABLE}")
        rows = cursor.fetchall()
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS)
    ApiToken.objects.bulk_create(
        ApiToken(user_id=user_id, name="API (from before tokens were hashed)",
                 digest=hashlib.sha256(key.encode()).hexdigest(), expires_at=expires_at)
        for key, user_id in rows
    )
    schema_editor.execute(f"DROP TABLE {PLAIN_TABLE}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_api_tokens_hashed"),
    ]

    # Not reversible in substance: the plain keys are gone. Going back leaves DRF's table to be made again.
    operations = [migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop)]
