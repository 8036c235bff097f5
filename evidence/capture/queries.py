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


def capture_files_for_pack(user, group, source_ids):
    """
    The files of the newest finished capture of each of `source_ids` that `group` owns, as (name in the pack's
    ZIP, CaptureFile): packs that include files carry them, and their manifest lists each with its SHA-256.
    """
    done = (SourceCapture.objects.visible_to(user).filter(group=group, source_id__in=source_ids,
                                                          status=SourceCapture.Status.DONE)
            .order_by("source_id", "-captured_at", "-pk"))
    newest = {}
    for capture in done:
        newest.setdefault(capture.source_id, capture)
    files = CaptureFile.objects.filter(capture__in=newest.values()).order_by("capture__source_id", "kind")
    return [(f"captures/S{row.capture.source_id}/{row.capture_id}-{row.original_name}", row)
            for row in files.select_related("capture")]
