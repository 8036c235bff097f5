"""
The API of comments (evidence's records, campaigns' targets: each app names its models) and of my notifications.
A comment is read and written inside the commented object's group only: the queryset is the comment model's
visible_to (scoped by the object's own group, so a shared copy's receivers read none), and the object a new
comment names must be one of the caller's own groups' (any other is "does not exist", like a missing one).
"""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import comments, notifications
from accounts.choices import Role
from accounts.models import Notification
from accounts.permissions import ROLE_ACTIONS, Action, roles_by_group


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    may_edit = serializers.SerializerMethodField()
    may_delete = serializers.SerializerMethodField()

    class Meta:
        fields = ["id", "author", "body", "created_at", "edited_at", "may_edit", "may_delete"]
        read_only_fields = ["created_at", "edited_at"]

    def get_fields(self):
        fields = super().get_fields()
        parent_field = self.Meta.model.parent_field
        if self.instance is not None and not isinstance(self.instance, list | tuple) and \
                getattr(self.instance, "pk", None):
            fields[parent_field].read_only = True  # a comment stays on what it was written on
        else:
            request = self.context.get("request")
            user = getattr(request, "user", None)
            parent_model = self.Meta.model._meta.get_field(parent_field).related_model
            own_groups = list(roles_by_group(user)) if user is not None else []
            fields[parent_field].queryset = parent_model.objects.filter(
                **{f"{parent_model.scope_path}__in": own_groups})
        return fields

    def get_may_edit(self, comment) -> bool:
        return comments.may_edit(comment, self.context["request"].user)

    def get_may_delete(self, comment) -> bool:
        return comments.may_delete(comment, self.context["request"].user)


def comment_serializer_for(model):
    parent_field = model.parent_field
    meta = type("Meta", (CommentSerializer.Meta,), {"model": model,
                                                    "fields": [*CommentSerializer.Meta.fields[:1], parent_field,
                                                               *CommentSerializer.Meta.fields[1:]]})
    return type(f"{model.__name__}Serializer", (CommentSerializer,), {"Meta": meta})


class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Subclassed with `model` (evidence.RecordComment, campaigns.TargetComment)."""

    model = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        # The scope path too: may_edit and may_delete find each comment's group through it (accounts.scoping.group_of).
        rows = self.model.objects.visible_to(self.request.user).select_related("author", self.model.scope_path)
        parent = self.request.query_params.get(self.model.parent_field)
        if parent is not None and self.action == "list":
            if not parent.isdigit():
                raise ValidationError({self.model.parent_field: ["A whole number."]})
            rows = rows.filter(**{f"{self.model.parent_field}_id": int(parent)})
        return rows

    def create(self, request, *args, **kwargs):
        # The role first: a viewer (in every group) is refused before what they sent is read.
        roles = roles_by_group(request.user).values()
        if not any(Action.COMMENT in ROLE_ACTIONS[Role(role)] for role in roles):
            raise PermissionDenied(gettext("Your role in this group does not allow that."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        parent = serializer.validated_data[self.model.parent_field]
        serializer.instance = comments.add_comment(parent, actor=self.request.user,
                                                   body=serializer.validated_data.get("body", ""))

    def perform_update(self, serializer):
        comment = serializer.instance
        if not comments.may_edit(comment, self.request.user):
            raise PermissionDenied("Only its author may edit a comment.")
        comments.edit_comment(comment, actor=self.request.user,
                              body=serializer.validated_data.get("body", comment.body))

    def perform_destroy(self, instance):
        comments.delete_comment(instance, actor=self.request.user)


def comment_viewset_for(model, serializer):
    parent_field = model.parent_field
    return extend_schema_view(list=extend_schema(parameters=[OpenApiParameter(
        parent_field, int, description=f"Only the comments on this {parent_field}.")]))(
        type(f"{model.__name__}ViewSet", (CommentViewSet,), {
            "model": model, "serializer_class": serializer,
            "__doc__": f"Comments on your groups' {parent_field}s: read by every member, written by members whose "
                       f"role allows it; never those of another group, nor on its shared copies."}))


class NotificationSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    available = serializers.BooleanField(read_only=True)
    summary = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    object_id = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "actor", "available", "summary", "title", "object_type", "object_id", "url",
                  "created_at", "read_at"]

    # Who and what it points at are told only while the recipient may still see it in that group: someone who
    # left the group learns nothing more of it, not even who of its members wrote to them.
    def get_actor(self, notification) -> str | None:
        return notification.actor.username if notification.available and notification.actor_id else None

    def get_url(self, notification) -> str:
        return notification.url if notification.available else ""

    def get_object_type(self, notification) -> str:
        return notification.object_type if notification.available else ""

    def get_object_id(self, notification) -> str:
        return notification.object_id if notification.available else ""


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications, newest first (nobody else's). POST read/ marks one read; read-all/ marks them all."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user).select_related("actor", "group")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = notifications.with_objects(page if page is not None else self.get_queryset(), request.user)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notifications.mark_read(request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notifications.with_objects([notification], request.user)[0]).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        notifications.mark_read(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
