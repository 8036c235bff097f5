"""
The error pages, as production shows them (DEBUG off): in the site's layout and language, saying what to do next.
The 500 and 400 pages are rendered without a request (Django's server_error and bad_request), so they must not
need one.
"""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import include, path

from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db


def broken(request):
    raise RuntimeError("a bug")


def refused(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a forged header")


# The site's own routes, and three that fail on purpose (this module is the URLconf of the tests marked below).
urlpatterns = [
    path("broken/", broken),
    path("refused/", refused),
    path("suspicious/", suspicious),
    path("", include("config.urls")),
]
handler400 = "config.views.bad_request"


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def assert_in_layout(response):
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    return html


def test_it_shows_a_404_in_the_layout_with_the_menu_of_a_member(client_for, volunteer):
    response = client_for(volunteer).get("/no-such-page/")

    assert response.status_code == 404
    html = assert_in_layout(response)
    assert "<h1>Page not found</h1>" in html
    assert 'aria-label="Main"' in html  # signed in: their navigation, as on every page
    assert "victor" in html


def test_another_groups_record_gets_the_same_404_page_as_a_missing_one(client_for, volunteer, other_group):
    record = EvidenceRecordFactory(group=other_group, title="Beta's secret source")
    client = client_for(volunteer)

    theirs = client.get(record.get_absolute_url())
    missing = client.get("/evidence/1/")

    assert theirs.status_code == missing.status_code == 404
    assert "Beta" not in theirs.content.decode()
    for response in (theirs, missing):
        assert "<h1>Page not found</h1>" in response.content.decode()


def test_it_shows_a_404_in_chinese_to_a_chinese_reader(client):
    client.cookies["django_language"] = "zh-hans"

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>找不到页面</h1>" in assert_in_layout(response)


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_a_403_in_the_layout(client_for, viewer):
    response = client_for(viewer).get("/refused/")

    assert response.status_code == 403
    html = assert_in_layout(response)
    assert "<h1>Not allowed</h1>" in html
    assert "Your role in this group does not allow this." in html


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_a_400_in_the_layout_without_a_request(client_for, viewer):
    response = client_for(viewer).get("/suspicious/")

    assert response.status_code == 400
    html = assert_in_layout(response)
    assert "<h1>Bad request</h1>" in html
    assert "Nothing was saved." in html


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_a_500_in_the_layout_without_a_request(viewer):
    client = Client(raise_request_exception=False)
    client.force_login(viewer)

    response = client.get("/broken/")

    assert response.status_code == 500
    html = assert_in_layout(response)
    assert "<h1>Something went wrong on our side</h1>" in html
    # Rendered without the context processors: no account, menu or forms that would need the request.
    assert "vera" not in html and "<form" not in html and 'class="site-menu"' not in html
    assert '<a href="/">' in html or 'href="/"' in html


@pytest.mark.urls("tests.test_error_pages")
def test_it_shows_the_500_in_chinese_to_a_chinese_reader():
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "zh-hans"

    response = client.get("/broken/")

    assert response.status_code == 500
    assert "<h1>我们这边出了问题</h1>" in assert_in_layout(response)
