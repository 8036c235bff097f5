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
