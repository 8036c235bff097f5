"""
The interface in English and Simplified Chinese: the language comes from the switcher's cookie, else the browser's
Accept-Language, else English; there are no language prefixes in the paths. Data is shown as entered.
"""

import datetime
import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import CampaignFactory, EvidenceRecordFactory

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}

pytestmark = pytest.mark.django_db


def test_it_answers_in_english_without_a_language_asked_for(client):
    page = client.get(reverse("login")).content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page


@pytest.mark.parametrize("accept", ["zh-CN,zh;q=0.9", "zh-Hans", "zh"])
def test_it_answers_in_chinese_when_the_browser_asks_for_it(client, accept):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert '<html lang="zh-Hans">' in page
    assert "<h1>登录</h1>" in page
    assert "跳到正文" in page  # the skip link, from base.html


def test_it_names_each_language_in_itself_in_the_switcher(client):
    page = client.get(reverse("login"), **CHINESE).content.decode()

    assert f'<form class="language-switcher" method="post" action="{reverse("set_language")}">' in page
    assert '<label for="language-switcher">语言</label>' in page
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="zh-hans" lang="zh-Hans" selected>简体中文</option>' in page
    assert '<input type="hidden" name="next" value="/login/">' in page


def test_it_keeps_the_switchers_choice_in_a_cookie_and_goes_back(client_for, volunteer):
    client = client_for(volunteer)

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/evidence/?status=draft"})

    assert response.status_code == 302 and response["Location"] == "/evidence/?status=draft"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans" and cookie["httponly"] and cookie["samesite"] == "Lax"
    # The cookie wins over the browser's own preference.
    page = client.get("/evidence/?status=draft", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-Hans">' in page and "<h1>证据</h1>" in page

    client.post(reverse("set_language"), {"language": "en", "next": "/evidence/"})
    assert "<h1>Evidence</h1>" in client.get("/evidence/", **CHINESE).content.decode()


@pytest.mark.parametrize("unsafe", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_it_never_follows_an_off_site_next(client, unsafe):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": unsafe})

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_it_ignores_a_language_the_site_does_not_offer(client):
    # Django stores any language it has a catalogue for (its own include French); LANGUAGES decides what is used.
    client.post(reverse("set_language"), {"language": "fr", "next": "/login/"})
    assert '<html lang="en">' in client.get("/login/").content.decode()

    response = client.post(reverse("set_language"), {"language": "<script>", "next": "/login/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_it_refuses_a_language_switch_without_the_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})

    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_it_shows_chinese_dates_and_numbers_on_a_real_page(client_for, volunteer, group):
    record = EvidenceRecordFactory(group=group, title="Cameras in Hangzhou", event_start=datetime.date(2026, 11, 23))
    client = client_for(volunteer)

    detail = client.get(record.get_absolute_url(), **CHINESE).content.decode()
    imports = client.get(reverse("evidence-import"), **CHINESE).content.decode()

    assert '<time datetime="2026-11-23">2026年11月23日</time>' in detail  # the machine format stays ISO
    assert "Cameras in Hangzhou" in detail  # data is shown as entered
    assert f"最多 {settings.IMPORT_MAX_ROWS:,} 行" in imports  # grouped by thousands, as in 50,000
    english = client.get(record.get_absolute_url()).content.decode()
    assert '<time datetime="2026-11-23">23 Nov 2026</time>' in english


def test_it_counts_with_the_right_plural_in_english_and_none_in_chinese(client_for, volunteer, group):
    EvidenceRecordFactory(group=group)
    client = client_for(volunteer)

    assert "\n  1 record.\n" in client.get("/evidence/").content.decode()
    EvidenceRecordFactory(group=group)
    assert "\n  2 records.\n" in client.get("/evidence/").content.decode()
    assert "\n  2 条记录。\n" in client.get("/evidence/", **CHINESE).content.decode()


def test_it_translates_the_navigation_and_the_roles(client_for, coordinator, group):
    page = client_for(coordinator).get(group.get_absolute_url(), **CHINESE).content.decode()

    assert ">倡导行动</a>" in page and ">审计日志</a>" in page
    assert '<span class="role-badge" data-role="coordinator">协调员</span>' in page
    assert "<h2 id=\"role-heading\">你的角色：协调员</h2>" in page


def test_it_shows_a_form_again_with_its_errors_in_chinese(client_for, campaigner, group):
    response = client_for(campaigner).post(reverse("campaign-create"), {
        "group": group.pk, "title": "", "goal": "Ban it", "status": "active", "starts_on": "2026-05-01",
        "ends_on": "2026-01-01"}, **CHINESE)

    page = response.content.decode()
    assert response.status_code == 400
    assert '<label for="id_title">标题</label>' in page
    assert "该字段是必填项。" in page  # Django's own message
    assert "倡导行动的结束日期必须晚于开始日期。" in page  # ours
    assert "Ban it</textarea>" in page  # what was typed is kept


def test_it_answers_an_api_400_in_the_language_asked_for(api_for, campaigner, group):
    body = {"group": group.slug, "title": "T", "goal": "G", "starts_on": "2026-05-01", "ends_on": "2026-01-01"}
    api = api_for(campaigner)

    chinese = api.post(reverse("api:campaign-list"), body, format="json", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    english = api.post(reverse("api:campaign-list"), body, format="json")

    assert chinese.status_code == english.status_code == 400
    assert chinese.json() == {"ends_on": ["倡导行动的结束日期必须晚于开始日期。"]}
    assert english.json() == {"ends_on": ["The campaign must end after it starts."]}
    assert chinese.headers["Content-Language"] == "zh-hans"


def test_it_keeps_ids_in_links_free_of_separators(client_for, volunteer, group):
    # No USE_THOUSAND_SEPARATOR: a record numbered 12345 is /evidence/12345/, never /evidence/12,345/.
    record = EvidenceRecordFactory(group=group, pk=12345)
    CampaignFactory(group=group, pk=23456)

    evidence = client_for(volunteer).get("/evidence/", **CHINESE).content.decode()
    campaigns = client_for(volunteer).get("/campaigns/", **CHINESE).content.decode()

    assert f'href="{record.get_absolute_url()}"' in evidence and "/evidence/12345/" in evidence
    assert "/campaigns/23456/" in campaigns


#
# The catalogue: every marked string translated, the committed .mo compiled from the committed .po
#

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


def catalogue():
    return polib.pofile(str(LOCALE / "django.po"))


def test_it_translates_every_entry_of_the_catalogue_with_the_same_placeholders():
    po = catalogue()

    assert not [e.msgid for e in po.untranslated_entries()], "entries without a translation"
    assert not [e.msgid for e in po.fuzzy_entries()], "fuzzy entries, to check and unmark"
    for entry in po.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for translation in translations:
            # A placeholder the English lacks would raise when the string is formatted; a missing one loses data.
            assert sorted(PLACEHOLDER.findall(translation)) == wanted, (entry.msgid, translation)


def test_it_ships_the_mo_compiled_from_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    catalogue().save_as_mofile(str(fresh))

    def translations(mo):
        with open(mo, "rb") as file:
            catalog = gettext.GNUTranslations(file)._catalog
        catalog.pop("")  # the header, whose fields polib and msgfmt order differently
        return catalog

    assert translations(fresh) == translations(LOCALE / "django.mo"), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `make messages`")


def test_it_has_every_marked_string_in_the_catalogue(tmp_path):
    # makemessages (GNU xgettext) on a copy of the code, so that a string marked but never collected shows up here.
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI checks the translations: install GNU gettext (xgettext is missing).")
        pytest.skip("Collecting the marked strings needs GNU gettext (apt-get install gettext).")
    copy = tmp_path / "site"
    shutil.copytree(BASE_DIR, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "node_modules", "__pycache__", "*.egg-info", ".pytest_cache"))
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore", "bench/*",
         "--ignore", "tests/*"], cwd=copy, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    collected = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))

    def keys(po):
        return {(entry.msgctxt, entry.msgid) for entry in po}

    assert keys(collected) == keys(catalogue()), "run `make messages`: the marked strings have changed"
