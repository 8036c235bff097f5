"""
PostgreSQL search (migration 0005): Chinese grams built in time linear in the text, and every document indexed up
to a bounded length, so that no record is too long to save.

- evidence_cjk_grams took substr(run, i, 2) for each position i of a run of Han characters. In UTF-8, substr walks
  the run from its start each time, so a run of n characters cost n²/2 steps: 40,000 characters took 6.9 s, and
  a 350,000-character summary held a core for minutes on every save. The run is now split into its characters
  once (string_to_array(run, NULL)) and each gram is a character and the next one (lead()): 40,000 characters in
  0.14 s, 100,000 in 0.37 s. The grams and their positions are the same as before.
- A tsvector holds at most 1 MB of lexemes and positions, so a field of 1 MB of distinct words ("string is too
  long for tsvector") made every save of its record fail. evidence_text_vector now reads only the first
  SEARCH_INDEXED_CHARACTERS characters of a document (the title, the shared text, the protected text). Little is
  lost: a position past 16,383 is already stored as 16,383, so in a longer document a Chinese word (a phrase of
  grams) could not be found past that point anyway, and the fields members type are limited to 20,000 characters
  each (evidence/models.py); only a record citing many long excerpts reaches the cap, and its first 30,000
  characters are found. Worst case, the shared and the protected document each of 30,000 Han characters giving
  30,000 distinct grams (6 bytes and a position each, 2 more for the protected '~p'), stay near 0.9 MB, under the
  limit (tests/evidence/test_search_bounds.py saves records past the cap).
"""

from django.db import migrations

SEARCH_INDEXED_CHARACTERS = 30_000

# Han ideographs, as in migration 0005.
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

FORWARDS = rf"""
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

CREATE OR REPLACE FUNCTION evidence_text_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace(left(doc, {SEARCH_INDEXED_CHARACTERS}), '{CJK}+', ' ', 'g'))
           || evidence_cjk_grams(left(doc, {SEARCH_INDEXED_CHARACTERS}))
$$;

-- Records whose documents passed the cap are indexed again, now the same way as new ones.
UPDATE evidence_evidencerecord SET search_document = ''
 WHERE char_length(search_document) > {SEARCH_INDEXED_CHARACTERS}
    OR char_length(private_search_document) > {SEARCH_INDEXED_CHARACTERS};
"""

BACKWARDS = rf"""
CREATE OR REPLACE FUNCTION evidence_cjk_grams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(format('''%s'':%s', gram, least(n, 16383)), ' ')::tsvector, ''::tsvector)
    FROM (
        SELECT substr(run[1], i, 2) AS gram, row_number() OVER () AS n
        FROM regexp_matches(doc, '{CJK}+', 'g') AS run, generate_series(1, char_length(run[1])) AS i
    ) AS grams
$$;

CREATE OR REPLACE FUNCTION evidence_text_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace(doc, '{CJK}+', ' ', 'g')) || evidence_cjk_grams(doc)
$$;
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases (as in migration 0005)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0010_random_ids"),
    ]

    operations = [
        PostgreSQLOnly(FORWARDS, BACKWARDS),
    ]
