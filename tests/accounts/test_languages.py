"""
Each person's own language: the switcher saves it on the account of a signed-in person, signing in brings it back
on any browser, and every e-mail is written in the language of the person who reads it.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import WorkerCheck
from campaigns.tasks import send_digests
from tests.factories import PASSWORD, CampaignFactory, InstitutionFactory, TargetFactory, TaskFactory

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def save_language(user, language):
    user.language = language
    user.save(update_fields=["language"])


class TestTheSwitcherSavesTheLanguage:
    def test_it_saves_the_choice_of_a_signed_in_person(self, client_for, volunteer):
        response = client_for(volunteer).post(reverse("set_language"), {"language": "zh-hans", "next": "/evidence/"})

        assert response.status_code == 302 and response["Location"] == "/evidence/"
        volunteer.refresh_from_db()
        assert volunteer.language == "zh-hans"

    def test_it_ignores_a_language_the_site_does_not_have(self, client_for, volunteer):
        save_language(volunteer, "zh-hans")

        client_for(volunteer).post(reverse("set_language"), {"language": "fr", "next": "/evidence/"})

        volunteer.refresh_from_db()
        assert volunteer.language == "zh-hans"

    def test_it_keeps_only_the_cookie_for_someone_signed_out(self, client):
        response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})

        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"

    def test_switching_back_to_english_is_saved_and_shown(self, client_for, volunteer):
        save_language(volunteer, "zh-hans")
        client = client_for(volunteer)

        client.post(reverse("set_language"), {"language": "en", "next": "/evidence/"})

        volunteer.refresh_from_db()
        assert volunteer.language == "en"
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        assert '<html lang="en">' in client.get("/evidence/").content.decode()


class TestSigningInRestoresIt:
    def test_signing_in_on_an_english_browser_brings_back_chinese(self, volunteer):
        save_language(volunteer, "zh-hans")
        browser = Client(**ENGLISH_BROWSER)

        response = browser.post(reverse("login"), {"login": "victor", "password": PASSWORD})

        assert response.status_code == 302
        assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
        page = browser.get("/evidence/").content.decode()
        assert '<html lang="zh-Hans">' in page
        # Signed out, the same browser keeps the language it was last shown.
        browser.post(reverse("logout"))
        assert '<html lang="zh-Hans">' in browser.get(reverse("login")).content.decode()

    def test_the_saved_language_outranks_the_cookie_and_the_browser(self, client_for, volunteer):
        save_language(volunteer, "zh-hans")
        client = client_for(volunteer)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

        page = client.get("/evidence/", **ENGLISH_BROWSER).content.decode()

        assert '<html lang="zh-Hans">' in page

    def test_an_api_call_with_a_token_gets_no_language_cookie(self, volunteer, fresh_cache):
        save_language(volunteer, "zh-hans")
        token = APIClient().post(reverse("api:token"), {"username": "victor", "password": PASSWORD}).json()["token"]
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        response = api.get(reverse("api:me"))

        assert response.status_code == 200 and settings.LANGUAGE_COOKIE_NAME not in response.cookies

    def test_without_a_saved_language_the_browser_decides(self, client_for, volunteer):
        page = client_for(volunteer).get("/evidence/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

        assert '<html lang="zh-Hans">' in page


class TestEmailsInTheReadersLanguage:
    def test_a_member_with_chinese_saved_gets_the_digest_in_chinese(self, group, campaigner, volunteer):
        campaign = CampaignFactory(group=group)
        save_language(campaigner, "zh-hans")
        today = timezone.localdate()
        TargetFactory(campaign=campaign, owner=campaigner, next_step="Chase Hikvision", next_step_due=today,
                      institution=InstitutionFactory(name="Hikvision", name_zh="海康威视"))
        TaskFactory(campaign=campaign, assignee=campaigner, title="Draft the letter", due_on=today - timedelta(3))
        TaskFactory(campaign=campaign, assignee=volunteer, title="Call the school", due_on=today)

        assert send_digests(today) == 2

        by_person = {message.to[0]: message for message in mail.outbox}
        carol, victor = by_person[campaigner.email], by_person[volunteer.email]
        assert carol.subject == "Disentangle：2 项事务到期"
        assert "carol，你好：" in carol.body and "Hikvision 海康威视 — Chase Hikvision" in carol.body
        assert "Hello" not in carol.body and "OVERDUE" not in carol.body
        # Another person's digest of the same run stays in their own language.
        assert victor.subject == "Disentangle: 1 item due" and "Hello victor," in victor.body

    def test_an_invitation_to_a_member_with_chinese_saved_is_in_chinese(
            self, client_for, coordinator, outsider, other_group, django_capture_on_commit_callbacks):
        save_language(coordinator, "zh-hans")

        with django_capture_on_commit_callbacks(execute=True):
            client_for(outsider).post(reverse("member-invite", args=[other_group.slug]),
                                      {"email": coordinator.email, "role": "volunteer"}, **ENGLISH_BROWSER)

        [message] = mail.outbox
        assert message.to == [coordinator.email]
        assert "邀请你" in message.subject + message.body and "invites you" not in message.body

    def test_an_invitation_to_an_unknown_address_follows_the_inviting_coordinator(
            self, client_for, outsider, other_group, django_capture_on_commit_callbacks):
        save_language(outsider, "zh-hans")

        with django_capture_on_commit_callbacks(execute=True):
            client_for(outsider).post(reverse("member-invite", args=[other_group.slug]),
                                      {"email": "new.person@example.org", "role": "volunteer"})

        [message] = mail.outbox
        assert "邀请你" in message.body

    def test_a_password_reset_asked_from_an_english_browser_is_in_the_accounts_language(self, coordinator):
        save_language(coordinator, "zh-hans")

        Client(**ENGLISH_BROWSER).post(reverse("account_reset_password"), {"email": coordinator.email})

        [message] = mail.outbox
        assert "密码" in message.subject + message.body
        assert "/accounts/password/reset/key/" in message.body


class TestJobErrorsInTheReadersLanguage:
    def test_a_failed_worker_check_says_why_in_each_readers_language(self, client_for, coordinator, group,
                                                                     dead_broker, django_capture_on_commit_callbacks):
        client = client_for(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("worker-check-list", args=[group.slug]))
        check = WorkerCheck.objects.get(group=group)

        assert "The job queue could not be reached" in client.get(check.get_absolute_url()).content.decode()
        save_language(coordinator, "zh-hans")
        page = client.get(check.get_absolute_url()).content.decode()
        assert "无法连接任务队列：" in page and "The job queue could not be reached" not in page
