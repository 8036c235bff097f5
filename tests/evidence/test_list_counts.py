"""
The evidence list counts its records only up to a limit (issue 20: counting every record a member may see read
them all on every page): past it, the page says "more than" and each page knows only whether another follows, and
every record is still on some page. The API's `count` stays exact (tests/evidence/test_search.py).
"""

import pytest
from django.urls import reverse

from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(group):
    return [EvidenceRecordFactory(group=group, title=f"Deployment {n}") for n in range(55)]


def ids_on(response):
    return [record.pk for record in response.context["page_obj"]]


def test_a_list_longer_than_the_limit_says_more_than_and_reaches_every_record(client_for, volunteer, records,
                                                                            monkeypatch):
    monkeypatch.setattr("evidence.views.record_list.RANKED_MATCHES", 50)
    client = client_for(volunteer)
    first = client.get(reverse("evidence-list"))
    second = client.get(reverse("evidence-list"), {"page": 2})
    past_the_end = client.get(reverse("evidence-list"), {"page": 3})

    assert sorted(ids_on(first) + ids_on(second)) == sorted(record.pk for record in records)
    assert len(ids_on(first)) == 50 and first.context["page_obj"].paginator.more_than == 50
    page = first.content.decode()
    assert "More than 50 records, page 1." in page and 'rel="next"' in page and "Page 1 of" not in page
    assert "apply the change to all the more than 50 matching the filters" in page  # not "all 51"
    page = second.content.decode()
    assert "Page 2</li>" in page and 'rel="prev"' in page and 'rel="next"' not in page
    assert past_the_end.context["page_obj"].number == 2 and ids_on(past_the_end) == ids_on(second)


def test_a_list_within_the_limit_counts_exactly(client_for, viewer, records):
    response = client_for(viewer).get(reverse("evidence-list"), {"page": 2})

    assert response.context["page_obj"].paginator.more_than is None
    assert "55 records, page 2 of 2." in response.content.decode()
