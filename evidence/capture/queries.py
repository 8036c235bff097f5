"""Reading captures for pages and the API: the newest capture of each source, with its files."""

from django.db.models import Prefetch

from evidence.models import CaptureFile, SourceCapture


def latest_captures(user, sources):
    """{source id: its newest capture `user` may see}, with the files of each; one query for all the sources."""
    ids = [source.pk for source in sources]
    if not ids:
        return {}
    newest = {}
    captures = (SourceCapture.objects.visible_to(user).filter(source_id__in=ids).order_by("source_id", "-created_at",
                                                                                          "-pk")
                .prefetch_related(Prefetch("files", queryset=CaptureFile.objects.order_by("kind"))))
    for capture in captures:
        newest.setdefault(capture.source_id, capture)
    return newest
