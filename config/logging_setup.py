"""
The site's log lines: time, level, logger and the id of the request (or of the job) they belong to, then the message.

The request id comes from django-guid: its middleware takes a valid X-Request-ID from the proxy in front (so that
the proxy's and the site's lines match) or makes one, sends it back in the response's X-Request-ID, and hands it to
every Celery task the request enqueues, so that a pack's build logs under the id of the request that asked for it.

LOG_FORMAT=json prints one JSON object a line (python-json-logger) for a log collector; text is for people.
"""

from django_guid.log_filters import CorrelationId

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The record's attributes a JSON line carries, renamed to plain words.
JSON_FIELDS = ("asctime", "levelname", "name", "request_id", "message")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
FORMATS = ("text", "json")


def logging_config(*, level, log_format):
    """Django's LOGGING for `level` and `log_format` (text or json)."""
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_NAMES,
            "timestamp": False,
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            # Adds record.request_id: the request's (or task's) id, "-" outside of both.
            "request_id": {"()": "config.logging_setup.RequestIdFilter"},
        },
        "formatters": {"site": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "site", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console handler (DEBUG only) would print each of its lines a second time, bare.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.db.backends": {"level": "INFO"},
            # Axes logs every attempt, with the address and name, at INFO: the audit log and the lock are enough.
            "axes": {"level": "WARNING"},
            # django-guid logs each id it sets, at INFO: the id is on every line already.
            "django_guid": {"level": "WARNING"},
        },
    }


class RequestIdFilter(CorrelationId):
    """django-guid's filter, setting record.request_id, "-" where there is no request or job."""

    def __init__(self):
        super().__init__(correlation_id_field="request_id")

    def filter(self, record):
        super().filter(record)
        record.request_id = record.request_id or "-"
        return True
