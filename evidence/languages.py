"""
The languages a source or an excerpt is written in, offered as a list where each language is named in itself
("中文 (zh)", "ئۇيغۇرچە (ug)") so that a reader of it finds it, with the code the data keeps.

The list is what groups working on China's surveillance meet most; the stored value stays a free code (imports and
the API may hold any), so a value outside the list is kept and offered as it is rather than lost on the next save.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

# Code, then the language's own name. Chinese first: most sources of the report are Chinese.
LANGUAGES = [
    ("zh", "中文"),
    ("en", "English"),
    ("ug", "ئۇيغۇرچە"),
    ("bo", "བོད་ཡིག"),
    ("kk", "Қазақ тілі"),
    ("mn", "Монгол хэл"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("ru", "Русский"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("pt", "Português"),
]


def language_choices(current=""):
    """The select's options: none chosen, the list, and `current` as it is if the list does not have it."""
    choices = [("", _("—"))] + [(code, f"{name} ({code})") for code, name in LANGUAGES]
    if current and current not in dict(LANGUAGES):
        choices.append((current, current))
    return choices


class LanguageSelect(forms.Select):
    """A select of languages, named in themselves; keeps a stored code the list does not have."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=language_choices())

    def get_context(self, name, value, attrs):
        self.choices = language_choices(value or "")
        return super().get_context(name, value, attrs)
