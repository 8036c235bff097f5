"""
The names of institutions only a record's group sees go to its private search document, with protected sources'
text, instead of the shared one: a receiver of a shared copy must not find it by a name they cannot see
(evidence/disclosure.py). Only the owning group can see such an institution (a record names only the shared
directory's and its own group's), which is who the private document is searched for. An institution added to the
directory moves its name to the shared document of every record naming it. PostgreSQL only, as migration 0005.
"""

import importlib

from django.db import migrations

PostgreSQLOnly = importlib.import_module("evidence.migrations.0005_search_postgresql").PostgreSQLOnly


def _record_function(institutions_shared, institutions_private):
    return f"""
CREATE OR REPLACE FUNCTION evidence_record_search_documents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT concat_ws(E'\\n', NEW.title, NEW.summary,
                     string_agg(concat_ws(E'\\n', s.title, c.excerpt, c.translation), E'\\n' ORDER BY c.id)
                         FILTER (WHERE NOT s.protected)),
           coalesce(string_agg(concat_ws(E'\\n', s.title, c.excerpt, c.translation), E'\\n' ORDER BY c.id)
                        FILTER (WHERE s.protected), '')
      INTO NEW.search_document, NEW.private_search_document
      FROM evidence_citation c JOIN evidence_source s ON s.id = c.source_id
     WHERE c.record_id = NEW.id;
    NEW.search_document := concat_ws(E'\\n', NEW.search_document, (
        SELECT string_agg(DISTINCT i.search_text, E'\\n')
          FROM evidence_recordinstitution l JOIN evidence_institution i ON i.id = l.institution_id
         WHERE l.record_id = NEW.id {institutions_shared}));
    NEW.private_search_document := concat_ws(E'\\n', NEW.private_search_document, (
        SELECT string_agg(DISTINCT i.search_text, E'\\n')
          FROM evidence_recordinstitution l JOIN evidence_institution i ON i.id = l.institution_id
         WHERE l.record_id = NEW.id {institutions_private}));
    NEW.search_vector := setweight(evidence_text_vector(NEW.title), 'A')
        || evidence_text_vector(NEW.search_document)
        || evidence_private_vector(NEW.private_search_document)
        || array_to_tsvector(ARRAY['~g' || NEW.group_id] || CASE
               WHEN NEW.status = 'verified' AND NOT NEW.protected THEN
                   CASE WHEN NEW.shared_with_everyone THEN ARRAY['~everyone'] ELSE '{{}}'::text[] END
                   || ARRAY(SELECT '~s' || w.group_id FROM evidence_evidencerecord_shared_with w
                             WHERE w.evidencerecord_id = NEW.id)
               ELSE '{{}}'::text[] END);
    RETURN NEW;
END
$$;
"""


def _institution_function(changed):
    return f"""
CREATE OR REPLACE FUNCTION evidence_institution_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE evidence_evidencerecord SET search_document = '' WHERE id IN (
        SELECT l.record_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN evidence_recordinstitution l ON l.institution_id = n.id
         WHERE {changed});
    RETURN NULL;
END
$$;
"""


AFFECTED = """
UPDATE evidence_evidencerecord SET search_document = '' WHERE id IN (
    SELECT l.record_id FROM evidence_recordinstitution l JOIN evidence_institution i ON i.id = l.institution_id
     WHERE i.added_by_group_id IS NOT NULL);
"""

FORWARDS = (
    _record_function("AND i.added_by_group_id IS NULL", "AND i.added_by_group_id IS NOT NULL")
    + _institution_function("n.search_text IS DISTINCT FROM o.search_text "
                            "OR n.added_by_group_id IS DISTINCT FROM o.added_by_group_id")
    + AFFECTED
)

# 0005's functions: every institution's name in the shared document (the private part's query finds nothing).
BACKWARDS = (
    _record_function("", "AND false")
    + _institution_function("n.search_text IS DISTINCT FROM o.search_text")
    + AFFECTED
)


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0008_record_list_indexes"),
    ]

    operations = [
        PostgreSQLOnly(FORWARDS, BACKWARDS),
    ]
