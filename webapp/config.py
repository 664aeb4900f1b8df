"""Configuration: every setting comes from an ``HQR_``-prefixed environment variable.

``Config`` is what ``make run`` and production use; ``TestingConfig`` is what the tests use.
No secret lives here: a missing ``HQR_SECRET_KEY`` is generated into the instance folder
(see ``webapp.load_secret_key``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

PREFIX = "HQR_"


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secure_cookies_default() -> bool:
    """Secure session and remember-me cookies: ``HQR_SECURE_COOKIES`` when set, else on when the
    site's public address (``HQR_MAIL_SITE_URL``) is https, else off (``make run`` and
    ``make run-prod`` on http://127.0.0.1, whose Python clients would not send them back)."""
    site = (env("MAIL_SITE_URL") or "").strip().lower()
    return env_bool("SECURE_COOKIES", site.startswith("https://"))


#: Logged at start-up in production when cookies are sent over plain HTTP too.
INSECURE_COOKIES_WARNING = (
    "Session cookies are not marked Secure (HQR_SECURE_COOKIES is off and HQR_MAIL_SITE_URL is "
    "not https): behind an HTTPS load balancer set HQR_SECURE_COOKIES=1 or "
    "HQR_MAIL_SITE_URL=https://..., or a session may leak over plain HTTP (docs/deploy.md)."
)


def insecure_cookies_warning(config: Mapping[str, Any]) -> str | None:
    """The start-up warning for production (PostgreSQL, not testing, not debug) with cookies
    that are not Secure; None otherwise."""
    production = (
        str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("postgres")
        and not config.get("TESTING")
        and not config.get("DEBUG")
    )
    secure = config.get("SESSION_COOKIE_SECURE") and config.get("REMEMBER_COOKIE_SECURE")
    return INSECURE_COOKIES_WARNING if production and not secure else None


class Config:
    #: SQLAlchemy URL; the default is an SQLite file in the instance folder (set in create_app).
    SQLALCHEMY_DATABASE_URI: str | None = env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str | None = env("SECRET_KEY")
    #: Whole-request size limit (uploads included), in MiB.
    MAX_CONTENT_LENGTH: int = env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024
    #: Time zone in which dates are shown and naive inputs are read.
    TIMEZONE: str = env("TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai"
    #: WTForms' messages come from its own Chinese catalogue (webapp.core.messages.Form), not
    #: through Flask-Babel, which this product does not use.
    WTF_I18N_ENABLED: bool = False

    # Sessions: HttpOnly, SameSite=Lax; Secure when served over HTTPS (secure_cookies_default).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool = secure_cookies_default()
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool = secure_cookies_default()
    REMEMBER_COOKIE_DURATION = timedelta(hours=env_int("REMEMBER_HOURS", 12))
    #: Idle timeout and absolute session lifetime.
    SESSION_IDLE_MINUTES: int = env_int("SESSION_IDLE_MINUTES", 60)
    SESSION_MAX_HOURS: int = env_int("SESSION_MAX_HOURS", 12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_MAX_HOURS", 12))

    WTF_CSRF_TIME_LIMIT: int | None = None  # the token lives as long as the session

    #: Login throttling (webapp/auth/throttle.py), counted over the form and the API together:
    #: failures per account in the window lock that account from every address; the bound per
    #: client address is much higher (an office or a province may share one address).
    LOGIN_MAX_FAILURES: int = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_ADDRESS: int = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 100)
    LOGIN_WINDOW_MINUTES: int = env_int("LOGIN_WINDOW_MINUTES", 15)
    #: Flask-Limiter storage: Redis when configured, memory otherwise; keys under the prefix
    #: (several applications, or test runs, may share one Redis).
    RATELIMIT_STORAGE_URI: str = env("REDIS_URL", "memory://") or "memory://"
    RATELIMIT_KEY_PREFIX: str = env("RATELIMIT_KEY_PREFIX", "hqr") or "hqr"
    RATELIMIT_HEADERS_ENABLED = True

    #: API tokens: lifetime in hours.
    API_TOKEN_HOURS: int = env_int("API_TOKEN_HOURS", 24 * 7)

    # flask-smorest / OpenAPI
    API_TITLE = "河南省建设工程质量分析报告系统 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    API_SPEC_OPTIONS = {  # noqa: RUF012 (read once by flask-smorest)
        "info": {
            "description": (
                "认证：先 `POST /api/v1/auth/tokens` 取得令牌，再以 `Authorization: Bearer <令牌>` "
                "调用。\n\n防重复提交：写操作可带 `Idempotency-Key` 请求头（1 至 128 个可见 ASCII "
                "字符，如 UUID，按用户区分，保留 24 小时）。超时后用同一个键重试不会重复办理："
                "返回第一次的状态码和 JSON 内容，并带 `Idempotency-Replayed: true`；同一个键用于"
                "另一请求时返回 422；第一次被拒绝（4xx）时键不被占用，可改正后重试。"
            )
        }
    }

    #: Size bound of one rendered Word document (and of the render of an uploaded template).
    DOCUMENT_MAX_MB: int = env_int("DOCUMENT_MAX_MB", 20)

    #: Data rows of one ledger import (a bigger file is refused before it is parsed).
    LEDGER_IMPORT_MAX_ROWS: int = env_int("LEDGER_IMPORT_MAX_ROWS", 50_000)

    #: Return-for-correction loops allowed per instance (the task tree stalls past ~250).
    MAX_RETURN_LOOPS: int = env_int("MAX_RETURN_LOOPS", 30)

    # BPMN scripts and expressions (docs/engine.md, "Limits"; issue 13).
    #: CPU budget of one script or expression, in milliseconds.
    SCRIPT_CPU_MS: int = env_int("SCRIPT_CPU_MS", 100)
    #: Memory a script may allocate in its worker process, in MiB.
    SCRIPT_MEMORY_MB: int = env_int("SCRIPT_MEMORY_MB", 128)
    #: Wall-clock limit of one script, in milliseconds: then the worker process is killed.
    SCRIPT_WALL_MS: int = env_int("SCRIPT_WALL_MS", 2000)
    #: Pre-started script worker processes per server process.
    SCRIPT_WORKERS: int = env_int("SCRIPT_WORKERS", 2)
    #: Shortest interval of a cycle timer (R<n>/<interval>), in minutes.
    TIMER_MIN_CYCLE_MINUTES: int = env_int("TIMER_MIN_CYCLE_MINUTES", 60)
    #: Most repetitions of a cycle timer; an unbounded cycle (R/...) is refused.
    TIMER_MAX_REPETITIONS: int = env_int("TIMER_MAX_REPETITIONS", 100)

    # E-mail of notifications (webapp/mail, docs/notifications.md): off unless a host is set.
    #: SMTP server; empty: notifications stay in the app only.
    SMTP_HOST: str | None = env("SMTP_HOST") or None
    SMTP_PORT: int = env_int("SMTP_PORT", 25)
    SMTP_USERNAME: str | None = env("SMTP_USERNAME") or None
    SMTP_PASSWORD: str | None = env("SMTP_PASSWORD") or None
    #: STARTTLS after connecting (port 587); ``SMTP_SSL`` for implicit TLS (port 465).
    SMTP_STARTTLS: bool = env_bool("SMTP_STARTTLS", False)
    SMTP_SSL: bool = env_bool("SMTP_SSL", False)
    SMTP_TIMEOUT_SECONDS: int = env_int("SMTP_TIMEOUT_SECONDS", 20)
    MAIL_FROM: str = env("MAIL_FROM", "noreply@localhost") or "noreply@localhost"
    #: Attempts per message before it is marked failed; the wait doubles after each failure.
    MAIL_MAX_ATTEMPTS: int = env_int("MAIL_MAX_ATTEMPTS", 6)
    MAIL_RETRY_SECONDS: int = env_int("MAIL_RETRY_SECONDS", 60)
    #: The address of the site in mails' links (empty: no link).
    MAIL_SITE_URL: str = env("MAIL_SITE_URL", "") or ""

    # Production mode (docs/deploy.md).
    #: ``json``: every log record one JSON line on stderr, one line per request (method, path,
    #: status, duration, user id, request id); ``text``: Python's default logging.
    LOG_FORMAT: str = env("LOG_FORMAT", "text") or "text"
    #: Proxies (load balancer, nginx) in front of the web processes: their X-Forwarded-For /
    #: -Proto / -Host are trusted this many hops deep (0: none; the client address the login
    #: limits and the audit trail record is then the proxy's).
    PROXY_HOPS: int = env_int("PROXY_HOPS", 0)
    #: ``/healthz`` says unhealthy when no timer worker finished a pass for this long.
    WORKER_HEARTBEAT_SECONDS: int = env_int("WORKER_HEARTBEAT_SECONDS", 60)

    TESTING = False


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or None
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SMTP_HOST = None  # tests that send mail start their own server and set it
