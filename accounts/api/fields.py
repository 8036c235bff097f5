"""Serializer fields every app's API shares."""

from rest_framework import serializers


class VisibleField(serializers.PrimaryKeyRelatedField):
    """A row the caller may see (`Model.objects.visible_to`), by id; another group's row reads as "does not exist"."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(self.context["request"].user)
