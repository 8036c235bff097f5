"""
The isolation matrix: every model that holds a group's data, every route, every actor.

The route tables live in tests/test_isolation.py (PUBLIC_ROUTES, ACCOUNT_ROUTES, LIST_ROUTES, SHARED_ROUTES,
OBJECT_ROUTES) and the objects in its `beta_objects()`; this module reuses them, so a route or model added there
is covered here too, and one added to the site but not there fails a test that says what to add.

- Models. A model holds group data when it has a `scope_path` or a chain of foreign keys reaches accounts.Group.
  Each one must have a row made by `beta_objects()`, and either scope itself (`objects.visible_to`) or be listed
  below as read through its parent or as shared reference data.
- (a) A member of another group, and site staff who belong to no group, get 404 on every object route, whatever
  the method (tests/test_isolation.py for the other group's coordinator; here for staff).
- (b) Anonymous visitors are sent to sign in (pages) or refused (API) on every route but the public ones, for
  every method.
- (c) A viewer of the owning group is refused (403, or 405 where the route takes no writes) on every route, for
  POST, PUT, PATCH and DELETE, and no row of the project's apps changes.
- (d) Every page, API answer, search, export and download Alpha's coordinator can reach (with search terms in
  the query string) holds no trace of a marker planted in every text field of every row of group Beta.
- (e) The Django admin. Decision: the admin is for site staff, and site staff administer accounts, not group
  content, and are not members. Non-staff users, however senior in their groups, are sent to sign in. Staff see
  users, the list of groups and django-axes' lock-outs, and nothing a group records or who belongs to it: no
  memberships, invitations (an invitation's link is a way in), evidence, sources, files, campaigns, targets,
  interactions, tasks, imports, worker checks or audit entries, and the admin's "view on site" shortcut is gone
  (config/admin.py). The people we protect are under state surveillance; one stolen or coerced staff account must
  not open every group's evidence and contacts. Support on a group's data happens with one of its members, or by
  inviting staff into the group, which its coordinators see in the member list and the audit log; a group's
  first coordinator is invited from the shell (`manage.py invite_coordinator`). ADMIN_GROUP_MODELS lists the
  group models staff may see, each with its reason; registering any other group-data model in the admin fails
  here (tests/accounts/test_admin.py has the ways in that were found).
"""

import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import models
from django.urls import NoReverseMatch, reverse

from accounts.models import Group, User
from tests.factories import InstitutionFactory, UserFactory
from tests.test_isolation import (
    ACCOUNT_ROUTES,
    LIST_ROUTES,
    OBJECT_ROUTES,
    PUBLIC_ROUTES,
    SHARED_ROUTES,
    beta_objects,
    shared_url,
    site_routes,
)

pytestmark = pytest.mark.django_db

#
# Classification tables: extend these when the tests below tell you to.
#

# Group-data models that no route fetches on their own: they are read and written through their parent, which
# is scoped. model label -> the parent's field.
READ_THROUGH_PARENT = {
    "evidence.Citation": "record",
    "evidence.RecordInstitution": "record",
}
# Models a chain of foreign keys links to a group, that are nonetheless shared reference data. label -> why.
SHARED_MODELS = {
    "evidence.Relationship": "links directory entries only; evidence.services refuses a group's own institution",
}
# What anonymous visitors may do on routes that otherwise need a signed-in member, with why.
ANONYMOUS_MAY = {
    ("post", "api:token"): "how a script signs in",
    ("get", "api:schema"): "the API's description; holds no data (test_api_docs_hold_no_group_data)",
    ("get", "api:docs"): "the page that shows the API's description",
}
# Routes a viewer may write to, with why: they change only the viewer's own session or account.
VIEWER_MAY_WRITE = {
    "switch-group": "changes the active group in the viewer's own session",
    "api:token": "issues the viewer's own API token",
    "group-leave": "the viewer leaves the group: their own membership, which any member may end",
    "api-token-list": "makes the viewer's own API token",
    "calendar-settings": "makes or ends the viewer's own calendar address",
    "api:me-calendar-feed": "makes or ends the viewer's own calendar address",
    "saved-search-list": "saves the viewer's own search of what they may read",
    "api:saved-search-list": "saves the viewer's own search of what they may read",
    "notification-read-all": "marks the viewer's own notifications read",
    "api:notification-read-all": "marks the viewer's own notifications read",
}
# Routes whose refusal of a viewer's write is not 403/405, with the status and why.
VIEWER_WRITE_REFUSALS = {
    # The pending import is held in the uploader's session; any other token names nothing.
    "evidence-import-confirm": 404,
    # Bulk changes check each record on its own and report the refused ones (tests/evidence/test_bulk.py).
    "api:evidence-bulk": 200,
    # Only one's own membership can be left; anyone else's (here the coordinator's) is one the caller cannot name.
    "api:membership-leave": 404,
    # Another person's API token is a 404 whoever asks; a viewer revokes their own (tests/accounts/test_api_tokens.py).
    "api-token-revoke": 404,
    "api:api-token-detail": 404,
    # Likewise another person's saved search (tests/evidence/test_saved_searches.py).
    "saved-search-change": 404,
    "saved-search-delete": 404,
    "saved-search-feed-key": 404,
    "api:saved-search-detail": 404,
    "api:saved-search-feed": 404,
    # Another person's notification (here the coordinator's) is a 404 whoever asks; a viewer marks their own
    # (tests/evidence/test_comments.py).
    "notification-read": 404,
    "api:notification-read": 404,
}
# Pages that only read and answer every method like GET; a write to them changes nothing (which the test checks).
# (A @require_safe on the view makes it a 405 and the entry here unnecessary.)
READ_ONLY_ROUTES = set()
# Fields of the write body that differ by route (see write_body).
WRITE_BODY_OVERRIDES = {
    "api:interaction-list": {"kind": "letter"},
    "interaction-create": {"kind": "letter"},
    "api:evidence-list": {"kind": "deployment", "institutions": []},
}
# Bodies that name an object of the viewer's own group by a key write_body does not have.
WRITE_BODY_OBJECTS = {
    "api:source-capture-list": {"source": "source"},
}
# Group-data models the Django admin may show site staff, with why (see the module docstring).
ADMIN_GROUP_MODELS = {
    "accounts.Group": "staff create groups and see which exist; no members listed (accounts/admin.py)",
}
# Search terms are sent to every list route under each of these names.
SEARCH_PARAMETERS = ["q", "search", "name", "title", "group", "group__slug", "institution", "tag", "source"]

WRITE_METHODS = ["post", "put", "patch", "delete"]
MARKER = "zqbeta7f3a"


#
# Group-data models, found by introspection
#


def project_models():
    """Models of the project's own apps (not Django's, allauth's or axes')."""
    from django.conf import settings

    for config in apps.get_app_configs():
        if str(config.path).startswith(str(settings.BASE_DIR)) and ".venv" not in str(config.path):
            yield from config.get_models()


def group_path(model, _seen=()):
    """The lookup from `model` to accounts.Group ("pk" for Group itself), or None for data of no group."""
    if model is Group:
        return "pk"
    if hasattr(model, "scope_path"):
        return model.scope_path
    for field in model._meta.get_fields():
        if not (field.many_to_one and field.concrete) or field.related_model in (*_seen, model, User):
            continue
        rest = group_path(field.related_model, (*_seen, model))
        if rest is not None:
            return field.name if rest == "pk" else f"{field.name}__{rest}"
    return None


def group_data_models():
    return {model._meta.label: model for model in project_models() if group_path(model) is not None}


def rows_of(model, group):
    return model._base_manager.filter(**{group_path(model): group.pk})


def test_every_group_data_model_is_classified(other_group, outsider):
    models_ = group_data_models()
    beta_objects(other_group, outsider)
    for label, model in models_.items():
        if label in SHARED_MODELS:
            continue
        assert rows_of(model, other_group).exists(), (
            f"{label} holds group data, but beta_objects() in tests/test_isolation.py makes no row of it: add one "
            f"(in the group passed to it), so that every route and the marker test see it.")
        assert label in READ_THROUGH_PARENT or hasattr(model.objects, "visible_to"), (
            f"{label} holds group data but its manager has no visible_to(user): scope it like the others "
            f"(accounts/scoping.py), or, if routes only ever reach it through a scoped parent, add it to "
            f"READ_THROUGH_PARENT in {__name__}.")
    stale = (set(READ_THROUGH_PARENT) | set(SHARED_MODELS)) - set(models_)
    assert not stale, f"No longer group-data models; remove them from the tables in {__name__}: {stale}"


def test_the_scoping_method_of_every_model_keeps_to_the_users_groups(group, other_group, coordinator, outsider):
    beta_objects(group, coordinator)
    beta_objects(other_group, outsider)
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    for label, model in group_data_models().items():
        if label in READ_THROUGH_PARENT or label in SHARED_MODELS:
            continue
        own = rows_of(model, group)
        assert model.objects.visible_to(coordinator).filter(pk__in=own).count() == own.count(), label
        for stranger in (outsider, staff, AnonymousUser()):
            assert not model.objects.visible_to(stranger).filter(pk__in=own).exists(), (label, stranger)


#
# (b) Anonymous visitors, every method; (a) site staff outside the group
#


def routes_needing_sign_in():
    return sorted(LIST_ROUTES | set(OBJECT_ROUTES) | set(SHARED_ROUTES))


def url_for(route, objects):
    if route in OBJECT_ROUTES:
        key, kwargs = OBJECT_ROUTES[route]
        return reverse(route, kwargs=kwargs(objects[key]))
    if route in SHARED_ROUTES:
        return shared_url(route)
    return reverse(route)


def write_body(objects, route):
    """
    One body for every write: it names the viewer's own group, campaign, target and record, so that the only
    reason left to refuse it is the viewer's role (forms and serializers ignore the fields they do not take).
    """
    from django.utils import timezone

    institution = InstitutionFactory()  # not yet a target of the campaign
    return {"group": objects["group"].slug, "campaign": objects["campaign"].pk, "target": objects["target"].pk,
            "record": objects["record"].pk, "records": [objects["record"].pk], "action": "tag", "tag": "viewer",
            "title": "A viewer's write", "summary": "A viewer's write", "kind": "other", "goal": "Stop it",
            "name": "A viewer's write", "role": "coordinator", "email": "vera2@example.org", "reason": "Because",
            "institution": institution.slug, "institutions": [institution.slug], "ask": "Stop it",
            "direction": "sent", "occurred_on": str(timezone.localdate()), "scope": "selected",
            "listed_for_sharing": True, "requires_two_factor": True,
            **WRITE_BODY_OVERRIDES.get(route, {}),
            **{key: objects[name].pk for key, name in WRITE_BODY_OBJECTS.get(route, {}).items()}}


def send(client, method, route, url, data=None):
    if route.startswith("api:"):
        return getattr(client, method)(url, data or {}, content_type="application/json")
    if method == "post":
        return client.post(url, data or {})
    return getattr(client, method)(url, urlencode(data or {}, doseq=True),
                                   content_type="application/x-www-form-urlencoded")


@pytest.fixture
def reference_data(db):
    call_command("load_report", stdout=open("/dev/null", "w"))


def test_anonymous_visitors_are_refused_every_method_on_every_route(client, reference_data, group, coordinator):
    objects = beta_objects(group, coordinator)
    let_in = []
    for route in routes_needing_sign_in():
        url = url_for(route, objects)
        for method in ["get", *WRITE_METHODS]:
            response = send(client, method, route, url)
            if response.status_code == 302 and response["Location"].startswith(reverse("login")):
                continue
            if response.status_code in (401, 403, 405) or (method, route) in ANONYMOUS_MAY:
                continue
            let_in.append(f"{method.upper()} {route} -> {response.status_code}")
    assert not let_in, ("Anonymous visitors were let in; add login_required (pages) or a permission (API), or "
                        "if the route is meant to be public, add it to ANONYMOUS_MAY in {__name__}: "
                        f"{let_in}")


def test_api_docs_hold_no_group_data(client, group, coordinator):
    beta_objects(group, coordinator)
    for route in ("api:schema", "api:docs"):
        assert b"Alpha" not in client.get(reverse(route)).content


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_site_staff_outside_the_group_get_404_like_anyone(client_for, group, coordinator, route):
    url = url_for(route, beta_objects(group, coordinator))
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client = client_for(staff)
    for method in ["get", *WRITE_METHODS]:
        response = send(client, method, route, url)
        assert response.status_code in (404, 405), f"{method.upper()} {url} -> {response.status_code}"


#
# (c) Viewers cannot write, and nothing changes
#


def snapshot():
    """Every row of group data and every account, so a refused write can be shown to have changed nothing."""
    return {model._meta.label: sorted(model._base_manager.values_list(), key=repr)
            for model in [*group_data_models().values(), User]}


def changed_tables(before, after):
    return sorted(label for label in before if before[label] != after[label])


@pytest.mark.parametrize("route", sorted(set(routes_needing_sign_in()) - set(VIEWER_MAY_WRITE)))
def test_viewers_cannot_write_anywhere(client_for, request, group, coordinator, viewer, route):
    if route in SHARED_ROUTES:
        request.getfixturevalue("reference_data")
    objects = beta_objects(group, coordinator)
    url, body = url_for(route, objects), write_body(objects, route)
    client = client_for(viewer)
    expected = {VIEWER_WRITE_REFUSALS.get(route, 403), 405} | ({200, 302} if route in READ_ONLY_ROUTES else set())
    before = snapshot()
    for method in WRITE_METHODS:
        response = send(client, method, route, url, body)
        assert response.status_code in expected, (
            f"{method.upper()} {url} by a viewer -> {response.status_code}, expected one of {sorted(expected)}. "
            f"Check the role before reading the input; or, if the status is right, add the route to "
            f"VIEWER_WRITE_REFUSALS (or VIEWER_MAY_WRITE) in {__name__} with why.")
    assert not changed_tables(before, snapshot()), f"Writes to {url} by a viewer changed rows"


#
# (d) No list, search, export or download shows another group's rows
#

TEXT_FIELDS = (models.CharField, models.TextField)


def fill_text_fields(model, rows, value_for):
    """Set every free-text column of `rows` to value_for(row, field); the caller decides what is safe to put."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS) and not f.choices
              and not f.primary_key]
    for row in rows:
        values = {f.name: value for f in fields if (value := value_for(row, f)) is not None}
        if values:
            model._base_manager.filter(pk=row.pk).update(**values)


def marker_value(row, field):
    unique = f"{MARKER}{row.pk}{field.name[:3]}"
    if isinstance(field, models.EmailField):
        return f"{unique}@example.org"
    if isinstance(field, models.URLField):
        return f"https://{unique}.example.org/"
    if isinstance(field, models.FileField):
        return None
    return unique[:field.max_length] if field.max_length else f"{unique} {field.name}"


def plant_marker(group):
    """MARKER in every text field of every row of `group`, and in the names of members of no other group."""
    for label, model in group_data_models().items():
        if label not in SHARED_MODELS:
            fill_text_fields(model, list(rows_of(model, group)), marker_value)
    only_here = User.objects.filter(memberships__group=group).exclude(memberships__group__in=Group.objects.exclude(
        pk=group.pk))
    fill_text_fields(User, list(only_here), lambda row, field: marker_value(row, field)
                     if field.name in ("username", "email", "first_name", "last_name") else None)


def get_routes(objects):
    """(route, url) for every GET an Alpha member can make, with search terms for the routes without objects."""
    for route in sorted(set(site_routes()) - PUBLIC_ROUTES - ACCOUNT_ROUTES):
        try:
            url = url_for(route, objects)
        except (KeyError, NoReverseMatch):
            continue  # classified in tests/test_isolation.py, which fails for routes missing there
        yield route, url
        if route not in OBJECT_ROUTES:
            yield route, url + "?" + "&".join(f"{name}={MARKER}" for name in SEARCH_PARAMETERS)


def test_no_page_api_search_export_or_download_shows_another_groups_rows(
        client_for, reference_data, group, other_group, coordinator, outsider):
    from evidence.services import directory

    objects = beta_objects(group, coordinator)
    beta_objects(other_group, outsider)
    # Beta's coordinator edits a directory entry Alpha reads: its history must not name him to Alpha.
    shared = InstitutionFactory(name="Shared directory entry")
    directory.update_institution(shared, actor=outsider, summary="Edited by Beta Rights")
    plant_marker(other_group)
    client = client_for(coordinator)
    leaks, failures = [], []
    for route, url in [*get_routes(objects), ("institution-detail", shared.get_absolute_url())]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response.status_code >= 500:
            failures.append(f"{url} -> {response.status_code}")
        # The marker followed by a digit is a planted value; without, it may be the search term shown back.
        for match in re.finditer(MARKER.encode() + rb"\d", body.lower()):
            leaks.append(f"{route}: {url}: …{body[max(match.start() - 150, 0):match.end() + 30].decode()}…")
            break
    assert not failures, failures
    assert not leaks, f"Another group's rows showed on: {leaks}"


#
# (e) The Django admin: site staff only, and no group content even for them
#


def admin_urls():
    """(label, url) of every admin page of every registered model, for its first row where a page needs one."""
    yield "index", reverse("admin:index")
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        yield model._meta.label, reverse("admin:{}_{}_changelist".format(*info))
        yield model._meta.label, reverse("admin:{}_{}_add".format(*info))
        row = model._base_manager.order_by("pk").first()
        if row is not None:
            for view in ("change", "delete", "history"):
                yield model._meta.label, reverse("admin:{}_{}_{}".format(*info, view), args=[row.pk])


def test_the_admin_registers_no_group_content():
    group_models = set(group_data_models())
    registered = {model._meta.label for model in admin.site._registry}
    unexpected = (registered & group_models) - set(ADMIN_GROUP_MODELS)
    assert not unexpected, (
        f"These group-data models are registered in the Django admin: {sorted(unexpected)}. Site staff do not see "
        f"what groups record (the docstring of {__name__} says why); unregister them, or, if one holds no group "
        f"content, add it to ADMIN_GROUP_MODELS there with why.")


def test_members_who_are_not_staff_are_sent_to_sign_in(client, client_for, group, coordinator):
    beta_objects(group, coordinator)
    for who, http in (("anonymous", client), ("coordinator", client_for(coordinator))):
        for label, url in admin_urls():
            response = http.get(url)
            assert response.status_code == 302, f"{who}: {url} ({label}) -> {response.status_code}"
            assert response["Location"].startswith((reverse("admin:login"), reverse("login"))), (who, url)
            for method in ("post", "delete"):
                assert getattr(http, method)(url).status_code in (302, 403, 405), (who, method, url)


def test_staff_see_accounts_but_no_group_content(client_for, group, coordinator, viewer):
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    beta_objects(group, coordinator)
    for label, model in group_data_models().items():
        if label not in ADMIN_GROUP_MODELS and label not in SHARED_MODELS:
            fill_text_fields(model, list(rows_of(model, group)), marker_value)
    client = client_for(staff)
    seen = []
    for label, url in admin_urls():
        response = client.get(url)
        # 403: the admin itself refuses (axes' lock-outs cannot be added by hand).
        assert response.status_code in (200, 403), f"{url} ({label}) -> {response.status_code}"
        if re.search(MARKER.encode() + rb"\d", response.content):
            seen.append(f"{label}: {url}")
    assert not seen, f"Admin pages showed a group's content to site staff: {seen}"
