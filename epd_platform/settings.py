"""Settings for the Steel EPD Platform, read from environment variables.

The defaults are the embedded ones used by `make run`: SQLite under var/, Celery tasks run
in-process, files on local disk, a signing key generated on first run. Production switches on
with DEBUG=False and real secrets (see docs/operations.md).
"""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from corsheaders.defaults import default_headers as corsheaders_default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value in ("True", "true", "1"):
        return True
    if value in ("False", "false", "0"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the file named by NAME_FILE (docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    # Like pretix: a fresh random key on first run, kept under var/ so sessions survive restarts.
    path = VAR_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret("SECRET_KEY") or ("" if not DEBUG else _embedded_secret_key())
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG=False")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "accounts",
    "declarations",
    "verification",
    "registry",
]

MIDDLEWARE = [
    # Outermost: whatever went wrong further in, an error under /api/ is answered as JSON, DEBUG or not.
    "declarations.errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ETag on every GET, 304 on If-None-Match / If-Modified-Since (with the Last-Modified views set).
    "django.middleware.http.ConditionalGetMiddleware",
]

ROOT_URLCONF = "epd_platform.urls"
WSGI_APPLICATION = "epd_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'epd.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (eager tasks, the dev server) write; wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"  # each role lands on its own work: mills, verifiers, operators
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"  # never served publicly: reports are private, artefacts go through views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Upload limits. Django refuses bigger request bodies before our code runs.
MAX_REPORT_BYTES = env_int("MAX_REPORT_BYTES", 25 * 1024 * 1024)
MAX_RESULTS_FILE_BYTES = env_int("MAX_RESULTS_FILE_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Keys live under var/keys in the embedded default; production mounts them (docs/operations.md).
SIGNING_KEY_DIR = Path(os.environ.get("SIGNING_KEY_DIR", VAR_DIR / "keys"))
# The CRL every certificate names (default: SITE_URL/api/v1/keys/root.crl), how long each CRL is valid (it is
# re-issued from the offline root before then), and when the embedded default renews its own.
PKI_CRL_URL = os.environ.get("PKI_CRL_URL", "")
PKI_CRL_VALIDITY = timedelta(days=env_int("PKI_CRL_VALIDITY_DAYS", 365))
PKI_CRL_RENEW_BEFORE = timedelta(days=30)
# The embedded default creates a root CA in SIGNING_KEY_DIR on first use. Production (DEBUG=False) does not:
# the root is made offline with `manage.py key_ceremony` (docs/operations.md).
PKI_EMBEDDED_ROOT = env_bool("PKI_EMBEDDED_ROOT", DEBUG)
# RFC 3161 time stamps: empty means the platform's own TSA, in-process. An outside TSA needs its root trusted.
TSA_URL = os.environ.get("TSA_URL", "")
TSA_ROOT_CERT_FILE = os.environ.get("TSA_ROOT_CERT_FILE", "")
TSA_TIMEOUT = env_int("TSA_TIMEOUT", 10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "epd_platform.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "epd_platform.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "declarations.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    # JSON bodies (as docs/api.md shows them); the upload endpoints take multipart themselves. Forms cannot say
    # null, an empty list or a nested object, so DRF guessed (`standards=` became []), and the schema promised them.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# The public registry API: anonymous clients per IP, clients with a token (or session) per user.
REGISTRY_THROTTLE_RATES = {
    "registry_anon": os.environ.get("THROTTLE_ANON", "120/minute"),
    "registry_token": os.environ.get("THROTTLE_USER", "1200/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Steel EPD Platform API",
    "DESCRIPTION": (
        "Publish, verify and search EN 15804+A2 Environmental Product Declarations of steel products. "
        "The public registry needs no account; producer and verifier endpoints take a session or an "
        "`Authorization: Token <key>` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "DeclarationStatus": "declarations.workflow.Status",
        "RegistryStatus": "registry.models.RegistryStatus",
        "StatusChangeTarget": ["suspended", "revoked", "valid"],
        "CharacterisationMethod": "declarations.models.Declaration.CharacterisationMethod",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# CORS: the public API is open to any origin for reads; writes need a session or token anyway.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_URLS_REGEX = r"^/api/.*$"
# A script may ask conditionally (If-None-Match / If-Modified-Since) without the preflight refusing it.
CORS_ALLOW_HEADERS = [*corsheaders_default_headers, "if-none-match", "if-modified-since"]
# Headers a script in a browser may read: conditional requests, rate limits (docs/api.md), paging links.
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Last-Modified",
    "Retry-After",
    "Link",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Content-Disposition",
    "Digest",
]

# Celery. Without REDIS_URL tasks run in-process (the embedded default, `make run` only).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message a worker took and lost (SIGKILL) comes back after the visibility timeout; the worker looks
# for such messages every restore interval. Our tasks are idempotent and short, so redelivery is safe.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
    # Fail fast when Redis is down: the row stays pending and the sweeper retries.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A request that queues a task must not hang while Redis is down: fail fast, the sweeper retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = "UTC"
# The database says what is pending; these sweepers queue again what a broker outage or a killed worker lost.
STUCK_AFTER_SECONDS = env_int("STUCK_AFTER_SECONDS", 30)
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-checks": {"task": "verification.tasks.sweep_stuck_checks", "schedule": env_int("SWEEP_INTERVAL", 30)},
    "sweep-unpublished": {"task": "registry.tasks.sweep_unpublished", "schedule": env_int("SWEEP_INTERVAL", 30)},
    "expire-due": {"task": "registry.tasks.expire_due", "schedule": crontab(hour=0, minute=10)},
    "expiry-reminders": {"task": "registry.tasks.send_expiry_reminders", "schedule": crontab(hour=6, minute=0)},
    "export-registry": {"task": "registry.tasks.export_registry", "schedule": crontab(hour=1, minute=0)},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Steel EPD Platform <noreply@steel-epd.example>")

PROGRAMME_OPERATOR = {
    "name": os.environ.get("PROGRAMME_OPERATOR_NAME", "Steel EPD Platform"),
    "address": os.environ.get("PROGRAMME_OPERATOR_ADDRESS", "Programme operator, registry.steel-epd.example"),
    "website": SITE_URL,
}
# The first symbols of every openEPD id the registry issues (registry/openxpd.py). Two symbols of the open
# xPD alphabet, not reserved by another issuer (EC3, EST, CQD, WAP, PCR, UL are); never change it once
# EPDs are published. Ask open-epd-forum@c-change-labs.com to register it.
OPENEPD_ID_PREFIX = os.environ.get("OPENEPD_ID_PREFIX", "SE")
if not re.fullmatch(r"[0-9A-HJKMNP-UW-Y][0-9A-HJKMNP-UW-Z]", OPENEPD_ID_PREFIX):
    raise ImproperlyConfigured(f"OPENEPD_ID_PREFIX must be two symbols of 0-9 A-Z but I, L, O, V (not Z first), not {OPENEPD_ID_PREFIX!r}")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # In-process (eager) tasks would log every run into the dev server's console.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
