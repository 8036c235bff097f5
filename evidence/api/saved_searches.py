"""
The signed-in person's saved searches in the API (list, create, change, delete, the feed's address). Each is its
owner's alone: anyone else's is a 404. A feed's address is made (and its key shown once) by the same verb as on the
saved searches page.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import FeedAddressSerializer
from accounts.api.views import feed_address
from evidence import saved_searches as logic
from evidence.models import SavedSearch


class SavedSearchSerializer(serializers.ModelSerializer):
    query = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="",
        help_text="The evidence list's query string (its filters and words, e.g. q=camera&status=verified), checked "
                  "by the list's own filters: an unknown filter or an invalid value is a 400.")
    list_url = serializers.CharField(read_only=True, help_text="The evidence list with the search applied.")
    has_feed = serializers.SerializerMethodField()

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "frequency", "list_url", "has_feed", "last_checked_at", "created_at"]
        read_only_fields = ["last_checked_at", "created_at"]

    def get_has_feed(self, search) -> bool:
        return bool(search.feed_key_digest)

    def validate_query(self, value):
        # Checked here too (the service checks again) so the error is on the field even with other errors.
        return logic.clean_query(self.context["request"].user, value)

    def create(self, validated_data):
        return logic.save_search(actor=self.context["request"].user, name=validated_data["name"],
                                 query=validated_data.get("query", ""),
                                 frequency=validated_data.get("frequency", SavedSearch.Frequency.WEEKLY))

    def update(self, instance, validated_data):
        return logic.change_saved_search(instance, actor=self.context["request"].user, **validated_data)


class SavedSearchViewSet(viewsets.ModelViewSet):
    """Your saved evidence searches and how often you are e-mailed their new matches (daily, weekly or off)."""

    serializer_class = SavedSearchSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return SavedSearch.objects.visible_to(self.request.user)

    def perform_destroy(self, instance):
        logic.delete_saved_search(instance, actor=self.request.user)

    @extend_schema(request=None, responses=FeedAddressSerializer)
    @action(detail=True, methods=["post"])
    def feed(self, request, pk=None):
        """Make a new address for this search's private Atom feed (ending the one before); its key is shown once."""
        key = logic.new_feed_key(self.get_object(), actor=request.user)
        return feed_address(logic.feed_url(key))

    @extend_schema(request=None, responses={204: None})
    @feed.mapping.delete
    def end_feed(self, request, pk=None):
        """Turn this search's feed off: its address answers 404 from now on."""
        logic.end_feed_key(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
