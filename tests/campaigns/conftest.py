import pytest
from django.core.management import call_command

from evidence.models import Institution


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
