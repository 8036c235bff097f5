"""
Backups: alice's group Alpha Watch is exported with `manage.py export_group`, the site loses everything, and
`manage.py import_group` brings it back onto the empty site. Exporting again gives the same rows and the same files,
byte for byte: nothing was lost. A damaged archive or a clash restores nothing.
"""

import hashlib
import io
import json
import zipfile

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db.models import Q

from accounts.audit import record_change
from accounts.models import AuditEntry, Group, Membership, User
from campaigns.models import Campaign, InteractionAttachment, StanceChange, Target
from evidence.models import (
    Attachment,
    EvidenceRecord,
    Institution,
    Recommendation,
    Relationship,
    Report,
    Right,
    Sector,
)
from evidence.services import directory, records
from tests.factories import (
    PASSWORD,
    AttachmentFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InteractionAttachmentFactory,
    InteractionFactory,
    InvitationFactory,
    SourceFactory,
    StanceChangeFactory,
    TargetEvidenceFactory,
    TargetFactory,
    TaskFactory,
    WorkerCheckFactory,
    add_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_with_everything(actors, group, other_group, outsider):
    call_command("load_report", stdout=open("/dev/null", "w"))
    hikvision = Institution.objects.get(slug="hikvision")
    own = directory.add_group_institution(group, actor=actors["volunteer"], name="Example Vision", kind="company",
                                         name_zh="示例视觉")
    protected_source = SourceFactory(group=group, title="Whistle-blower's notes", protected=True)
    record = records.create_record(
        group, actor=actors["volunteer"], title="Cameras in classrooms", summary="Scores pupils' moods.",
        kind="deployment", institutions=[(hikvision, "vendor")], tags=["schools", "杭州"],
        citations=[{"source": protected_source, "excerpt": "情绪识别", "translation": "emotion recognition"}],
        recommendations=list(Recommendation.objects.all()[:1]),
    )
    records.submit_record(record, actor=actors["volunteer"])
    records.verify_record(record, actor=actors["coordinator"])
    records.share_record(record, actor=actors["coordinator"], groups=[other_group])
    AttachmentFactory(group=group, record=record, content=b"%PDF-1.4 a memo", original_name="memo.pdf")
    second = CitationFactory(record=EvidenceRecordFactory(group=group, title="Second record")).record
    capture_a_source(second.citations.get().source)
    second.institution_links.create(institution=own, role="deployer")
    InvitationFactory(group=group, email="new@example.org")
    WorkerCheckFactory(group=group, status="done")
    record_change(actor=actors["coordinator"], obj=group, action="group.checked", group=group)
    # A campaign with its target, letters, files, moves and tasks, and alice's second factor.
    target = TargetFactory(campaign__group=group, institution=hikvision, owner=actors["campaigner"])
    reply = InteractionFactory(target=target, direction="received", kind="reply", summary="We will stop.")
    InteractionAttachmentFactory(interaction=reply, content=b"their reply")
    StanceChangeFactory(target=target, from_status="contacted", to_status="committed", interaction=reply,
                        changed_by=actors["campaigner"])
    TargetEvidenceFactory(target=target, record=record)
    TaskFactory(campaign=target.campaign, target=target, assignee=actors["campaigner"])
    add_second_factor(actors["coordinator"])
    # Beta Rights' own work, which must not travel with Alpha Watch's archive.
    EvidenceRecordFactory(group=other_group, title="Beta Rights record")
    return group


def capture_a_source(source):
    """A finished capture of `source` with its HTML file (evidence/capture/)."""
    from django.core.files.base import ContentFile

    from evidence.models import CaptureFile, SourceCapture

    capture = SourceCapture.objects.create(group=source.group, source=source, url="https://example.org/page",
                                           status="done", page_title="Vendor page")
    row = CaptureFile(group=source.group, capture=capture, kind="html", original_name="page.html",
                      content_type="text/html", size=16, sha256="0" * 64)
    row.file.name = storages["private"].save(f"{capture.storage_folder()}/page.html", ContentFile(b"<p>as it was</p>"))
    row.save()


def archive_contents(path):
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return manifest, archive.read("data.json"), {name: archive.read(name) for name in archive.namelist()
                                                      if name.startswith("files/")}


def without_backup_entries(data):
    """The rows, less the audit entries that the export and the restore themselves write."""
    return [row for row in json.loads(data) if row["model"] != "accounts.auditentry"
            or row["fields"]["action"] not in ("group.exported", "group.restored")]


def wipe_the_site():
    storage = storages["private"]
    from evidence.models import CaptureFile

    for attachment in [*Attachment.objects.all(), *InteractionAttachment.objects.all(), *CaptureFile.objects.all()]:
        storage.delete(attachment.file.name)
    StanceChange.objects.all().delete()  # first: the timeline holds on to what it cites
    Campaign.objects.all().delete()
    EvidenceRecord.objects.all().delete()  # first: they hold on to sources and institutions
    Group.objects.all().delete()
    User.objects.all().delete()
    Relationship.objects.all().delete()
    Institution.objects.all().delete()
    Report.objects.all().delete()  # and with it the recommendations
    Sector.objects.all().delete()
    Right.objects.all().delete()


@pytest.mark.usefixtures("listed_other_group")
def test_it_restores_a_group_onto_an_empty_site_with_nothing_lost(alpha_with_everything, tmp_path):
    first = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(first), stdout=open("/dev/null", "w"))
    manifest, data, files = archive_contents(first)
    assert manifest["group"] == "alpha-watch" and len(manifest["files"]) == 3
    assert manifest["counts"]["evidence.evidencerecord"] == 2
    rows = json.loads(data)
    assert b"Beta Rights record" not in data
    assert [row["fields"]["slug"] for row in rows if row["model"] == "accounts.group"] == ["alpha-watch"]
    assert "bob" not in {row["fields"]["username"] for row in rows if row["model"] == "accounts.user"}

    wipe_the_site()
    assert not EvidenceRecord.objects.exists() and not User.objects.exists()
    call_command("import_group", str(first), stdout=open("/dev/null", "w"))

    assert AuditEntry.objects.filter(action="group.restored").exists()
    second = tmp_path / "again.zip"
    call_command("export_group", "alpha-watch", str(second), stdout=open("/dev/null", "w"))
    _, data_again, files_again = archive_contents(second)
    assert without_backup_entries(data_again) == without_backup_entries(data)
    assert files_again == files

    record = EvidenceRecord.objects.get(title="Cameras in classrooms")
    assert record.status == "verified" and sorted(t.name for t in record.tags.all()) == ["schools", "杭州"]
    assert record.citations.get().source.protected
    assert record.attachments.get().file.read() == b"%PDF-1.4 a memo"
    second = EvidenceRecord.objects.get(title="Second record")
    assert second.citations.get().source.captures.get().files.get().file.read() == b"<p>as it was</p>"
    assert sorted(Membership.objects.values_list("user__username", "role")) == [
        ("alice", "coordinator"), ("carol", "campaigner"), ("vera", "viewer"), ("victor", "volunteer")]
    assert User.objects.get(username="alice").check_password(PASSWORD)  # members sign in as before
    assert Authenticator.objects.filter(user__username="alice").count() == 2  # app and recovery codes
    target = Target.objects.get()
    assert target.stance_changes.get().interaction.attachments.get().file.read() == b"their reply"
    assert list(target.evidence.all()) == [record]


@pytest.mark.usefixtures("listed_other_group")
def test_links_to_records_other_groups_shared_are_dropped_only_where_those_records_are_missing(
        alpha_with_everything, other_group, outsider, tmp_path):
    beta_record = EvidenceRecordFactory(group=other_group, title="Beta's shared finding", status="verified",
                                        shared_with_everyone=True)
    target = Target.objects.get()
    TargetEvidenceFactory(target=target, record=beta_record)
    StanceChangeFactory(target=target, from_status="committed", to_status="backslid", evidence=beta_record)
    reply = target.interactions.get()
    StanceChangeFactory(target=target, from_status="backslid", to_status="complied", interaction=reply,
                        evidence=beta_record)
    archive = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(archive), stdout=open("/dev/null", "w"))
    wipe_the_site()

    output = io.StringIO()
    call_command("import_group", str(archive), stdout=output)
    assert ("1 evidence link(s) to targets and 1 status move(s) citing only such a record were left out; "
            "1 move(s) keep their interaction without the record.") in output.getvalue()
    target = Target.objects.get()
    assert [(m.to_status, m.interaction_id is not None, m.evidence_id) for m in target.stance_changes.all()] == [
        ("committed", True, None), ("complied", True, None)]
    assert target.evidence.count() == 1


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_a_damaged_archive_and_restores_nothing(alpha_with_everything, tmp_path):
    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    manifest, data, files = archive_contents(original)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("data.json", data.replace(b"Cameras in classrooms", b"Cameras in kindergartens"))
        for name, content in files.items():
            archive.writestr(name, content)
    wipe_the_site()
    with pytest.raises(CommandError, match=r"The archive is damaged, nothing was restored: data.json \(changed\)"):
        call_command("import_group", str(damaged))
    assert not Group.objects.exists() and not User.objects.exists()


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_to_restore_over_a_group_the_site_has(alpha_with_everything, tmp_path):
    archive = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(archive), stdout=open("/dev/null", "w"))
    records_before = EvidenceRecord.objects.count()
    with pytest.raises(CommandError, match="This site already has the group “Alpha Watch”"):
        call_command("import_group", str(archive))
    assert EvidenceRecord.objects.count() == records_before


@pytest.mark.usefixtures("listed_other_group")
def test_it_leaves_no_file_behind_when_a_restore_fails_half_way(alpha_with_everything, tmp_path):
    archive = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(archive), stdout=open("/dev/null", "w"))
    wipe_the_site()
    User.objects.create(username="victor")  # someone took a member's name on the new site
    with pytest.raises(CommandError, match="This site already has user “victor”"):
        call_command("import_group", str(archive))
    assert not Group.objects.exists()
    manifest, _, _ = archive_contents(archive)
    assert not storages["private"].exists(manifest["files"][0]["path"].removeprefix("files/"))


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "This is not a group archive"),
    (None, "The archive has no readable manifest.json."),
])
def test_it_says_why_a_file_is_not_an_archive(tmp_path, db, content, message):
    path = tmp_path / "bad.zip"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data.json", "[]")
    else:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_group", str(path))


def test_it_names_an_unknown_group(db, tmp_path):
    with pytest.raises(CommandError, match="No group has the short name “nobody”"):
        call_command("export_group", "nobody", str(tmp_path / "x.zip"))


def repacked(destination, manifest, data, files):
    with zipfile.ZipFile(destination, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("data.json", data)
        for name, content in files.items():
            archive.writestr(name, content)
    return destination


def rewritten(path, destination, change):
    """The archive at `path` with its data changed by `change` and the manifest's hash of it recomputed."""
    manifest, data, files = archive_contents(path)
    data = json.dumps(change(json.loads(data))).encode()
    manifest["data"]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest["data"]["size"] = len(data)
    return repacked(destination, manifest, data, files)


def make_vera_a_superuser(rows):
    for row in rows:
        if row["model"] == "accounts.user" and row["fields"]["username"] == "vera":
            row["fields"].update(is_staff=True, is_superuser=True)
    return rows


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_an_archive_whose_data_was_changed_and_its_hash_recomputed(alpha_with_everything, tmp_path):
    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    forged = rewritten(original, tmp_path / "forged.zip", make_vera_a_superuser)
    wipe_the_site()
    with pytest.raises(CommandError, match="The archive's signature does not match: it was not written by this "
                                           "site, or it was changed since. Nothing was restored."):
        call_command("import_group", str(forged))
    assert not Group.objects.exists() and not User.objects.exists()


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_an_unsigned_archive(alpha_with_everything, tmp_path):
    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    manifest, data, files = archive_contents(original)
    manifest.pop("signature", None)
    archive = repacked(tmp_path / "unsigned.zip", manifest, data, files)
    wipe_the_site()
    with pytest.raises(CommandError, match="The archive is not signed. Nothing was restored."):
        call_command("import_group", str(archive))
    assert not Group.objects.exists()


@pytest.mark.usefixtures("listed_other_group")
def test_staff_and_superusers_come_back_as_plain_members(alpha_with_everything, tmp_path):
    from django.contrib.auth.models import Group as PermissionGroup
    from django.contrib.auth.models import Permission

    vera = User.objects.get(username="vera")
    vera.is_staff = vera.is_superuser = True
    vera.save()
    vera.user_permissions.add(Permission.objects.get(codename="change_user"))
    vera.groups.add(PermissionGroup.objects.create(name="Site editors"))
    archive = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(archive), stdout=open("/dev/null", "w"))
    _, data, _ = archive_contents(archive)
    assert all((row["fields"]["is_staff"], row["fields"]["is_superuser"], row["fields"]["user_permissions"],
                row["fields"]["groups"]) == (False, False, [], []) for row in json.loads(data)
               if row["model"] == "accounts.user")
    wipe_the_site()
    call_command("import_group", str(archive), stdout=open("/dev/null", "w"))
    vera = User.objects.get(username="vera")
    assert vera.is_active and not vera.is_staff and not vera.is_superuser
    assert not vera.user_permissions.exists() and not vera.groups.exists()
    assert not User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).exists()


@pytest.mark.usefixtures("listed_other_group")
def test_a_signed_archive_naming_a_superuser_still_restores_a_plain_member(alpha_with_everything, tmp_path):
    """An archive signed with the site's key (an older version's export, or a key-holder's edit) makes no staff."""
    from backups.archive import sign_manifest

    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    manifest, data, files = archive_contents(rewritten(original, tmp_path / "forged.zip", make_vera_a_superuser))
    archive = repacked(tmp_path / "resigned.zip", sign_manifest(manifest), data, files)
    wipe_the_site()
    output = io.StringIO()
    call_command("import_group", str(archive), stdout=output)
    vera = User.objects.get(username="vera")
    assert not vera.is_staff and not vera.is_superuser
    assert "1 account(s) were marked as site staff or superusers in the archive" in output.getvalue()


def move_victors_membership_to(group):
    def change(rows):
        for row in rows:
            if row["model"] == "accounts.membership" and row["fields"]["user"] == ["victor"]:
                row["fields"]["group"] = group.pk
        return rows
    return change


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_rows_that_belong_to_another_group_and_restores_nothing(alpha_with_everything, tmp_path):
    """
    A signed archive (the site's key holder, or an older version's bug) whose membership row names a group the
    site already has would make an archived member a member of that group: the rows must be the archive's group's.
    """
    from backups.archive import sign_manifest

    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    wipe_the_site()
    beta = Group.objects.create(name="Beta Rights", slug="beta-rights")
    manifest, data, files = archive_contents(rewritten(original, tmp_path / "moved.zip",
                                                       move_victors_membership_to(beta)))
    archive = repacked(tmp_path / "resigned.zip", sign_manifest(manifest), data, files)
    with pytest.raises(CommandError, match="The archive has rows that are not Alpha Watch's: 1 membership"):
        call_command("import_group", str(archive))
    assert list(Group.objects.values_list("slug", flat=True)) == ["beta-rights"]
    assert not Membership.objects.exists() and not User.objects.exists()
    assert not storages["private"].exists(manifest["files"][0]["path"].removeprefix("files/"))


def give_alices_second_factors_to(username):
    def change(rows):
        for row in rows:
            if row["model"] == "mfa.authenticator" and row["fields"]["user"] == ["alice"]:
                row["fields"]["user"] = [username]
        return rows
    return change


@pytest.mark.usefixtures("listed_other_group")
def test_it_refuses_second_factors_for_an_account_the_archive_does_not_restore(alpha_with_everything, tmp_path):
    """Else a signed archive could add an authenticator the archive's holder controls to an account of this site."""
    from backups.archive import sign_manifest

    original = tmp_path / "alpha.zip"
    call_command("export_group", "alpha-watch", str(original), stdout=open("/dev/null", "w"))
    wipe_the_site()
    bob = User.objects.create(username="bob")
    manifest, data, files = archive_contents(rewritten(original, tmp_path / "moved.zip",
                                                       give_alices_second_factors_to("bob")))
    archive = repacked(tmp_path / "resigned.zip", sign_manifest(manifest), data, files)
    with pytest.raises(CommandError, match="The archive has rows that are not Alpha Watch's: 2 authenticator"):
        call_command("import_group", str(archive))
    assert not Authenticator.objects.filter(user=bob).exists() and not Group.objects.exists()
