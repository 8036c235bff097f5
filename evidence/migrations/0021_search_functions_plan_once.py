"""
PostgreSQL search (migrations 0005, 0011): the two functions that cannot be inlined, written in PL/pgSQL so that
their query is planned once per connection instead of at every call.

A LANGUAGE sql function whose body has a FROM (evidence_cjk_grams reads regexp_matches and unnest;
evidence_private_vector reads unnest) is not inlined into the expression calling it, and PostgreSQL plans its
body afresh at each call. The record trigger calls them for the title, the shared and the protected document of
every record it writes: about 1.1 ms of planning a record (1,000 records inserted in 1.66 s, 0.59 s with these),
paid by every save and by every import row (issue 20: imports at 1,000 rows/s). PL/pgSQL keeps the plan of its
statement for the connection's life, and each now returns at once when there is nothing to do: no Han character
for the grams, no protected text for the private vector (most records). The bodies, and so the grams, lexemes and positions, are those of migrations
0005 and 0011 (tests/evidence/test_search*.py and test_import_bulk.py compare what search finds).
"""

import importlib

from django.db import migrations

PostgreSQLOnly = importlib.import_module("evidence.migrations.0005_search_postgresql").PostgreSQLOnly

# Han ideographs, as in migration 0005.
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

FORWARDS = rf"""
CREATE OR REPLACE FUNCTION evidence_cjk_grams(doc text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF doc IS NULL OR doc !~ '{CJK}' THEN
        RETURN ''::tsvector;  -- no Han character, no gram: skip the query
    END IF;
    RETURN (
        SELECT coalesce(string_agg(format('''%s'':%s', gram, least(n, 16383)), ' ')::tsvector, ''::tsvector)
        FROM (
            SELECT ch || coalesce(lead(ch) OVER (PARTITION BY r ORDER BY i), '') AS gram,
                   row_number() OVER (ORDER BY r, i) AS n
            FROM regexp_matches(doc, '{CJK}+', 'g') WITH ORDINALITY AS runs(run, r),
                 unnest(string_to_array(runs.run[1], NULL)) WITH ORDINALITY AS chars(ch, i)
        ) AS grams);
END
$$;

CREATE OR REPLACE FUNCTION evidence_private_vector(doc text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF doc IS NULL OR doc = '' THEN
        RETURN ''::tsvector;  -- most records have no protected text
    END IF;
    RETURN (
        SELECT coalesce(string_agg(
            format('''~p%s'':%s', replace(replace(lexeme, '\', '\\'), '''', ''''''), array_to_string(positions, ',')),
            ' ')::tsvector, ''::tsvector)
        FROM unnest(evidence_text_vector(doc)));
END
$$;
"""

BACKWARDS = rf"""
CREATE OR REPLACE FUNCTION evidence_cjk_grams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(format('''%s'':%s', gram, least(n, 16383)), ' ')::tsvector, ''::tsvector)
    FROM (
        SELECT ch || coalesce(lead(ch) OVER (PARTITION BY r ORDER BY i), '') AS gram,
               row_number() OVER (ORDER BY r, i) AS n
        FROM regexp_matches(doc, '{CJK}+', 'g') WITH ORDINALITY AS runs(run, r),
             unnest(string_to_array(runs.run[1], NULL)) WITH ORDINALITY AS chars(ch, i)
    ) AS grams
$$;

CREATE OR REPLACE FUNCTION evidence_private_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(
        format('''~p%s'':%s', replace(replace(lexeme, '\', '\\'), '''', ''''''), array_to_string(positions, ',')),
        ' ')::tsvector, ''::tsvector)
    FROM unnest(evidence_text_vector(doc))
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0020_perceptual_hash_failures'),
    ]

    operations = [
        PostgreSQLOnly(FORWARDS, BACKWARDS),
    ]
