"""Site-wide views: error pages that say what went wrong (in the site's layout, or JSON for the API), the API docs."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.views import SpectacularSwaggerSplitView


def bad_request(request, exception):
    """
    Django's 400 for a suspicious request, except the two a member can cause by sending too much: a body past
    DATA_UPLOAD_MAX_MEMORY_SIZE (files do not count) or a form past DATA_UPLOAD_MAX_NUMBER_FIELDS. Those were a
    bare "Bad Request"; now they say which limit was passed.
    """
    if isinstance(exception, RequestDataTooBig):
        status = 413
        message = _("The request is larger than %(limit)s, the most this site reads at once (files not "
                    "included). Shorten the text or send it in several parts.") % {
            "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    elif isinstance(exception, TooManyFieldsSent):
        status = 400
        message = _("The form has more than %(limit)s fields, the most this site reads at once.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    else:
        return defaults.bad_request(request, exception)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "request_refused.html", {"message": message}, status=status)


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """
    The API docs page. OPTIONS answers with the allowed methods only: DRF would describe the view in a response
    rendered by the page's template renderer, which has no template for it (a server error).
    """

    def options(self, request, *args, **kwargs):
        return HttpResponse()
