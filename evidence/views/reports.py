"""The pages of the reports: every signed-in member reads them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from evidence.models import Report
from evidence.views.common import web_link


@login_required
@require_safe
def report_list(request):
    return render(request, "evidence/report_list.html", {"reports": Report.objects.all()})


@login_required
@require_safe
def report_detail(request, slug):
    report = get_object_or_404(Report, slug=slug)
    by_addressee = {}  # in the order of the report's first recommendation to each addressee
    for recommendation in report.recommendations.order_by("order", "pk"):
        by_addressee.setdefault(recommendation.addressee, []).append(recommendation)
    return render(request, "evidence/report_detail.html", {
        "report": report,
        "report_url": web_link(report.url),
        "licence_url": web_link(report.licence_url),
        "addressees": list(by_addressee.items()),
        "sectors": report.sectors.all(),
        "rights": report.rights.all(),
    })
