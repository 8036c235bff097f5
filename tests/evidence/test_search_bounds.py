"""
Long texts save and stay searchable (issue 13, finding 8 and the tsvector half of 11). On PostgreSQL the search
trigger built Chinese grams in quadratic time (100,000 characters took ~23 s, a 350,000-character summary minutes)
and a record holding more than 1 MB of distinct words could not be saved at all ("string is too long for
tsvector"). Each field is limited to 20,000 characters, so the long texts come from many citations of one record,
which the search document gathers. Migration 0009 documents the cap on what is indexed.
"""

import pytest

from tests.evidence.test_search import found, log
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

FIELD = 20_000


def han(count, *, start=0):
    # Distinct-looking Chinese text: every character of the CJK block in turn, so grams rarely repeat.
    return "".join(chr(0x4E00 + (start + i * 7919) % 20_000) for i in range(count))


def distinct_words(count, *, start=0):
    return " ".join(f"w{start + i:06x}" for i in range(count))


def test_it_saves_and_finds_a_record_citing_100k_chinese_characters(api_for, volunteer, group):
    api = api_for(volunteer)
    # Two of the citations are of a protected source: both the shared and the protected document are long.
    sources = [SourceFactory(group=group), SourceFactory(group=group, protected=True)]
    citations = [(sources[n % 2], {"excerpt": han(FIELD, start=n * FIELD), "translation": "An excerpt in Chinese."})
                 for n in range(4)]
    record = log(api, group, title="情绪识别 100k", summary=han(FIELD, start=4 * FIELD), citations=citations)

    assert found(api, "情绪识别") == [record]
    assert found(api, han(4, start=4 * FIELD + 100)) == [record]  # a word of the summary


def test_it_saves_and_finds_a_record_citing_over_a_megabyte_of_distinct_words(api_for, volunteer, group):
    api = api_for(volunteer)
    source = SourceFactory(group=group)
    words_per_field = FIELD // 8  # "w000000 " is eight characters
    citations = [(source, {"excerpt": distinct_words(words_per_field, start=2 * n * words_per_field),
                           "translation": distinct_words(words_per_field, start=(2 * n + 1) * words_per_field)})
                 for n in range(32)]
    record = log(api, group, title="A megabyte of words", summary="Many distinct words.", citations=citations)

    assert found(api, "megabyte") == [record]
    assert found(api, "w000002") == [record]
