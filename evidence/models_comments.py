"""
Members' comments on their group's evidence records (accounts.models.CommentBase; accounts/comments.py has the
verbs). Imported by evidence/models.py, so that they are the evidence app's models.
"""

from django.db import models

from accounts.models import CommentBase


class RecordComment(CommentBase):
    """A member's comment on one of their group's records: never shown on another group's shared copy."""

    record = models.ForeignKey("evidence.EvidenceRecord", on_delete=models.CASCADE, related_name="comments")

    parent_field = "record"
    scope_path = "record__group"

    class Meta(CommentBase.Meta):
        pass
