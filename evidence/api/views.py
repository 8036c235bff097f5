from rest_framework import mixins, permissions, viewsets

from accounts.permissions import Action, can_in_any_group
from evidence import services
from evidence.api.serializers import (
    InstitutionSerializer,
    RecommendationSerializer,
    RelationshipSerializer,
    ReportSerializer,
    RightSerializer,
    SectorSerializer,
)
from evidence.filters import InstitutionFilterSet
from evidence.models import Institution, Recommendation, Relationship, Report, Right, Sector


class DirectoryPermission(permissions.IsAuthenticated):
    """Every member reads the shared directory; coordinators (of any group) and site staff change it."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or can_in_any_group(request.user, Action.EDIT_DIRECTORY)


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Reports loaded on this site (`manage.py load_report`)."""

    serializer_class = ReportSerializer
    lookup_field = "slug"
    queryset = Report.objects.all()


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    """Recommendations of the reports, with the short ask a campaign can adopt."""

    serializer_class = RecommendationSerializer
    queryset = Recommendation.objects.select_related("report")
    filterset_fields = {"report__slug": ["exact"], "addressee": ["exact"]}


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SectorSerializer
    lookup_field = "slug"
    queryset = Sector.objects.all()


class RightViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RightSerializer
    lookup_field = "slug"
    queryset = Right.objects.all()


class InstitutionViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The shared institution directory; `q` searches names, Chinese names and aliases."""

    serializer_class = InstitutionSerializer
    permission_classes = [DirectoryPermission]
    filterset_class = InstitutionFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return Institution.objects.visible_to(self.request.user).select_related("parent").prefetch_related("sectors")


class RelationshipViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Links between institutions: who supplies, partners with, funds … whom."""

    serializer_class = RelationshipSerializer
    permission_classes = [DirectoryPermission]
    filterset_fields = {"source_institution__slug": ["exact"], "target_institution__slug": ["exact"],
                        "kind": ["exact"]}

    def get_queryset(self):
        return Relationship.objects.select_related("source_institution", "target_institution").filter(
            source_institution__in=Institution.objects.visible_to(self.request.user)
        )

    def perform_destroy(self, instance):
        services.remove_relationship(instance, actor=self.request.user)
