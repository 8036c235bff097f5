"""
The quick record form for a phone (evidence/forms/quick.py): a draft in the group the person logs for, through
evidence.services.quick, then the record's page, where it is submitted and where the rest is added later from the
full edit form. A draft rather than a submission: a photo alone is no cited source, and whoever logs from the
street may want to add a line before anyone checks it; submitting is one tap on the record's page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from config.api import UploadRateThrottle
from config.limits import request_limits
from evidence.forms.quick import QuickRecordForm
from evidence.models import Institution
from evidence.services.quick import log_quick_record
from evidence.views.record_detail import add_record_errors
from evidence.views.record_editing import group_to_log_in


@login_required
@request_limits(throttle=UploadRateThrottle)
def evidence_quick(request):
    user = request.user
    group, groups = group_to_log_in(request)
    institutions = Institution.objects.visible_to(user).available_to(group)
    form = QuickRecordForm(request.POST or None, request.FILES or None, institutions=institutions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record = log_quick_record(group, actor=user, **form.record_values())
            except ValidationError as exc:
                add_record_errors(form, exc)
            else:
                messages.success(request, _("“%(title)s” was logged as a draft of %(group)s. Submit it for "
                                            "verification below, or add more from the full form.")
                                 % {"title": record.title, "group": group.name})
                return redirect(record)
        status = 400
    return render(request, "evidence/quick_form.html", {
        "form": form, "group": group, "other_groups": [g for g in groups if g != group],
        "institution_names": form.suggestions(),
        # A browser cannot be sent a file back: say so, rather than let the photo vanish unnoticed.
        "photo_not_kept": status == 400 and bool(request.FILES.get("photo")),
    }, status=status)
