"""The group's audit log: coordinators read, filter and export it; nobody else sees it."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from tests.factories import AttachmentFactory, AuditEntryFactory, InteractionAttachmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def listed(response):
    return [entry.pk for entry in response.context["entries"]]


class TestAuditPage:
    def test_coordinators_read_their_groups_entries_newest_first(self, client_for, coordinator, group, other_group):
        old = AuditEntryFactory(group=group, actor=coordinator, action="membership.added")
        new = AuditEntryFactory(group=group, actor=coordinator, action="membership.removed")
        AuditEntryFactory(group=other_group, action="membership.added", object_repr="Beta Rights secret")
        response = client_for(coordinator).get(reverse("audit-log", args=[group.slug]))
        assert response.status_code == 200
        assert listed(response) == [new.pk, old.pk]
        assert b"Beta Rights secret" not in response.content

    def test_it_is_in_the_coordinators_menu_only(self, client_for, coordinator, campaigner, group):
        url = reverse("audit-log", args=[group.slug])
        menu = client_for(coordinator).get(reverse("group-dashboard", args=[group.slug])).context["nav_items"]
        assert url in [item["url"] for item in menu]
        menu = client_for(campaigner).get(reverse("group-dashboard", args=[group.slug])).context["nav_items"]
        assert url not in [item["url"] for item in menu]

    @pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
    def test_other_members_are_refused(self, client_for, actors, group, actor):
        client = client_for(actors[actor])
        assert client.get(reverse("audit-log", args=[group.slug])).status_code == 403
        assert client.get(reverse("audit-export", args=[group.slug])).status_code == 403

    def test_another_groups_coordinator_gets_404(self, client_for, outsider, group):
        client = client_for(outsider)
        assert client.get(reverse("audit-log", args=[group.slug])).status_code == 404
        assert client.get(reverse("audit-export", args=[group.slug])).status_code == 404

    def test_it_filters_by_action_actor_and_date(self, client_for, coordinator, campaigner, group):
        signed_in = AuditEntryFactory(group=group, actor=campaigner, action="auth.signed_in")
        changed = AuditEntryFactory(group=group, actor=coordinator, action="membership.role_changed")
        last_month = AuditEntryFactory(group=group, actor=coordinator, action="membership.role_changed")
        AuditEntry.objects.filter(pk=last_month.pk).update(created_at=timezone.now() - timedelta(days=30))
        client = client_for(coordinator)
        url = reverse("audit-log", args=[group.slug])
        assert listed(client.get(url, {"action": "auth.signed_in"})) == [signed_in.pk]
        assert listed(client.get(url, {"actor": "carol"})) == [signed_in.pk]
        week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
        assert set(listed(client.get(url, {"after": week_ago}))) == {signed_in.pk, changed.pk}
        assert listed(client.get(url, {"before": week_ago})) == [last_month.pk]

    def test_it_shows_bad_filters_as_form_errors(self, client_for, coordinator, group):
        response = client_for(coordinator).get(reverse("audit-log", args=[group.slug]),
                                               {"after": "not-a-date", "actor": "nobody", "action": "x"})
        assert response.status_code == 200
        assert set(response.context["filter"].form.errors) == {"after", "actor", "action"}

    def test_it_pages_and_keeps_a_fixed_number_of_queries(self, client_for, coordinator, group, count_queries):
        client = client_for(coordinator)
        url = reverse("audit-log", args=[group.slug])
        AuditEntryFactory.create_batch(2, group=group, actor=coordinator)
        client.get(url)
        few = count_queries(lambda: client.get(url))
        AuditEntryFactory.create_batch(120, group=group)
        many = count_queries(lambda: client.get(url, {"page": 2}))
        assert few == many <= 12, (few, many)
        page = client.get(url, {"page": 2})
        assert len(page.context["entries"]) == 50 and page.context["page_obj"].paginator.num_pages == 3


class TestAuditExport:
    def test_it_exports_the_filtered_entries_as_csv_and_records_the_export(self, client_for, coordinator, group):
        AuditEntryFactory(group=group, actor=coordinator, action="membership.role_changed",
                          object_repr="=HYPERLINK(\"http://evil\")", after={"role": "viewer"})
        AuditEntryFactory(group=group, actor=coordinator, action="auth.signed_in")
        response = client_for(coordinator).get(reverse("audit-export", args=[group.slug]),
                                               {"action": "membership.role_changed"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="alpha-watch-audit.csv"' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:3] == ["time (UTC)", "action", "actor"]
        assert len(rows) == 2 and rows[1][1:3] == ["membership.role_changed", "alice"]
        assert rows[1][5].startswith("'=")  # a spreadsheet shows it, never runs it
        assert rows[1][7] == '{"role": "viewer"}'
        export = AuditEntry.objects.get(action="audit.exported")
        assert export.actor == coordinator and export.group == group and export.after == {"entries": 1}


    # Names a member can choose (the username validator allows + - @) and text an entry can carry.
    @pytest.mark.parametrize("name", ["+1+9-961a", "-2+3", "@SUM(1+1)", "=cmd|' /C calc'!A0", "\tplain", "\rplain"])
    def test_it_leaves_no_cell_a_spreadsheet_would_run(self, client_for, coordinator, group, name):
        AuditEntryFactory(group=group, actor=UserFactory(username=name), action="auth.signed_in",
                          object_type=name, object_id=name, object_repr=name, before={"x": name})
        response = client_for(coordinator).get(reverse("audit-export", args=[group.slug]))
        header, *rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
        assert rows and all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
        assert [row[2] for row in rows] == ["'" + name]  # shown as typed, behind the quote that makes it text


class TestWhatIsRecorded:
    def test_downloading_an_attachment_is_recorded(self, client_for, volunteer, group):
        attachment = AttachmentFactory(group=group, record__group=group)
        response = client_for(volunteer).get(reverse("attachment-download", args=[attachment.pk]))
        assert response.status_code == 200
        entry = AuditEntry.objects.get(action="attachment.downloaded")
        assert entry.actor == volunteer and entry.group == group and entry.object_id == str(attachment.pk)

    def test_a_refused_download_records_nothing(self, client_for, outsider, group):
        attachment = AttachmentFactory(group=group, record__group=group)
        assert client_for(outsider).get(reverse("attachment-download", args=[attachment.pk])).status_code == 404
        assert not AuditEntry.objects.filter(action="attachment.downloaded").exists()

    def test_downloading_an_interaction_file_is_recorded_like_an_evidence_file(self, client_for, campaigner, group):
        attachment = InteractionAttachmentFactory(interaction__target__campaign__group=group)
        response = client_for(campaigner).get(reverse("interaction-attachment-download", args=[attachment.pk]))
        assert response.status_code == 200
        entry = AuditEntry.objects.get(action="attachment.downloaded")
        assert entry.actor == campaigner and entry.group == group and entry.object_id == str(attachment.pk)
        assert entry.object_type == "campaigns.InteractionAttachment"

    def test_a_refused_interaction_file_download_records_nothing(self, client_for, outsider, group):
        attachment = InteractionAttachmentFactory(interaction__target__campaign__group=group)
        response = client_for(outsider).get(reverse("interaction-attachment-download", args=[attachment.pk]))
        assert response.status_code == 404
        assert not AuditEntry.objects.filter(action="attachment.downloaded").exists()

    def test_role_changes_appear_in_the_log(self, client_for, coordinator, viewer, group):
        client = client_for(coordinator)
        membership = viewer.memberships.get()
        client.post(reverse("member-change-role", args=[membership.pk]), {"role": "volunteer"})
        response = client.get(reverse("audit-log", args=[group.slug]), {"action": "membership.role_changed"})
        assert [entry.after["role"] for entry in response.context["entries"]] == ["volunteer"]
