"""
Private storage for uploaded evidence, interaction files, imports waiting to be saved and briefing packs: the local
disk by default, or an S3-compatible bucket (django-storages) when S3_BUCKET is set. Either way nothing in it has an
address of its own; files are read only through views that check who is asking.

A storage that cannot be reached raises StorageUnavailable (the upload's transaction has rolled back, so nothing is
half-saved). The pages that take uploads catch it and show the form again with `STORAGE_DOWN` on it, keeping what
was typed; anywhere else StorageUnavailableMiddleware turns it into a 503 that says so (JSON for the API), never a
500.
"""

import logging

from django.core.files.storage import FileSystemStorage
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


class StorageUnavailable(OSError):
    """The private storage did not answer, or refused our credentials: nothing was read or written."""


# Status of a page that shows its form again because the storage is down: the request was fine, the service is not.
STORAGE_DOWN_STATUS = 503
STORAGE_DOWN = gettext_lazy("File storage is not available at the moment, so the file was not saved (nothing "
                            "else was either). Please try again later.")


def log_missing(name):
    # The views answer 404 (the same as for another group's file); the log says which file is gone, for whoever
    # restores it.
    logger.warning("Private storage has no file %r: it was deleted or never reached this storage", name)


class PrivateFileSystemStorage(FileSystemStorage):
    """Files with no public address: they are read only through views that check who is asking."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a permission-checked view.")

    def _open(self, name, mode="rb"):
        try:
            return super()._open(name, mode)
        except FileNotFoundError:
            log_missing(name)
            raise


def _s3_storage_class():
    # Imported only when S3 is configured, so the embedded default does not need boto3 to start.
    from botocore.exceptions import BotoCoreError, ClientError
    from storages.backends.s3 import S3Storage

    missing_codes = {"404", "NoSuchKey", "NotFound"}

    def unavailable(exc, action, name):
        logger.error("Private storage (S3) could not %s %r: %s", action, name, exc)
        return StorageUnavailable(f"Private storage could not {action} {name!r}")

    class PrivateS3Storage(S3Storage):
        """
        A private bucket: objects are written with no ACL (the bucket policy decides, and it grants nothing
        public), and url() refuses like the local disk's, so no presigned or public address is ever made.
        Connection and permission errors become StorageUnavailable; a missing object stays FileNotFoundError.
        """

        def url(self, name, parameters=None, expire=None, http_method=None):
            raise ValueError("Private files have no URL; serve them through a permission-checked view.")

        def _open(self, name, mode="rb"):
            try:
                return super()._open(name, mode)
            except FileNotFoundError:  # django-storages' own translation of a 404
                log_missing(name)
                raise
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in missing_codes:
                    log_missing(name)
                    raise FileNotFoundError(name) from exc
                raise unavailable(exc, "open", name) from exc
            except BotoCoreError as exc:
                raise unavailable(exc, "open", name) from exc

        def _save(self, name, content):
            try:
                return super()._save(name, content)
            except (BotoCoreError, ClientError) as exc:
                raise unavailable(exc, "save", name) from exc

        def exists(self, name):
            try:
                return super().exists(name)
            except (BotoCoreError, ClientError) as exc:
                raise unavailable(exc, "look up", name) from exc

        def delete(self, name):
            try:
                return super().delete(name)
            except (BotoCoreError, ClientError) as exc:
                raise unavailable(exc, "delete", name) from exc

        def listdir(self, path):
            try:
                return super().listdir(path)
            except (BotoCoreError, ClientError) as exc:
                raise unavailable(exc, "list", path) from exc

    return PrivateS3Storage


def __getattr__(name):
    # STORAGES names "config.storage.PrivateS3Storage"; building the class on first use keeps boto3 optional.
    if name == "PrivateS3Storage":
        cls = _s3_storage_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


class StorageUnavailableMiddleware:
    """A request that needed private storage while it was down answers 503 saying so: JSON for the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, StorageUnavailable):
            return None
        message = _("File storage is not available at the moment; please try again later.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=503)
        return render(request, "request_refused.html", {"message": message}, status=503)
