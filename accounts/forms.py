from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Role, User


class InviteMemberForm(forms.Form):
    email = forms.EmailField(
        help_text="If someone already has an account with this address they are added at once; "
        "otherwise they get an e-mail with a link to join."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VOLUNTEER)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AcceptInvitationForm(UserCreationForm):
    """Creates the account of someone who was invited by e-mail; the address comes from the invitation."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class SharingListingForm(forms.Form):
    listed_for_sharing = forms.BooleanField(
        required=False, label="List this group as a partner for sharing evidence",
        help_text="Coordinators of every group on the site will see this group's name when they share verified "
        "evidence, and can share with it. Unlisted, the group is invisible to them and nobody can share with it.",
    )


class TwoFactorPolicyForm(forms.Form):
    requires_two_factor = forms.BooleanField(
        required=False, label="Require two-factor sign-in for every member",
        help_text="Members without an authenticator app or security key will be asked to set one up before "
        "they can use the site or the API.",
    )
