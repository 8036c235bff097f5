import pytest
from django.core.management import call_command

from evidence.models import Institution
from tests.factories import CampaignFactory, InstitutionFactory, TargetFactory


@pytest.fixture
def campaign(group):
    """Alpha Watch's campaign of the issue's story."""
    return CampaignFactory(group=group, title="Ban emotion recognition in schools")


@pytest.fixture
def target(campaign):
    return TargetFactory(campaign=campaign, institution=InstitutionFactory(name="Hikvision", slug="hikvision"))


@pytest.fixture
def report(db):
    """The bundled report's directory: Hikvision, Hanwang Education, the schools they supply, the recommendations."""
    call_command("load_report", stdout=open("/dev/null", "w"))


@pytest.fixture
def hikvision(report):
    return Institution.objects.get(slug="hikvision")


@pytest.fixture
def hanwang(report):
    return Institution.objects.get(slug="hanwang-education")


#
# Briefing packs
#


@pytest.fixture
def pack_campaign(group, other_group, coordinator):
    """
    Alpha Watch's campaign against Hikvision and Dahua, with evidence of every kind a pack treats differently:
    an ordinary verified record with a file, a protected record, a record citing a protected source (translated
    by a named member), a formula-looking title, and a copy Beta Rights shared (with a protected source and a file
    of its own that must never travel).
    """
    from types import SimpleNamespace

    from tests.factories import (
        AttachmentFactory,
        CampaignFactory,
        CitationFactory,
        EvidenceRecordFactory,
        InstitutionFactory,
        InteractionFactory,
        SourceFactory,
        StanceChangeFactory,
        TargetEvidenceFactory,
        TargetFactory,
    )

    hikvision = InstitutionFactory(slug="hikvision-pack", name="Hikvision Pack Test", name_zh="海康威视")
    dahua = InstitutionFactory(slug="dahua-pack", name="Dahua Pack Test")
    campaign = CampaignFactory(group=group, title="No emotion recognition in classrooms",
                               public_summary="Schools must not score pupils' feelings.")
    hik = TargetFactory(campaign=campaign, institution=hikvision, ask="Withdraw the classroom cameras.")
    dah = TargetFactory(campaign=campaign, institution=dahua, ask="Publish the school contracts.")
    InteractionFactory(target=hik, summary="Letter asking Hikvision to withdraw the cameras.")
    StanceChangeFactory(target=hik, from_status="identified", to_status="contacted", changed_by=coordinator,
                        note="First letter sent.")

    ordinary = EvidenceRecordFactory(group=group, title="Smart classroom in Hangzhou", status="verified")
    CitationFactory(record=ordinary, source=SourceFactory(group=group, title="Hangzhou Daily report"),
                    excerpt="课堂情绪识别", translation="Classroom emotion recognition",
                    translator="Mei the translator")
    AttachmentFactory(group=group, record=ordinary, original_name="procurement.txt", content=b"Contract 2019-14")
    ordinary.institution_links.create(institution=hikvision, role="vendor")
    secret = EvidenceRecordFactory(group=group, title="Whistleblower account of the pilot", protected=True,
                                   status="verified")
    AttachmentFactory(group=group, record=secret, original_name="whistleblower.txt", content=b"secret")
    with_protected_source = EvidenceRecordFactory(group=group, title="Procurement notice for Dahua cameras")
    CitationFactory(record=with_protected_source, source=SourceFactory(group=group, title="Insider chat log",
                                                                        protected=True))
    CitationFactory(record=with_protected_source, source=SourceFactory(group=group, title="Public tender site"))
    formula = EvidenceRecordFactory(group=group, title="=HYPERLINK(\"http://evil.example\",\"click\")",
                                    summary="+cmd|' /C calc'!A0")
    shared = EvidenceRecordFactory(group=other_group, title="Beta's shared deployment record", status="verified",
                                   shared_with_everyone=True)
    CitationFactory(record=shared, source=SourceFactory(group=other_group, title="Beta's protected source",
                                                        protected=True))
    CitationFactory(record=shared, source=SourceFactory(group=other_group, title="Beta's public source"),
                    translator="Beta translator")
    AttachmentFactory(group=other_group, record=shared, original_name="beta-file.txt", content=b"beta only")
    for target, records in ((hik, [ordinary, secret, formula]), (dah, [with_protected_source, shared])):
        for record in records:
            TargetEvidenceFactory(target=target, record=record)
    return SimpleNamespace(campaign=campaign, hik=hik, dah=dah, hikvision=hikvision, ordinary=ordinary,
                           secret=secret, with_protected_source=with_protected_source, formula=formula,
                           shared=shared)


