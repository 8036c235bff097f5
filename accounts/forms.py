from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User


def add_service_errors(form, exc, *, label_of=None):
    """
    Put a ValidationError a service raised on the page's form: on the field it names if the form has it, else on
    the whole form, prefixed with the field's label (`label_of(name)`) so the person knows what it is about.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field == NON_FIELD_ERRORS or label_of is None:
            form.add_error(None, [message for error in errors for message in error.messages])
        else:
            label = label_of(field)
            form.add_error(None, [f"{label[:1].upper()}{label[1:]}: {message}"
                                  for error in errors for message in error.messages])


class InviteMemberForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("They get an e-mail with a link to join, and become a member only if they accept.")
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VOLUNTEER, label=_("Role"))


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AcceptInvitationForm(UserCreationForm):
    """Creates the account of someone who was invited by e-mail; the address comes from the invitation."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class SharingListingForm(forms.Form):
    listed_for_sharing = forms.BooleanField(
        required=False, label=_("List this group as a partner for sharing evidence"),
        help_text=_("Coordinators of every group on the site will see this group's name when they share verified "
        "evidence, and can share with it. Unlisted, the group is invisible to them and nobody can share with it."),
    )


class TwoFactorPolicyForm(forms.Form):
    requires_two_factor = forms.BooleanField(
        required=False, label=_("Require two-factor sign-in for every member"),
        help_text=_("Members without an authenticator app or security key will be asked to set one up before "
        "they can use the site or the API."),
    )


class AlertTitlesForm(forms.Form):
    alert_titles_shown = forms.BooleanField(
        required=False, label=_("Name our records in saved-search alerts"),
        help_text=_("Members' and partners' alert e-mails and feeds of new records then give the titles of this "
        "group's records, which pass through mail and feed services. Off, they give only a count and links."),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What the token is for (a script, a computer), to tell it apart in this list."),
    )
