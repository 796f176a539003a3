"""Causeway settings.

Everything comes from the environment. With nothing set, Causeway runs on the
embedded defaults (SQLite file, in-memory channel layer, local-memory cache) so
a newcomer needs nothing installed. ``DATABASE_URL`` switches to PostgreSQL and
``REDIS_URL`` switches the channel layer, the cache (and so allauth's rate
limits) and presence to Redis, which is what several Daphne processes need.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.serving import WS_MAX_MESSAGE_BYTES

# Lets admin and manager classes be subscripted for mypy at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Production serves over HTTPS (behind a TLS-terminating proxy): secure
# cookies, HSTS and a key from the environment. Off for the embedded defaults.
HTTPS = env_bool("HTTPS", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (HTTPS=1).")
    # A fixed development key would be a trap; a per-checkout key file is not.
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()

# Where people reach Causeway: used for links in e-mails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    # Before allauth: the app's look overrides allauth's default templates.
    "frontend",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on per organization: OpenID Connect apps live in the database
    # (SocialApp rows, one per hub.IdentityProvider).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "hub",
    "rooms",
    "presence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A bot token (Authorization: Bearer) replaces the session's person (rooms.api.bearer).
    "rooms.api.bearer.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Connections one process may hold at once (web or worker). Under ASGI every
# request and every database call of a socket runs in a thread of its own;
# persistent per-thread connections (CONN_MAX_AGE > 0) piled up to one per
# thread ever used and ran PostgreSQL out of connections. A pool bounds
# them: processes x DB_POOL_SIZE must stay below PostgreSQL's
# max_connections (README, "Running on PostgreSQL").
DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
# Seconds a request (or a socket's database call) waits for a free
# connection before it is answered `unavailable`: no longer than a write
# waits for a lock (lock_timeout, 5 s). A queue that long means the database
# is overloaded or gone, and the person is better told than kept waiting.
DB_POOL_TIMEOUT = float(os.environ.get("DB_POOL_TIMEOUT", "5"))
if DATABASE_URL:
    # Django's own psycopg pool: CONN_MAX_AGE must be 0, and Django returns
    # the connection to the pool wherever it used to close it (after each
    # request, and after each database_sync_to_async call of the sockets).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    # The pool checks a connection before lending it, so one that a restart
    # of PostgreSQL (or pg_terminate_backend) broke is replaced, not lent.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # A locked row or a stuck database must end in an explicit error for
            # the sender (who retries with the same client_id), never in a hung
            # socket.
            "options": (
                f"-c lock_timeout={int(os.environ.get('CAUSEWAY_DB_LOCK_TIMEOUT_MS', '5000'))} "
                "-c statement_timeout="
                f"{int(os.environ.get('CAUSEWAY_DB_STATEMENT_TIMEOUT_MS', '15000'))}"
            ),
            # Opened on demand up to max_size; idle ones above min_size close
            # after psycopg's max_idle (10 minutes).
            "pool": {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": DB_POOL_TIMEOUT},
        }
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "causeway.sqlite3")),
            # Several writers (web process, in-process bridge) share one file:
            # wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Redis pub/sub, not channels-redis's list-based layer: each server
    # process subscribes once per room and person it has sockets for
    # (rooms/socket/fanout.py), so a room event is one PUBLISH, pushed to the
    # processes, where the list-based layer spends four round trips and a Lua
    # script per send plus a blocking pop per receive. Pub/sub is at most
    # once (a process disconnected from Redis misses what was published
    # meanwhile): the fanout fills every gap from the database, which was
    # already the rule for the list-based layer's capacity drops.
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        # The default pool of 100 fails bursts of publishes.
                        "max_connections": 2000,
                        "health_check_interval": 15,
                    }
                ],
                "prefix": os.environ.get("CHANNELS_PREFIX", "causeway"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "hub.cache.CausewayRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "causeway"),
        }
    }
    # Sessions read from the Redis cache, written through to PostgreSQL (which
    # stays the record): a socket handshake then costs no session query, and
    # a reconnect storm does not queue thousands of them.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 5000, "expiry": 60},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "hub.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: e-mail only, verified before first sign-in.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "frontend.adapters.CausewayAccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "hub.forms.SignupProfileForm"
ACCOUNT_FORMS = {"login": "frontend.login.CausewayLoginForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# allauth's own limits, plus one for the single sign-on address form
# (frontend.sso): each POST may fetch an issuer's discovery document, and its
# answers tell which domains use single sign-on, so neither is free to repeat.
ACCOUNT_RATE_LIMITS = {"sso": os.environ.get("CAUSEWAY_RATE_SSO", "20/m/ip,5/m/key")}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Single sign-on: frontend.adapters.CausewaySocialAccountAdapter holds the boundary
# rule (a provider signs in only people of its own organization). The provider
# vouches for the address (email_verified, checked there), so no second e-mail
# round; an existing account of the same organization is signed in, not duplicated.
SOCIALACCOUNT_ADAPTER = "frontend.adapters.CausewaySocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True},
}
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Causeway <noreply@causeway.local>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names need `collectstatic` (the Procfile's release step);
        # the embedded defaults serve straight from the app folders.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if HTTPS
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (embedded defaults, tests) WhiteNoise serves from the
# app folders directly.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_TLS = HTTPS
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_SSL_REDIRECT = SECURE_TLS
SECURE_HSTS_SECONDS = 31536000 if SECURE_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_TLS
SECURE_HSTS_PRELOAD = SECURE_TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Causeway limits, documented in docs/protocol.md.
CAUSEWAY_MESSAGE_MAX_CHARS = int(os.environ.get("CAUSEWAY_MESSAGE_MAX_CHARS", "10000"))
CAUSEWAY_FRAME_MAX_BYTES = 64 * 1024
# Daphne's transport limit, above which the connection is dropped instead of
# answered (config/serving.py says why 4 MiB).
CAUSEWAY_WS_MAX_MESSAGE_BYTES = WS_MAX_MESSAGE_BYTES
CAUSEWAY_REPLAY_LIMIT = int(os.environ.get("CAUSEWAY_REPLAY_LIMIT", "1000"))
CAUSEWAY_PAGE_SIZE = 50
CAUSEWAY_PRESENCE_TTL_SECONDS = float(os.environ.get("CAUSEWAY_PRESENCE_TTL", "45"))
CAUSEWAY_PRESENCE_HEARTBEAT_SECONDS = float(os.environ.get("CAUSEWAY_PRESENCE_HEARTBEAT", "15"))
# A person whose last socket closed is shown offline after this grace
# (presence.actions.do_disconnect): a network blip or a deploy shorter than
# it shows nobody offline, and a reconnect storm announces no presence.
CAUSEWAY_PRESENCE_GRACE_SECONDS = float(os.environ.get("CAUSEWAY_PRESENCE_GRACE", "5"))
# Presence changes are published once per tick per room, for everyone who
# changed in it (presence.announce): a crowd arriving is a few frames.
CAUSEWAY_PRESENCE_TICK_SECONDS = float(os.environ.get("CAUSEWAY_PRESENCE_TICK", "0.25"))
CAUSEWAY_TYPING_TTL_SECONDS = 6
# (count, window in seconds)
CAUSEWAY_RATE_LIMIT_WRITES = (int(os.environ.get("CAUSEWAY_RATE_WRITES", "30")), 10)
CAUSEWAY_RATE_LIMIT_FRAMES = (int(os.environ.get("CAUSEWAY_RATE_FRAMES", "120")), 10)
CAUSEWAY_INVITATION_DAYS = 7
# Background jobs inside the web process: right for the single-process
# embedded default; with Redis, run `manage.py run_worker` instead.
CAUSEWAY_INPROCESS_WORKER = env_bool("CAUSEWAY_INPROCESS_WORKER", not REDIS_URL)
# Connectors (outgoing webhooks, the Matrix bridge): rooms.connectors.
# Private networks (CIDRs, comma-separated) the server may call for an admin; empty:
# public addresses only (rooms.connectors.outbound).
CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = [
    n.strip()
    for n in os.environ.get("CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS", "").split(",")
    if n.strip()
]
# Attempts at one event before it becomes a dead letter and the cursor moves on.
CAUSEWAY_CONNECTOR_MAX_ATTEMPTS = int(os.environ.get("CAUSEWAY_CONNECTOR_MAX_ATTEMPTS", "8"))
# Backoff after a failure: base * 2**(attempts-1) seconds, at most the cap.
CAUSEWAY_CONNECTOR_BACKOFF_SECONDS = float(os.environ.get("CAUSEWAY_CONNECTOR_BACKOFF", "2"))
CAUSEWAY_CONNECTOR_BACKOFF_MAX_SECONDS = float(
    os.environ.get("CAUSEWAY_CONNECTOR_BACKOFF_MAX", "300")
)
# How long a worker's claim on a connector lasts without progress (renewed at each
# delivery); a worker that died is taken over after it.
CAUSEWAY_CONNECTOR_LEASE_SECONDS = float(os.environ.get("CAUSEWAY_CONNECTOR_LEASE", "60"))
# Per request: connecting and waiting for the answer.
CAUSEWAY_CONNECTOR_TIMEOUT_SECONDS = float(os.environ.get("CAUSEWAY_CONNECTOR_TIMEOUT", "5"))
CAUSEWAY_ESCALATION_RENOTIFY_MINUTES = int(os.environ.get("CAUSEWAY_ESCALATION_RENOTIFY", "15"))

# Files (README "Files and storage", docs/protocol.md "Files"). Stored through
# Django's storage API under the "files" alias: a local folder by default,
# S3-compatible object storage (django-storages) when a bucket is named.
MEDIA_ROOT = Path(os.environ.get("CAUSEWAY_MEDIA_ROOT", "") or BASE_DIR / "var" / "media")
CAUSEWAY_S3_BUCKET = os.environ.get("CAUSEWAY_S3_BUCKET", "")
# Presigned S3 addresses (the browser is redirected to one after the access
# check) live this long; locally served files are checked on every request.
CAUSEWAY_FILE_URL_SECONDS = int(os.environ.get("CAUSEWAY_FILE_URL_SECONDS", "60"))
if CAUSEWAY_S3_BUCKET:
    STORAGES["files"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CAUSEWAY_S3_BUCKET,
            # Empty: AWS; otherwise any S3-compatible service (MinIO, Ceph, moto...).
            "endpoint_url": os.environ.get("CAUSEWAY_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CAUSEWAY_S3_REGION") or None,
            # Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the
            # instance's role, as boto3 finds them.
            "addressing_style": os.environ.get("CAUSEWAY_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": CAUSEWAY_FILE_URL_SECONDS,
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    STORAGES["files"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: these files are only ever served through the access check.
        "OPTIONS": {"location": MEDIA_ROOT / "files", "base_url": None},
    }
MB = 1024 * 1024
CAUSEWAY_FILE_MAX_BYTES = int(os.environ.get("CAUSEWAY_FILE_MAX_MB", "25")) * MB
CAUSEWAY_MESSAGE_FILES_MAX = int(os.environ.get("CAUSEWAY_MESSAGE_FILES_MAX", "10"))
CAUSEWAY_MESSAGE_FILES_MAX_BYTES = int(os.environ.get("CAUSEWAY_MESSAGE_FILES_MAX_MB", "100")) * MB
# Images are decoded only below these (a decompression bomb is refused unread).
CAUSEWAY_IMAGE_MAX_PIXELS = int(os.environ.get("CAUSEWAY_IMAGE_MAX_PIXELS", "50000000"))
CAUSEWAY_IMAGE_MAX_SIDE = int(os.environ.get("CAUSEWAY_IMAGE_MAX_SIDE", "20000"))
# Uploads never sent with a message are removed by the background worker after this.
CAUSEWAY_UPLOAD_GRACE_HOURS = float(os.environ.get("CAUSEWAY_UPLOAD_GRACE_HOURS", "24"))
# How long someone is away, and a notification unread, before the e-mail digest.
CAUSEWAY_DIGEST_AFTER_MINUTES = float(os.environ.get("CAUSEWAY_DIGEST_AFTER_MINUTES", "30"))
# Threads per process that detect, decode and store uploads (never the database
# threads). One: a burst of photo uploads then costs the chat's p99 less than 2x
# on a 2-core machine (docs/performance.md, "Files"); scale with processes.
CAUSEWAY_FILE_THREADS = int(os.environ.get("CAUSEWAY_FILE_THREADS", "1"))
# Uploads are read into memory up to this, spooled to a temporary file above.
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * MB

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # The pub/sub receiver logs lost connections to Redis.
        "channels_redis": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "causeway": {
            "handlers": ["console"],
            "level": os.environ.get("LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}
