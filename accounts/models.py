import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated, Role  # noqa: F401 (Role: accounts.models.Role stays)
from accounts.jobs import Job
from accounts.scoping import GroupScopedQuerySet

# The most characters a member may type into one long text (a summary, excerpt, translation, note, ask): about ten
# pages, more than any field needs, and a bound on what a request, a page, a pack and the search index must hold.
# Short texts (titles, names) have their own max_length.
LONG_TEXT_MAX_LENGTH = 20_000


def _private_storage():
    # accounts.files.private_storage, which this module cannot import (accounts.files imports it).
    from django.core.files.storage import storages

    return storages["private"]


class User(AbstractUser):
    """A person with a login. What they may see and do comes from their memberships, never from this row."""

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    # The person's own language, saved by the language switcher (accounts.views.set_language). It decides the
    # pages once they are signed in, on any device, and every e-mail and stored message they read (see
    # accounts.languages); blank until they choose, when the browser's language is used.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    # A hash of the secret key in the address of the person's private calendar feed (campaigns/calendar.py),
    # blank while they have none. Like an API key, the key itself is shown once and never kept.
    calendar_key_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    def save_language(self, language):
        """Remember `language` (one of settings.LANGUAGES) as this person's own; unknown codes are ignored."""
        if language in dict(settings.LANGUAGES) and language != self.language:
            self.language = language
            self.save(update_fields=["language"])

    def memberships_with_groups(self):
        return self.memberships.select_related("group").order_by("group__name")

    def save(self, *args, **kwargs):
        # Django sets _password in set_password() only (not when it rehashes a password it has just checked), for
        # every way of changing one: the account page, a reset by e-mail, `manage.py changepassword`.
        password_changed = self.pk is not None and self._password is not None
        super().save(*args, **kwargs)
        # A password change or a deactivation ends every API token, as it ends every session: a key taken from a
        # script must not outlive the owner taking the account back (accounts.services.revoke_api_tokens).
        if password_changed or not self.is_active:
            from accounts.services import revoke_api_tokens

            revoke_api_tokens(self, reason="password_changed" if password_changed else "deactivated")


#
# Groups and roles
#


class GroupQuerySet(GroupScopedQuerySet):
    def share_partners(self, user):
        """
        The groups `user` may share evidence with: those whose coordinators listed them as share partners, and
        `user`'s own. Any other group is treated as not existing, so that the list of groups on the site, or
        whether a name or slug is taken, is not told to every coordinator.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(models.Q(listed_for_sharing=True) | models.Q(pk__in=self._member_group_ids(user)))


class Group(models.Model):
    """A civil-society organisation using the site. Everything it records is private to its members."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    # Set by a coordinator (services.set_two_factor_requirement): members without a second factor see and do
    # nothing of this group until they add one; their other groups are not affected (accounts.scoping).
    requires_two_factor = models.BooleanField(default=False)
    # Set by a coordinator (services.set_listed_for_sharing): other groups' coordinators see this group's name
    # among those they may share evidence with. Off by default: a group's existence is its own to reveal.
    listed_for_sharing = models.BooleanField(default=False)
    # The letterhead of what the group sends out (an outward briefing's cover, letters), set by a coordinator
    # (campaigns.letterhead): a PNG or a sanitised SVG in private storage, and one line of contact details.
    logo = models.FileField(storage=_private_storage, upload_to="logos/", blank=True)
    logo_type = models.CharField(max_length=40, blank=True)
    contact_line = models.CharField(
        _("contact line"), max_length=300, blank=True,
        help_text=_("Printed under the group's name on the cover of outward briefings, e.g. an e-mail address and a "
                    "website."))
    # Set by a coordinator (evidence.capture.services.set_source_capture): the worker keeps a copy of each web page
    # the group logs as a source. Off by default: fetching a page tells its owner that someone is watching.
    captures_sources = models.BooleanField(default=False)
    # Set by a coordinator (services.set_alert_titles_shown): saved-search alerts (e-mails and feeds, which leave
    # the site for a mail or feed service) may name this group's records by title. Off by default: they give only
    # a count and a link.
    alert_titles_shown = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "pk"
    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:80] or "group"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("group-dashboard", args=[self.slug])


class Membership(OneChoiceLabelTranslated, models.Model):
    """One user's role in one group; a user may belong to several groups."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["group__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="one_membership_per_user_and_group")]

    def __str__(self):
        return f"{self.user} in {self.group} as {self.role}"

    def to_dict(self):
        return {"user": self.user.username, "group": self.group.slug, "role": self.role}


class Invitation(OneChoiceLabelTranslated, models.Model):
    """
    An offer of membership e-mailed to an address. Nobody becomes a member without accepting it through the link
    (services.accept_invitation); whether the address has an account is never told to the group.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.email} to {self.group}"

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("invitation-accept", args=[self.token])

    @property
    def expires_at(self):
        return self.created_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def is_open(self):
        return self.accepted_at is None and timezone.now() < self.expires_at


#
# Audit
#


class AuditEntry(models.Model):
    """A sensitive action: who did what to which object, with the object's state before and after."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="audit_entries", null=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The API token the actor used, when they acted through the API with one: its id and name as they were, kept
    # after the token is revoked, so that a key used by someone else shows which key it was.
    via_token_id = models.PositiveBigIntegerField(null=True, blank=True)
    via_token_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.actor} {self.action} {self.object_repr}"


#
# API tokens
#


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(expires_at__gt=timezone.now())

    def for_key(self, key):
        """The live token whose key is `key`, with its user, or None."""
        return self.live().select_related("user").filter(digest=ApiToken.digest_of(key)).first()


class ApiToken(models.Model):
    """
    A person's key to the API. Only a hash of the key is kept: the key is shown once, when it is made, and nobody
    (staff included) can read it again. It expires, its owner revokes it, and it dies when the password changes,
    the account is locked out or deactivated, or the person's last membership ends (accounts.receivers).
    A plain SHA-256 is enough: the key is 256 random bits, not a password someone chose, so there is nothing to
    guess from a fast hash, and the hash can be looked up directly (unique index) on every request.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.pk})"

    @staticmethod
    def digest_of(key):
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key():
        return secrets.token_urlsafe(32)

    def to_dict(self):
        return {"token": self.pk, "name": self.name, "expires_at": self.expires_at.isoformat()}

    def mark_used(self):
        """Note the time of use, at most once a minute: an API script must not write a row on every request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


#
# Background jobs
#


class WorkerCheck(OneChoiceLabelTranslated, Job):
    """
    A round trip through the Celery worker, started from the site, that shows a coordinator the background
    jobs (briefing packs, digests) will run. A job like those (accounts.jobs.Job), claimed and answered at once.
    """

    class Status(models.TextChoices):
        QUEUED = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    SUCCEEDED = Status.DONE
    job_kind = "worker-check"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="worker_checks")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    worker_hostname = models.CharField(max_length=200, blank=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Worker check {self.pk} ({self.status})"

    def get_absolute_url(self):
        return reverse("worker-check-detail", args=[self.pk])

    @property
    def round_trip(self):
        return self.finished_at - self.created_at if self.finished_at else None


#
# Comments and notifications
#


class CommentBase(models.Model):
    """
    A member's comment on one of their group's objects (evidence.RecordComment, campaigns.TargetComment): written
    and read inside that group only. Abstract here so both apps share the rules (accounts/comments.py) while each
    keeps its own foreign key and the dependency direction accounts <- evidence <- campaigns; a generic relation
    would have needed one scope_path per row, which visible_to cannot filter on.
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=LONG_TEXT_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    parent_field = None  # the name of the foreign key to what is commented on

    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self):
        # The audit log names the comment, never its words (the log outlives the comment).
        return f"comment {self.pk}"

    def get_absolute_url(self):
        return f"{self.parent.get_absolute_url()}#comment-{self.pk}"

    @property
    def parent(self):
        return getattr(self, self.parent_field)

    def to_dict(self):
        return {"body": self.body}


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's own notifications, whatever group they came from: anyone else's is a 404 like a missing one."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """
    Something that asks one person's attention (a mention). It points at an object by type and id; whether the
    recipient may still see it is asked again whenever it is shown (accounts/notifications.py).
    """

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"
