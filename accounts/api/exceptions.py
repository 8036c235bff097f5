from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.scoping import SecondFactorOwed, refuse_if_second_factor_owed


def exception_handler(exc, context):
    """
    DRF's, except that an object the caller cannot see because its group requires a second factor they have not
    set up is a 403 saying so, rather than a 404 (the pages send them to set it up: accounts.middleware).
    """
    if isinstance(exc, Http404 | exceptions.NotFound):
        try:
            _refuse_if_second_factor_owed(context)
        except SecondFactorOwed as owed:
            exc = exceptions.PermissionDenied(owed.args[0])
    return drf_exception_handler(exc, context)


def _refuse_if_second_factor_owed(context):
    view, request = context.get("view"), context.get("request")
    lookup_field = getattr(view, "lookup_field", None)
    value = getattr(view, "kwargs", {}).get(getattr(view, "lookup_url_kwarg", None) or lookup_field)
    queryset = getattr(view, "queryset", None)
    if value is None or request is None:
        return
    if queryset is None:
        queryset = view.get_queryset()
    if hasattr(queryset.model, "scope_path"):
        refuse_if_second_factor_owed(queryset.model.objects.all(), request.user, **{lookup_field: value})
