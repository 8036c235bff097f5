"""Viewset behaviour every app's API shares."""

from django.db import transaction
from django.utils.translation import gettext
from rest_framework.exceptions import PermissionDenied


class RecheckedWrites:
    """
    Creates and updates run in one transaction that ends by checking the written row is still one the caller can
    see (the viewset's get_queryset, which is visible_to(user)); if not, the write is rolled back with a 403. The
    serializers and services check what they are given; this catches what they missed, such as a field pointing
    the row at another group. A viewset whose writes go through a service verb rather than serializer.save()
    overrides `write`.
    """

    def perform_create(self, serializer):
        self._write_rechecked(serializer)

    def perform_update(self, serializer):
        self._write_rechecked(serializer)

    def write(self, serializer):
        serializer.save()

    def _write_rechecked(self, serializer):
        with transaction.atomic():
            self.write(serializer)
            if not self.get_queryset().filter(pk=serializer.instance.pk).exists():
                raise PermissionDenied(gettext("That would put data outside your groups."))
