"""The group's comments on its targets, through the API (accounts/api/comments.py does the work)."""

from accounts.api.comments import comment_serializer_for, comment_viewset_for
from campaigns.models import TargetComment

TargetCommentSerializer = comment_serializer_for(TargetComment)
TargetCommentViewSet = comment_viewset_for(TargetComment, TargetCommentSerializer)
