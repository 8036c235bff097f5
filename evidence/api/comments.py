"""The group's comments on its records, through the API (accounts/api/comments.py does the work)."""

from accounts.api.comments import comment_serializer_for, comment_viewset_for
from evidence.models import RecordComment

RecordCommentSerializer = comment_serializer_for(RecordComment)
RecordCommentViewSet = comment_viewset_for(RecordComment, RecordCommentSerializer)
