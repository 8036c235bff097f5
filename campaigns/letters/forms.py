"""Page forms for letters: validation only; campaigns/letters/services.py checks templates and roles again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.letters.merge import FIELDS, ITEM_KEYS
from campaigns.letters.models import LetterTemplate

DEFAULT_BODY = """Dear {{ institution }},

We write on behalf of {{ group }} about our campaign “{{ campaign }}”.

{{ ask }}

The evidence we rely on:
{% for item in evidence %}{{ loop.index }}. {{ item.title }}, {{ item.source }} {{ item.url }}
{% endfor %}
Yours sincerely,"""


def fields_help():
    fields = "; ".join(f"{{{{ {name} }}}}: {text}" for name, text in FIELDS.items())
    lists = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in ITEM_KEYS.items())
    return _("Merge fields — %(fields)s. In a loop ({%% for item in evidence %%} … {%% endfor %%}) each item has "
             "%(lists)s, and loop.index counts from 1. Nothing else can be used.") % {"fields": fields, "lists": lists}


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["name", "language", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = fields_help()
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("body", DEFAULT_BODY)
            self.initial.setdefault("subject", "{{ campaign }}")


class TargetsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, target):
        institution = target.institution
        name = f"{institution.name} ({institution.name_zh})" if institution.name_zh else institution.name
        return f"{name} — {target.get_status_display()}"


class LetterBatchForm(forms.Form):
    targets = TargetsChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple, label=_("Targets"),
                                 help_text=_("One letter is written to each."))
    sender_name = forms.CharField(label=_("Sender"), max_length=200,
                                  help_text=_("The name the letters are signed with: a person's or a role's "
                                              "(e.g. “The Alpha Watch team”). It is printed in every letter."))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = targets
