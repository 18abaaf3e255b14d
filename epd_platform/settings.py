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
    "csp",
    "axes",  # password guessing: lockout per account and per address (below)
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
    # NUL in a path, query string or form: a 400 naming it, before a view passes it to PostgreSQL.
    "declarations.request_checks.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # ETag on every GET, 304 on If-None-Match / If-Modified-Since (with the Last-Modified views set).
    "django.middleware.http.ConditionalGetMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
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
# A kept connection the database dropped (restart, failover, idle timeout) is checked and reopened at the first
# query of a request, instead of failing that request with a 500 on every worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A search gathering thousands of matches (registry/queries.py) keeps its bitmap exact within this memory;
    # PostgreSQL's default 4 MB turns it lossy at a million EPDs and rechecks every row of each page it touches.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c work_mem={os.environ.get('DB_WORK_MEM', '32MB')}"
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
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Password guessing (/accounts/login/, /admin/login/): after AXES_FAILURE_LIMIT failures for one username, or
# from one address, that username or address is locked out for AXES_COOLOFF_MINUTES; each failure during the
# lockout starts the cool-off again. Attempts and lockouts are logged (axes) and kept for the admin.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours, as axes reads a float
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_CALLABLE = "accounts.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failure as its own row (admin: Access failures), beside the counters
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts are still logged
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
# Reports are private and artefacts are served through views: no file the platform writes is world-readable
# (owner and the service's group only), whatever the process umask.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# The largest multipart body read at all: a report (MAX_REPORT_BYTES) or an EPD to verify (30 MB) plus the form
# around it. Refused on Content-Length before reading, and counted while reading (declarations/uploads.py).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 32 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "declarations.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

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

# The transparency log's checkpoints (registry/checkpoint.py, C2SP signed notes). The origin names the log to
# witnesses and monitors: never change it once checkpoints are published. The Ed25519 note key is made on first
# use beside the signing keys unless a file is named.
LOG_ORIGIN = os.environ.get("LOG_ORIGIN") or f"{re.sub(r'^[a-z]+://', '', SITE_URL)}/log"
if re.search(r"[\s+]", LOG_ORIGIN):
    raise ImproperlyConfigured(f"LOG_ORIGIN must have no spaces and no '+', not {LOG_ORIGIN!r}")
LOG_CHECKPOINT_KEY_FILE = os.environ.get("LOG_CHECKPOINT_KEY_FILE", "")


def _witnesses(value: str) -> list[tuple[str, str]]:
    """LOG_WITNESSES: one witness per line (or ';'): its note verifier key, a space, its tlog-witness URL."""
    witnesses = []
    for item in filter(None, (part.strip() for part in re.split(r"[;\n]", value))):
        vkey, _, url = item.partition(" ")
        if not url.strip().startswith(("http://", "https://")) or vkey.count("+") < 2:
            raise ImproperlyConfigured(f"LOG_WITNESSES: each witness is '<verifier key> <URL>', not {item!r}")
        witnesses.append((vkey, url.strip()))
    return witnesses


LOG_WITNESSES = _witnesses(os.environ.get("LOG_WITNESSES", ""))
# Who is told when the log's integrity check fails (mail_admins): "Name <address>, Name <address>".
ADMINS = [
    (name.strip(), address.strip())
    for name, address in re.findall(r"\s*([^<,]*?)\s*<([^>]+)>", os.environ.get("ADMINS", ""))
]

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
    # Ours refuses JSON nested too deeply and strings holding NUL (declarations/request_checks.py).
    "DEFAULT_PARSER_CLASSES": ["declarations.request_checks.JSONBodyParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many proxies in front of the app append to X-Forwarded-For (behind one TLS proxy: 1). 0 (the default)
    # ignores the header and counts the client by REMOTE_ADDR; DRF's own default trusted whatever a client wrote
    # there. The one setting for both the API throttles and the login lockout (accounts/security.py).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
# The public registry API: anonymous clients per IP, clients with a token (or session) per user.
REGISTRY_THROTTLE_RATES = {
    "registry_anon": os.environ.get("THROTTLE_ANON", "120/minute"),
    "registry_token": os.environ.get("THROTTLE_USER", "1200/minute"),
    # Per endpoint group, on top of the two above (registry/throttles.py ScopedThrottle): verifying runs
    # signature validation, so it is the scarcest.
    "registry_verify": os.environ.get("THROTTLE_VERIFY", "10/minute"),
    "registry_log": os.environ.get("THROTTLE_LOG", "600/minute"),
    "registry_keys": os.environ.get("THROTTLE_KEYS", "60/minute"),
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
# The cache holds the API's rate-limit counters: in Redis they are shared by every web process (with the
# local-memory default each process counted on its own, so N workers allowed N times the rate).
# Parallel test processes (pytest-xdist) each get their own key prefix, as each gets its own database.
CACHE_KEY_PREFIX = "epd-cache" + (f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")
CACHES = {
    "default": {"BACKEND": "epd_platform.cache.SharedRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": CACHE_KEY_PREFIX}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
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
    "sweep-outbox": {"task": "verification.tasks.sweep_outbox", "schedule": env_int("SWEEP_INTERVAL", 30)},
    "expire-due": {"task": "registry.tasks.expire_due", "schedule": crontab(hour=0, minute=10)},
    "expiry-reminders": {"task": "registry.tasks.send_expiry_reminders", "schedule": crontab(hour=6, minute=0)},
    "export-registry": {"task": "registry.tasks.export_registry", "schedule": crontab(hour=1, minute=0)},
    # Recompute the log from its entries and check every status against it; alarms the ADMINS on a mismatch.
    "audit-transparency-log": {"task": "registry.tasks.audit_transparency_log", "schedule": env_int("LOG_AUDIT_INTERVAL", 3600)},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the file backend only
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Steel EPD Platform <noreply@steel-epd.example>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)  # sender of alarms to ADMINS

# The programme operator as every published EPD names it (ISO 14025 and EN 15804 ask for its name and address).
# The embedded default is the platform itself, reached at SITE_URL; a production operator sets its postal
# address and e-mail. What is not set is left off the PDF, never printed as a placeholder.
PROGRAMME_OPERATOR = {
    "name": os.environ.get("PROGRAMME_OPERATOR_NAME", "Steel EPD Platform"),
    "address": os.environ.get("PROGRAMME_OPERATOR_ADDRESS", ""),
    "website": os.environ.get("PROGRAMME_OPERATOR_WEBSITE", SITE_URL),
    "email": os.environ.get("PROGRAMME_OPERATOR_EMAIL", ""),
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

# Content-Security-Policy, in development as in production so the browser tests see what users get. The
# pages need no inline script; the one allowance is inline style attributes (bar widths, table column widths),
# which cannot run code. tests/security/test_production_shape.py drives the pages in Chromium and fails on any
# violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

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
