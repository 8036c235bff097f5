"""The private calendar feed's address: no session, the secret key in the URL is the only credential."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from accounts.services import user_of_calendar_key
from campaigns.calendar import calendar_for


@require_safe
def calendar_feed(request, key):
    user = user_of_calendar_key(key)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar_for(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="disentangle.ics"'
    response["Cache-Control"] = "private, no-store"  # a shared cache must never hand one person's feed to another
    response["X-Robots-Tag"] = "noindex"
    return response
