"""Settings switch on the environment alone; each case loads them in a fresh process."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[2]

# Variables the settings read; each case starts from none of them.
SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "HTTPS",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DB_POOL_SIZE",
    "DB_POOL_TIMEOUT",
    "SQLITE_PATH",
)

PRODUCTION = {
    "HTTPS": "1",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "causeway.example.com",
}

REPORT = """
import json
from django.conf import settings

layer = settings.CHANNEL_LAYERS["default"]
report = {
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "layer_backend": layer["BACKEND"],
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "secure_ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
}
if layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer":
    from channels_redis.utils import create_pool

    # The pool channels_redis builds from our host config (no connection is made).
    pool = create_pool(layer["CONFIG"]["hosts"][0])
    report["pool_socket_timeout"] = pool.connection_kwargs["socket_timeout"]
    report["pool_max_connections"] = pool.max_connections
print(json.dumps(report))
"""


def environment(**overrides: str) -> dict[str, str]:
    env = os.environ.copy()
    for name in SETTINGS_VARIABLES:
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(overrides)
    return env


def run_python(code: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment(**overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment(**overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )


def loaded_settings(**overrides: str) -> dict[str, Any]:
    result = run_python(REPORT, **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_nothing_set_runs_on_embedded_defaults():
    report = loaded_settings()

    assert report["db_engine"] == "django.db.backends.sqlite3"
    assert report["layer_backend"] == "channels.layers.InMemoryChannelLayer"
    assert report["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_url_switches_to_postgresql():
    report = loaded_settings(DATABASE_URL="postgres://causeway@db.internal:5432/causeway")

    assert report["db_engine"] == "django.db.backends.postgresql"
    assert report["layer_backend"] == "channels.layers.InMemoryChannelLayer"


def test_postgresql_connections_come_from_a_bounded_pool_per_process():
    report = loaded_settings(DATABASE_URL="postgres://causeway@db.internal:5432/causeway")

    # Django's pool needs CONN_MAX_AGE 0; persistent per-thread connections
    # under ASGI ran PostgreSQL out of connections.
    assert report["conn_max_age"] == 0
    assert report["pool"] == {"min_size": 1, "max_size": 10, "timeout": 5.0}


def test_the_pool_size_and_wait_come_from_the_environment():
    report = loaded_settings(
        DATABASE_URL="postgres://causeway@db.internal:5432/causeway",
        DB_POOL_SIZE="25",
        DB_POOL_TIMEOUT="2.5",
    )

    assert report["pool"]["max_size"] == 25
    assert report["pool"]["timeout"] == 2.5


def test_redis_url_switches_channel_layer_and_cache_to_redis():
    report = loaded_settings(REDIS_URL="redis://cache.internal:6379/0")

    assert report["db_engine"] == "django.db.backends.sqlite3"
    assert report["layer_backend"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert report["cache_backend"] == "hub.cache.CausewayRedisCache"


def test_redis_layer_connections_outlast_the_pubsub_poll():
    # The receiver polls every 0.1 s and pings every 15 s: a socket timeout
    # shorter than the health check would drop idle subscriptions.
    report = loaded_settings(REDIS_URL="redis://cache.internal:6379/0")

    assert report["pool_socket_timeout"] > 15


def test_redis_layer_pool_takes_more_than_default_connections():
    # The pool's default of 100 connections fails bursts of connects.
    report = loaded_settings(REDIS_URL="redis://cache.internal:6379/0")

    assert report["pool_max_connections"] > 100


def test_both_urls_switch_everything():
    report = loaded_settings(
        DATABASE_URL="postgres://causeway@db.internal:5432/causeway",
        REDIS_URL="redis://cache.internal:6379/0",
    )

    assert report["db_engine"] == "django.db.backends.postgresql"
    assert report["layer_backend"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert report["cache_backend"] == "hub.cache.CausewayRedisCache"


def test_debug_is_off_by_default():
    assert loaded_settings()["debug"] is False


def test_debug_is_off_for_other_values():
    assert loaded_settings(DEBUG="0")["debug"] is False


def test_debug_is_on_with_debug_1():
    assert loaded_settings(DEBUG="1")["debug"] is True


def test_https_turns_on_secure_transport():
    report = loaded_settings(**PRODUCTION)

    assert report["secure_ssl_redirect"] is True
    assert report["session_cookie_secure"] is True
    assert report["debug"] is False


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_debug_in_production():
    # Shows the deploy check above can fail: DEBUG=1 is a deploy warning.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1", **PRODUCTION)

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_https_without_secret_key_refuses_to_start():
    result = run_python(
        "from django.conf import settings; settings.DEBUG",
        HTTPS="1",
        ALLOWED_HOSTS="causeway.example.com",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_manage_py_with_https_without_secret_key_refuses_to_start():
    result = run_manage("check", HTTPS="1", ALLOWED_HOSTS="causeway.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
