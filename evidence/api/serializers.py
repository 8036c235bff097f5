from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from evidence import services
from evidence.models import Institution, Recommendation, Relationship, Report, Right, Sector


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["slug", "title", "publisher", "published", "licence", "licence_url", "url", "document_code",
                  "credit"]


class RecommendationSerializer(serializers.ModelSerializer):
    report = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Recommendation
        fields = ["id", "report", "code", "addressee", "summary", "ask", "page", "order"]


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name", "summary"]


class RightSerializer(serializers.ModelSerializer):
    class Meta:
        model = Right
        fields = ["slug", "name", "summary", "anchors", "page"]


class InstitutionSerializer(serializers.ModelSerializer):
    sectors = serializers.SlugRelatedField(slug_field="slug", many=True, queryset=Sector.objects.all(),
                                           required=False)
    parent = serializers.SlugRelatedField(slug_field="slug", queryset=Institution.objects.all(), allow_null=True,
                                          required=False)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    products = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
    people = serializers.ListField(child=serializers.CharField(max_length=300), required=False)

    class Meta:
        model = Institution
        fields = ["slug", "name", "name_zh", "aliases", "kind", "country", "sectors", "products", "people",
                  "website", "summary", "parent", "investigated", "report_table", "page", "updated_at"]
        read_only_fields = ["investigated", "report_table", "page", "updated_at"]

    def create(self, validated_data):
        return services.create_institution(actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("slug", None)  # the slug is the institution's id: fixed once created
        return services.update_institution(instance, actor=self.context["request"].user, **validated_data)


class RelationshipSerializer(serializers.ModelSerializer):
    source_institution = serializers.SlugRelatedField(slug_field="slug", queryset=Institution.objects.all())
    target_institution = serializers.SlugRelatedField(slug_field="slug", queryset=Institution.objects.all())

    class Meta:
        model = Relationship
        fields = ["id", "slug", "source_institution", "target_institution", "kind", "note", "source", "page"]
        read_only_fields = ["slug", "page"]

    def validate(self, attrs):
        try:
            Relationship(**attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return attrs

    def create(self, validated_data):
        return services.add_relationship(actor=self.context["request"].user, **validated_data)
