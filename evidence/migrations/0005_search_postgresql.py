"""
PostgreSQL search (evidence/search.py): triggers that keep EvidenceRecord.search_document and
private_search_document current, a search_vector column holding what search looks up, and its GIN index.
Nothing happens on SQLite, where search reads the rows themselves.

search_vector holds, as full-text lexemes:
- the words of the title (weight A) and of search_document ('simple' configuration: lower-cased, no stemming,
  since the text is in many languages);
- Chinese, which has no spaces: every two-character gram of each run of Han characters, with positions so that
  a longer word is a phrase of grams ('情绪' <-> '绪识' <-> '识别'), and each run's last character, so that any
  single character is a prefix lookup ('课':*);
- the same for private_search_document with every lexeme prefixed '~p', so that a query can reach protected text
  on the group's own records only;
- who may see the record: '~g<group id>' for its own group and, when it is verified and not protected,
  '~everyone' and '~s<group id>' for each group it is shared with (EvidenceRecordQuerySet.visible_to's rule).
  A search then finds the user's visible matches inside the index, without visiting the rows of others;
  visible_to still decides what is shown.

Triggers, not the Python services, so that every way rows are written (services, imports' bulk_create, admin,
queryset.update(), a source marked protected, an institution renamed, a share) leaves the documents right: a
protected source's text left in the shared part would be found by receivers of shared copies. On SQLite, triggers
would break Django's table rebuilds. No record trigger has a column list or WHEN clause and nothing is a generated
column, since those stop later migrations from changing the type of the columns they name.

The vector is kept inline (STORAGE MAIN) and the documents out of line (EXTERNAL): ranking reads the vector of
every match, and measured 2x faster so at 100,000 records (bench/README.md).
"""

from django.db import migrations

# Han ideographs (CJK Unified, Extension A, Compatibility): the characters Chinese is written in. The same class
# is in evidence/search.py.
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

FORWARDS = rf"""
ALTER TABLE evidence_evidencerecord ADD COLUMN search_vector tsvector NOT NULL DEFAULT '';
ALTER TABLE evidence_evidencerecord
    ALTER COLUMN search_vector SET STORAGE MAIN,
    ALTER COLUMN search_document SET STORAGE EXTERNAL,
    ALTER COLUMN private_search_document SET STORAGE EXTERNAL;

-- Grams are written as tsvector text (Han characters need no quoting), so no locale is involved.
CREATE FUNCTION evidence_cjk_grams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(format('''%s'':%s', gram, least(n, 16383)), ' ')::tsvector, ''::tsvector)
    FROM (
        SELECT substr(run[1], i, 2) AS gram, row_number() OVER () AS n
        FROM regexp_matches(doc, '{CJK}+', 'g') AS run, generate_series(1, char_length(run[1])) AS i
    ) AS grams
$$;

CREATE FUNCTION evidence_text_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace(doc, '{CJK}+', ' ', 'g')) || evidence_cjk_grams(doc)
$$;

CREATE FUNCTION evidence_private_vector(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(
        format('''~p%s'':%s', replace(replace(lexeme, '\', '\\'), '''', ''''''), array_to_string(positions, ',')),
        ' ')::tsvector, ''::tsvector)
    FROM unnest(evidence_text_vector(doc))
$$;

-- Every insert or update of a record recomputes its documents from its current citations, institutions and
-- shares; the values written are ignored. Writing search_document = '' is how the other triggers ask for it.
CREATE FUNCTION evidence_record_search_documents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT concat_ws(E'\n', NEW.title, NEW.summary,
                     string_agg(concat_ws(E'\n', s.title, c.excerpt, c.translation), E'\n' ORDER BY c.id)
                         FILTER (WHERE NOT s.protected)),
           coalesce(string_agg(concat_ws(E'\n', s.title, c.excerpt, c.translation), E'\n' ORDER BY c.id)
                        FILTER (WHERE s.protected), '')
      INTO NEW.search_document, NEW.private_search_document
      FROM evidence_citation c JOIN evidence_source s ON s.id = c.source_id
     WHERE c.record_id = NEW.id;
    NEW.search_document := concat_ws(E'\n', NEW.search_document, (
        SELECT string_agg(DISTINCT i.search_text, E'\n')
          FROM evidence_recordinstitution l JOIN evidence_institution i ON i.id = l.institution_id
         WHERE l.record_id = NEW.id));
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
CREATE TRIGGER evidence_record_search_documents BEFORE INSERT OR UPDATE ON evidence_evidencerecord
    FOR EACH ROW EXECUTE FUNCTION evidence_record_search_documents();

-- Citations, institution links and shares: once per statement, so a bulk_create touches each record once.
-- The trigger's argument names the column holding the record's id.
CREATE FUNCTION evidence_record_relation_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'INSERT' THEN 'SELECT %1$I FROM new_rows'
                               WHEN 'DELETE' THEN 'SELECT %1$I FROM old_rows'
                               ELSE 'SELECT %1$I FROM new_rows UNION SELECT %1$I FROM old_rows' END;
BEGIN
    EXECUTE format('UPDATE evidence_evidencerecord SET search_document = '''' WHERE id IN (' || changed || ')',
                   TG_ARGV[0]);
    RETURN NULL;
END
$$;
CREATE TRIGGER evidence_citation_inserted AFTER INSERT ON evidence_citation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_citation_updated AFTER UPDATE ON evidence_citation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_citation_deleted AFTER DELETE ON evidence_citation
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_recordinstitution_inserted AFTER INSERT ON evidence_recordinstitution
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_recordinstitution_updated AFTER UPDATE ON evidence_recordinstitution
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_recordinstitution_deleted AFTER DELETE ON evidence_recordinstitution
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('record_id');
CREATE TRIGGER evidence_share_inserted AFTER INSERT ON evidence_evidencerecord_shared_with
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('evidencerecord_id');
CREATE TRIGGER evidence_share_updated AFTER UPDATE ON evidence_evidencerecord_shared_with
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('evidencerecord_id');
CREATE TRIGGER evidence_share_deleted AFTER DELETE ON evidence_evidencerecord_shared_with
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_relation_changed('evidencerecord_id');

-- A source retitled or (un)protected moves text between the shared and the private document of every record
-- citing it; a renamed institution changes every record linked to it.
CREATE FUNCTION evidence_source_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE evidence_evidencerecord SET search_document = '' WHERE id IN (
        SELECT c.record_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN evidence_citation c ON c.source_id = n.id
         WHERE n.title IS DISTINCT FROM o.title OR n.protected IS DISTINCT FROM o.protected);
    RETURN NULL;
END
$$;
CREATE TRIGGER evidence_source_changed AFTER UPDATE ON evidence_source
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_source_changed();

CREATE FUNCTION evidence_institution_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE evidence_evidencerecord SET search_document = '' WHERE id IN (
        SELECT l.record_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN evidence_recordinstitution l ON l.institution_id = n.id
         WHERE n.search_text IS DISTINCT FROM o.search_text);
    RETURN NULL;
END
$$;
CREATE TRIGGER evidence_institution_changed AFTER UPDATE ON evidence_institution
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_institution_changed();

CREATE INDEX evidence_record_search_vector ON evidence_evidencerecord USING gin (search_vector);

-- Existing records.
UPDATE evidence_evidencerecord SET search_document = '';
"""

BACKWARDS = """
DROP TRIGGER evidence_institution_changed ON evidence_institution;
DROP FUNCTION evidence_institution_changed();
DROP TRIGGER evidence_source_changed ON evidence_source;
DROP FUNCTION evidence_source_changed();
DROP TRIGGER evidence_share_deleted ON evidence_evidencerecord_shared_with;
DROP TRIGGER evidence_share_updated ON evidence_evidencerecord_shared_with;
DROP TRIGGER evidence_share_inserted ON evidence_evidencerecord_shared_with;
DROP TRIGGER evidence_recordinstitution_deleted ON evidence_recordinstitution;
DROP TRIGGER evidence_recordinstitution_updated ON evidence_recordinstitution;
DROP TRIGGER evidence_recordinstitution_inserted ON evidence_recordinstitution;
DROP TRIGGER evidence_citation_deleted ON evidence_citation;
DROP TRIGGER evidence_citation_updated ON evidence_citation;
DROP TRIGGER evidence_citation_inserted ON evidence_citation;
DROP FUNCTION evidence_record_relation_changed();
DROP TRIGGER evidence_record_search_documents ON evidence_evidencerecord;
DROP FUNCTION evidence_record_search_documents();
DROP INDEX evidence_record_search_vector;
ALTER TABLE evidence_evidencerecord DROP COLUMN search_vector;
ALTER TABLE evidence_evidencerecord
    ALTER COLUMN search_document SET STORAGE EXTENDED,
    ALTER COLUMN private_search_document SET STORAGE EXTENDED;
DROP FUNCTION evidence_private_vector(text);
DROP FUNCTION evidence_text_vector(text);
DROP FUNCTION evidence_cjk_grams(text);
UPDATE evidence_evidencerecord SET search_document = '', private_search_document = '';
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("evidence", "0004_search_documents"),
    ]

    operations = [
        PostgreSQLOnly(FORWARDS, BACKWARDS),
    ]
