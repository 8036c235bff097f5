"""
A person's saved searches: saving the evidence list's search, the page listing them (rename, how often to alert,
delete, the feed's address), and the private Atom feed, whose address carries a secret key instead of a session.
The logic is in evidence/saved_searches.py; every saved search is its owner's alone (404 for anyone else).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.languages import in_language_of
from evidence import disclosure
from evidence import saved_searches as logic
from evidence.forms.saved_searches import SavedSearchChangeForm, SavedSearchForm
from evidence.models import SavedSearch


def _own_search(request, pk):
    return get_object_or_404(SavedSearch.objects.visible_to(request.user), pk=pk)


def _page(request, *, form=None, change_forms=None, feed_urls=None, status=200):
    searches = list(SavedSearch.objects.visible_to(request.user))
    change_forms = change_forms or {}
    feed_urls = feed_urls or {}
    return render(request, "evidence/saved_searches.html", {
        "form": form or SavedSearchForm(),
        "rows": [{"search": search, "feed_url": feed_urls.get(search.pk),
                  "form": change_forms.get(search.pk) or SavedSearchChangeForm(
                      initial={"name": search.name, "frequency": search.frequency}, prefix=f"s{search.pk}")}
                 for search in searches],
    }, status=status)


@login_required
@never_cache  # the answer to making a feed address holds its key, shown once
def saved_search_list(request):
    """My saved searches; a POST saves one (the evidence list's "Save this search" form posts here)."""
    if request.method != "POST":
        return _page(request)
    form = SavedSearchForm(request.POST)
    if form.is_valid():
        try:
            logic.save_search(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Search saved."))
            return redirect("saved-search-list")
    return _page(request, form=form, status=400)


@login_required
@require_POST
def saved_search_change(request, pk):
    search = _own_search(request, pk)
    form = SavedSearchChangeForm(request.POST, prefix=f"s{search.pk}")
    if form.is_valid():
        try:
            logic.change_saved_search(search, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved search changed."))
            return redirect("saved-search-list")
    search.refresh_from_db()
    return _page(request, change_forms={search.pk: form}, status=400)


@login_required
@require_POST
def saved_search_delete(request, pk):
    logic.delete_saved_search(_own_search(request, pk), actor=request.user)
    messages.success(request, _("Saved search deleted."))
    return redirect("saved-search-list")


@login_required
@require_POST
@never_cache
def saved_search_feed_key(request, pk):
    """Make a new feed address (which ends the one before) or turn the feed off."""
    search = _own_search(request, pk)
    action = request.POST.get("action")
    if action == "end":
        logic.end_feed_key(search, actor=request.user)
        messages.success(request, _("The feed's address was turned off."))
        return redirect("saved-search-list")
    if action != "new":
        return HttpResponseBadRequest(_("Choose to make a new address or to turn the feed off."))
    key = logic.new_feed_key(search, actor=request.user)
    return _page(request, feed_urls={search.pk: logic.feed_url(key)})


@require_safe
def saved_search_feed(request, key):
    """The Atom feed of a saved search: no session, the secret key in the address is the only credential."""
    search = logic.saved_search_of_feed_key(key)
    if search is None:
        raise Http404("No such feed.")
    records = logic.feed_records(search)
    with in_language_of(search.owner):
        feed = Atom1Feed(
            title=_("Disentangle: %(name)s") % {"name": search.name},
            link=logic.site_link(search.list_url),
            description=_("New evidence records matching a saved search"),
            feed_url=logic.site_link(request.path),
            language=search.owner.language or None,
        )
        for record in records:
            url = logic.site_link(record.get_absolute_url())
            feed.add_item(title=disclosure.alert_title(record) or _("A new evidence record"), link=url,
                          description="", unique_id=url, pubdate=record.created_at, updateddate=record.created_at)
        body = feed.writeString("utf-8")
    response = HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"  # a shared cache must never hand one person's feed to another
    response["X-Robots-Tag"] = "noindex"
    return response
