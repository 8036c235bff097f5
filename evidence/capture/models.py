"""
Source captures: a copy of a source's page taken when it was logged (or when someone asked), made by a worker
(evidence/capture/worker.py) and kept in private storage, and the files of each capture. Imported by
evidence/models.py, so that they are the evidence app's models.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated
from accounts.files import StoredFile, private_storage
from accounts.jobs import Job
from accounts.scoping import GroupScopedQuerySet
from evidence.similar import PerceptualHashed


class SourceCapture(OneChoiceLabelTranslated, Job):
    """
    One capture of a source's web page (a job, see accounts.jobs.Job): its files appear when it is done, all of
    them or none; a failed capture says why and can be retried. The page may change later: the files stay as
    they were.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Capturing")
        DONE = "done", _("Captured")
        FAILED = "failed", _("Failed")

    SUCCEEDED = Status.DONE
    job_kind = "capture"
    poll_seconds = 2

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="source_captures")
    source = models.ForeignKey("evidence.Source", on_delete=models.CASCADE, related_name="captures")
    # The address asked for when the capture was queued, and the one the page came from after redirects.
    url = models.URLField(max_length=1000)
    final_url = models.URLField(max_length=1000, blank=True)
    page_title = models.CharField(max_length=300, blank=True)
    # When the page was rendered: the moment the files show it as it was.
    captured_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["source", "-created_at"])]

    def __str__(self):
        return f"Capture of {self.url} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return reverse("source-capture-detail", args=[self.pk])

    @property
    def retry_url(self):
        return reverse("source-capture-retry", args=[self.pk])

    def storage_folder(self):
        """Where this capture's files are stored; a run removes whatever an earlier, killed run left there."""
        return f"captures/{self.group_id}/{self.pk}"


class CaptureFile(PerceptualHashed, StoredFile):
    """
    One file of a capture: the screenshot, the PDF print, the HTML, the WARC, or the WACZ bundle that ReplayWeb.page
    opens (the WARC with its index, evidence/capture/wacz.py), with its SHA-256 and size.
    """

    class Kind(models.TextChoices):
        SCREENSHOT = "screenshot", _("Screenshot")
        PDF = "pdf", _("PDF print")
        HTML = "html", _("HTML")
        WARC = "warc", _("WARC recording")
        WACZ = "wacz", _("WACZ bundle")

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="capture_files")
    capture = models.ForeignKey(SourceCapture, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(storage=private_storage, max_length=300)

    class Meta(StoredFile.Meta):
        constraints = [models.UniqueConstraint(fields=["capture", "kind"], name="one_capture_file_per_kind")]
        indexes = PerceptualHashed.band_indexes("capture_file")

    def get_absolute_url(self):
        return reverse("capture-file-download", args=[self.pk])
