"""
What saving a long text costs the search trigger on PostgreSQL: `python -m bench.long_text` with DATABASE_URL set
to a migrated database (nothing is kept: everything runs in a transaction that is rolled back).

Times evidence_text_vector (the function migration 0009 made linear, with its cap) against migration 0005's
quadratic gram building, for runs of 10,000 to 100,000 Han characters and for a megabyte of distinct words. Results
are in bench/README.md.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

# Migration 0005's functions, under other names, to compare with.
QUADRATIC = rf"""
CREATE FUNCTION pg_temp.quadratic_grams(doc text) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(format('''%s'':%s', gram, least(n, 16383)), ' ')::tsvector, ''::tsvector)
    FROM (
        SELECT substr(run[1], i, 2) AS gram, row_number() OVER () AS n
        FROM regexp_matches(doc, '{CJK}+', 'g') AS run, generate_series(1, char_length(run[1])) AS i
    ) AS grams
$$;
CREATE FUNCTION pg_temp.uncapped_vector(doc text) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT to_tsvector('simple', regexp_replace(doc, '{CJK}+', ' ', 'g')) || pg_temp.quadratic_grams(doc)
$$;
"""


def han(count):
    return "".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(count))


def timed(cursor, function, text):
    cursor.execute("SAVEPOINT attempt")
    start = time.perf_counter()
    try:
        cursor.execute(f"SELECT length({function}(%s))", [text])
        outcome = f"{cursor.fetchone()[0]} lexemes"
    except Exception as exc:  # the uncapped vector of a megabyte of words fails: that is the finding
        cursor.execute("ROLLBACK TO SAVEPOINT attempt")
        outcome = str(exc).splitlines()[0]
    return time.perf_counter() - start, outcome


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        sys.exit("bench/long_text.py measures PostgreSQL: set DATABASE_URL to a migrated database")
    texts = [(f"{n:,} Han characters", han(n)) for n in (10_000, 40_000, 100_000)]
    texts.append(("1 MB of distinct words", " ".join(f"w{i:06x}" for i in range(131_072))))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(QUADRATIC)
        print(f"{'text':<26}{'before (0005)':>16}{'after (0009)':>16}")
        for label, text in texts:
            before, before_outcome = timed(cursor, "pg_temp.uncapped_vector", text)
            after, after_outcome = timed(cursor, "evidence_text_vector", text)
            print(f"{label:<26}{before:>15.2f}s{after:>15.2f}s   {before_outcome} / {after_outcome}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
