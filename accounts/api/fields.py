"""Serializer fields every app's API shares."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class VisibleField(serializers.PrimaryKeyRelatedField):
    """A row the caller may see (`Model.objects.visible_to`), by id; another group's row reads as "does not exist"."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(self.context["request"].user)


@extend_schema_field(OpenApiTypes.URI)
class PageLinkField(serializers.Field):
    """
    The address of the object's page on the site (its get_absolute_url), so that a script can send a person to
    what it found. Read-only; absolute when there is a request to take the host from.
    """

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source="*")
        kwargs.setdefault("help_text", _("The object's page on the site."))
        super().__init__(**kwargs)

    def to_representation(self, obj):
        path = obj.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReaderTextField(serializers.CharField):
    """A stored message (accounts.stored_text, e.g. a job's error) in the language of the API's caller."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        from accounts.stored_text import for_reader

        return for_reader(super().to_representation(value))
