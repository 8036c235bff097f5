"""Page forms for campaigns: validation only; campaigns/services.py makes the changes and checks roles again."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH, Group, User
from campaigns.models import BriefingPack, Campaign, Interaction, Target, Task
from evidence.models import EvidenceRecord, Institution, Recommendation

DATE = {"type": "date"}


def members_of(group):
    return User.objects.filter(memberships__group=group, is_active=True).order_by("username").only("pk", "username")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.username


class InstitutionsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, institution):
        # The Chinese name beside the English one, as the directory's other pickers show it, so either can be read.
        return f"{institution.name} ({institution.name_zh})" if institution.name_zh else institution.name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(forms.ModelForm):
    """A campaign's own fields; `group` is asked only when it is created, among the groups the person runs."""

    group = forms.ModelChoiceField(queryset=Group.objects.none(), empty_label=None, label=_("Group"))
    lead = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"),
                             label=_("Lead"))

    class Meta:
        model = Campaign
        fields = ["group", "title", "goal", "recommendations", "status", "starts_on", "ends_on", "lead",
                  "public_summary"]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 3}),
            "public_summary": forms.Textarea(attrs={"rows": 4}),
            "recommendations": forms.CheckboxSelectMultiple,
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }
        labels = {"title": _("Title"), "goal": _("Goal"), "recommendations": _("Recommendations"),
                  "status": _("Status"), "starts_on": _("Starts on"), "ends_on": _("Ends on"),
                  "public_summary": _("Public summary")}
        help_texts = {"recommendations": _("The report's recommendations this campaign advances.")}

    def __init__(self, *args, groups=None, **kwargs):
        """`groups`: the groups a new campaign may go to; None when editing (a campaign stays in its group)."""
        super().__init__(*args, **kwargs)
        self.fields["recommendations"].queryset = Recommendation.objects.select_related("report")
        if groups is None:
            del self.fields["group"]
            self.fields["lead"].queryset = members_of(self.instance.group)
        else:
            self.fields["group"].queryset = groups
            self.fields["lead"].queryset = User.objects.filter(memberships__group__in=groups).distinct() \
                .order_by("username").only("pk", "username")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The campaign must end after it starts."))
        group, lead = cleaned.get("group") or getattr(self.instance, "group", None), cleaned.get("lead")
        if group is not None and lead is not None and not lead.memberships.filter(group=group).exists():
            self.add_error("lead", _("%(username)s is not a member of %(group)s.") % {"username": lead.username,
                                                                                   "group": group.name})
        return cleaned

    def _post_clean(self):
        pass  # the service validates the model; the form must not write onto the page's instance

    def values(self):
        """Keyword arguments for services.create_campaign / update_campaign."""
        values = dict(self.cleaned_data)
        values.pop("group", None)
        values["recommendations"] = list(values["recommendations"])
        return values


class TargetAddForm(forms.Form):
    """One ask to one or many institutions; with a batch title it is recorded as a batch with statistics."""

    # Boxes to tick, not a list to Ctrl-click: a phone has no Ctrl key, and one slip of the mouse lost every choice.
    institutions = InstitutionsChoiceField(
        queryset=Institution.objects.none(), widget=forms.CheckboxSelectMultiple,
        label=_("Institutions"), help_text=_("Tick each institution to send this ask to."))
    ask = forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), label=_("Ask"),
                          help_text=_("What each of them is asked to do."))
    priority = forms.TypedChoiceField(choices=Target.Priority.choices, coerce=int, initial=Target.Priority.MEDIUM,
                                      label=_("Priority"))
    owner = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"),
                              label=_("Owner"))
    next_step = forms.CharField(max_length=300, required=False, label=_("Next step"))
    next_step_due = forms.DateField(required=False, widget=DateInput(), label=_("Next step due"))
    batch_title = forms.CharField(max_length=200, required=False, label=_("Batch title"),
                                  help_text=_("Sending this ask to many at once? Name the batch to follow its "
                                              "replies."))
    sent_on = forms.DateField(required=False, widget=DateInput(), label=_("Ask sent on"),
                              help_text=_("For a batch; default today."))
    reply_due = forms.DateField(required=False, widget=DateInput(), label=_("Reply due"),
                                help_text=_("For a batch: becomes each target's next step date."))

    def __init__(self, *args, campaign, user, query="", **kwargs):
        super().__init__(*args, **kwargs)
        institutions = Institution.objects.visible_to(user).exclude(targets__campaign=campaign)
        # The page's search (a plain GET, so it works without JavaScript) narrows the boxes shown; a posted form
        # accepts any institution the user may target.
        if query.strip() and not self.is_bound:
            institutions = institutions.search(query.strip())
        self.fields["institutions"].queryset = institutions.only("pk", "name", "name_zh").order_by("name")
        self.fields["owner"].queryset = members_of(campaign.group)

    def clean(self):
        cleaned = super().clean()
        sent_on, reply_due = cleaned.get("sent_on"), cleaned.get("reply_due")
        if (sent_on or reply_due) and not cleaned.get("batch_title"):
            self.add_error("batch_title", _("Name the batch these dates belong to."))
        if sent_on and reply_due and reply_due < sent_on:
            self.add_error("reply_due", _("The reply date must come after the ask was sent."))
        return cleaned


class TargetForm(forms.ModelForm):
    """The ask, priority, owner and next step of one target; its status moves through AdvanceForm."""

    owner = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"),
                              label=_("Owner"))

    class Meta:
        model = Target
        fields = ["ask", "priority", "owner", "next_step", "next_step_due", "contact_emails"]
        labels = {"ask": _("Ask"), "priority": _("Priority"), "next_step": _("Next step"),
                  "next_step_due": _("Next step due"), "contact_emails": _("Contact e-mail addresses")}
        widgets = {"ask": forms.Textarea(attrs={"rows": 3}), "next_step_due": DateInput(),
                   "contact_emails": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members_of(self.instance.campaign.group)

    def clean_contact_emails(self):
        addresses = self.cleaned_data["contact_emails"].replace(",", " ").split()
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValidationError(_("“%(address)s” is not an e-mail address.") % {"address": address}) from exc
        return "\n".join(addresses)

    def _post_clean(self):
        pass  # the service validates and saves


class AdvanceForm(forms.Form):
    """Move a target; the four decisive statuses need the interaction or evidence that shows them."""

    to_status = forms.ChoiceField(choices=Target.Status.choices, label=_("New status"))
    interaction = forms.ModelChoiceField(queryset=Interaction.objects.none(), required=False,
                                         empty_label="—", label=_("Justified by the interaction"))
    evidence = forms.ModelChoiceField(queryset=EvidenceRecord.objects.none(), required=False,
                                      empty_label="—", label=_("or by the evidence record"))
    note = forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           label=_("Note"),
                           help_text=_("What they said or did, in a sentence."))

    def __init__(self, *args, target, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["to_status"].choices = [(value, label) for value, label in Target.Status.choices
                                            if value != target.status]
        self.fields["interaction"].queryset = Interaction.objects.visible_to(user).filter(target=target)
        self.fields["interaction"].label_from_instance = lambda interaction: _("%(kind)s, %(direction)s, %(date)s") % {
            "kind": interaction.get_kind_display(), "direction": interaction.get_direction_display(),
            "date": date_format(interaction.occurred_on)}
        # The target's own evidence, or any record the user can see (the service checks that again).
        self.fields["evidence"].queryset = EvidenceRecord.objects.visible_to(user).filter(
            target_links__target=target).only("pk", "title")

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("to_status")
        if status in Target.NEEDS_JUSTIFICATION and not (cleaned.get("interaction") or cleaned.get("evidence")):
            raise ValidationError(
                _("A move to “%(status)s” must cite the interaction or evidence record that shows it: log their "
                  "reply first, or link the evidence.") % {"status": Target.Status(status).label})
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content when stored (evidence/attachments.py)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class InteractionForm(forms.ModelForm):
    """A letter, meeting, reply … with its files; a campaigner may also move the target's status with it."""

    files = MultipleFileField(label=_("Files"))
    move_to = forms.ChoiceField(required=False, label=_("Move the target to"),
                                help_text=_("Optional: this interaction is then the justification of the move."))
    note = forms.CharField(required=False, max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
                           label=_("Why it moves"))

    class Meta:
        model = Interaction
        fields = ["kind", "direction", "occurred_on", "summary", "outcome"]
        labels = {"kind": _("Kind"), "direction": _("Direction"), "occurred_on": _("Occurred on"),
                  "summary": _("Summary"), "outcome": _("Outcome")}
        widgets = {"occurred_on": DateInput(), "summary": forms.Textarea(attrs={"rows": 4}),
                   "outcome": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, target, can_move, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "Letters, replies, minutes: PDFs, images, office documents or text, up to %(size)s each. Only your "
            "group's members can download them.") % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
        if can_move:
            self.fields["move_to"].choices = [("", _("Leave the status as it is"))] + [
                (value, label) for value, label in Target.Status.choices if value != target.status]
        else:
            del self.fields["move_to"], self.fields["note"]

    def _post_clean(self):
        pass  # the service validates and saves

    def values(self):
        values = dict(self.cleaned_data)
        values.setdefault("move_to", "")
        values.setdefault("note", "")
        return values


class TaskForm(forms.ModelForm):
    assignee = MemberChoiceField(queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"),
                                 label=_("Assignee"))

    class Meta:
        model = Task
        fields = ["title", "target", "assignee", "due_on"]
        widgets = {"due_on": DateInput()}
        labels = {"title": _("Title"), "target": _("About the target"), "due_on": _("Due on")}

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = campaign.targets.select_related("institution")
        self.fields["target"].label_from_instance = lambda target: target.institution.name
        self.fields["target"].empty_label = _("The whole campaign")
        self.fields["assignee"].queryset = members_of(campaign.group)

    def _post_clean(self):
        pass


class EvidenceLinkForm(forms.Form):
    record = forms.ModelChoiceField(queryset=EvidenceRecord.objects.none(), label=_("Evidence record"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].queryset = EvidenceRecord.objects.visible_to(user)


#
# Briefing packs
#


class PackForm(forms.Form):
    """A pack's options; `group` is asked only for scopes that belong to no one group (an institution, a search)."""

    group = forms.ModelChoiceField(queryset=Group.objects.none(), empty_label=None, label=_("For the group"))
    kind = forms.ChoiceField(
        required=False, choices=BriefingPack.Kind.choices, initial=BriefingPack.Kind.INTERNAL,
        widget=forms.RadioSelect,
        label=_("Kind of briefing"),
        help_text=_("An outward briefing is for people outside the group: only your group's own verified, "
                    "unprotected evidence, with no member names, files, tags, history or internal fields."))
    executive_summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=LONG_TEXT_MAX_LENGTH,
        label=_("Executive summary"),
        help_text=_("Opens an outward briefing: what you ask of the reader and why, in a few paragraphs."))
    include_protected = forms.BooleanField(
        required=False, label=_("Include protected material"),
        help_text=_("Off by default: your group's protected records, protected sources and translators' names are "
                  "withheld and only counted. Turning it on is written to the group's audit log. Copies other "
                  "groups shared never carry their protected material."))
    include_attachments = forms.BooleanField(required=False, label=_("Include the files of your group's records"))
    # Drafts and records nobody has checked yet stay out of what a group hands to others, unless asked for.
    only_verified = forms.BooleanField(required=False, initial=True, label=_("Only verified evidence"))
    language = forms.ChoiceField(choices=BriefingPack.Language.choices, initial=BriefingPack.Language.EN,
                                 label=_("Language of the briefing's headings"))

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is None:
            del self.fields["group"]
        else:
            self.fields["group"].queryset = groups

    def options(self):
        data = self.cleaned_data
        return {"redact_protected": not data["include_protected"], "include_attachments": data["include_attachments"],
                "only_verified": data["only_verified"], "language": data["language"],
                "kind": data["kind"] or BriefingPack.Kind.INTERNAL,
                "executive_summary": data["executive_summary"]}


class LetterheadForm(forms.Form):
    """A group's letterhead: the contact line and the logo on the cover of what it sends out."""

    contact_line = forms.CharField(
        required=False, max_length=300, label=_("Contact line"),
        help_text=_("Printed under the group's name on the cover of outward briefings, e.g. an e-mail address and a "
                    "website."))
    logo = forms.FileField(required=False, label=_("Logo"),
                           help_text=_("A PNG or SVG image of at most 512 KB. Scripts and links inside an SVG are "
                                       "removed."))
    remove_logo = forms.BooleanField(required=False, label=_("Remove the logo"))


class PackVerifyForm(forms.Form):
    file = forms.FileField(label=_("The pack (a .zip) or its manifest.json"),
                           help_text=_("Nothing you upload is kept."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.PACK_VERIFY_MAX_BYTES:
            raise ValidationError(_("The file is larger than %(limit)s.")
                                  % {"limit": filesizeformat(settings.PACK_VERIFY_MAX_BYTES)})
        return upload
