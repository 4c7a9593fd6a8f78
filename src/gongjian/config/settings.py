"""Django settings, all from the environment (see config/env.py and the README's table)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from gongjian.config import env

HOME = env.home()
BASE_DIR = HOME
TESTING = env.flag("GONGJIAN_TESTING")

SECRET_KEY = env.secret_key()
DEBUG = env.flag("GONGJIAN_DEBUG")
ALLOWED_HOSTS = env.allowed_hosts()
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("GONGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "gongjian.core",
    "gongjian.org",
    "gongjian.ledger",
    "gongjian.reporting",
    "gongjian.inspection",
    "gongjian.assessment",
    "gongjian.air",
    "gongjian.gateway",
    "gongjian.jobs",
    "gongjian.notify",
    "gongjian.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gongjian.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # 简体中文 unless the person chose English with the switch (cookie); see web/middleware.py.
    "gongjian.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gongjian.core.middleware.AuditContextMiddleware",
    # Last, so it sees authentication results (login throttling).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gongjian.config.urls"
WSGI_APPLICATION = "gongjian.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "gongjian.web.context.site",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {"default": dj_database_url.parse(env.database_url(), conn_max_age=60)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # Take the write lock at BEGIN so concurrent writers queue instead of failing
        # half-way; this is what keeps the audit chain linear on SQLite.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file database too, so that threads in concurrency tests share it.
    _db["TEST"] = {"NAME": str(HOME / "test.sqlite3")}
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    _db.setdefault("OPTIONS", {})
    _db["CONN_HEALTH_CHECKS"] = True
    # Parameters sent apart from the SQL, and a statement a connection has run 5 times prepared
    # (psycopg's prepare_threshold, which Django leaves off unless given): the closed loop's reads and
    # writes are then planned once per connection instead of parsed and planned anew every time.
    # Both off behind a pooler in transaction mode, which cannot keep prepared statements.
    _server_binding = env.flag("GONGJIAN_DB_SERVER_SIDE_BINDING", True)
    _db["OPTIONS"].setdefault("server_side_binding", _server_binding)
    _db["OPTIONS"].setdefault("prepare_threshold", 5 if _server_binding else None)

# Per-process copies of the holiday calendar, grid index and 分包 leaders (gongjian.core.cache): how
# long, in seconds, a write made by another process may go unseen here.
CACHE_RECHECK_SECONDS = float(os.environ.get("GONGJIAN_CACHE_RECHECK_SECONDS", "").strip() or 2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password guessing: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.whole_number("GONGJIAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/pages/locked.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------------
# The pages are written in Chinese (the msgids); English comes from src/gongjian/locale. A first visit is
# always in Chinese, whatever the browser asks for; the header's switch (Django's set_language view at
# /i18n/setlang/) stores another choice in a cookie for a year.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).resolve().parents[1] / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = HOME / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.flag("GONGJIAN_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GONGJIAN_LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}

GONGJIAN_SITE_NAME = os.environ.get("GONGJIAN_SITE_NAME", "攻坚指挥平台")
# The site's public address (e.g. https://gongjian.example.gov.cn): robot and email messages link to
# cases with it; without it they carry site paths only.
GONGJIAN_SITE_URL = os.environ.get("GONGJIAN_SITE_URL", "").strip().rstrip("/")
# Notifications: how many times a delivery is tried before it is marked 失败 (backoff 30 s, 1, 2, 4, 8 min).
GONGJIAN_NOTIFY_MAX_ATTEMPTS = env.whole_number("GONGJIAN_NOTIFY_MAX_ATTEMPTS", 6)
DEFAULT_FROM_EMAIL = os.environ.get("GONGJIAN_EMAIL_FROM", "").strip() or "gongjian@localhost"
EMAIL_HOST = os.environ.get("GONGJIAN_EMAIL_HOST", "").strip() or "localhost"
EMAIL_PORT = env.whole_number("GONGJIAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("GONGJIAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GONGJIAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.flag("GONGJIAN_EMAIL_TLS")
EMAIL_TIMEOUT = 10
# Official documents: the issuing organ and the number prefixes (default: from the district's name,
# e.g. 山阳区整治攻坚指挥部, 山阳督查〔2026〕1号 for bulletins, 山阳督办〔2026〕1号 for notices).
GONGJIAN_DOC_ORGAN = os.environ.get("GONGJIAN_DOC_ORGAN", "")
GONGJIAN_DOC_PREFIX = os.environ.get("GONGJIAN_DOC_PREFIX", "")
GONGJIAN_NOTICE_PREFIX = os.environ.get("GONGJIAN_NOTICE_PREFIX", "")

# Evidence photos: the pages shrink a chosen JPEG whose longest side is above this many pixels before
# sending it (static/gongjian/photos.js; EXIF capture time and GPS kept). 0 sends the camera's file as it is.
GONGJIAN_PHOTO_MAX_SIDE = env.whole_number("GONGJIAN_PHOTO_MAX_SIDE", 2560, minimum=0)

# --- map (挂图作战) -------------------------------------------------------------------
# Base map: "blank" (offline, grid polygons only, no tiles fetched), "tianditu" (WGS-84/CGCS2000
# tiles, needs a key) or "gaode" (GCJ-02 tiles: positions are converted for display).
GONGJIAN_MAP_BASE = os.environ.get("GONGJIAN_MAP_BASE", "").strip().lower() or "blank"
if GONGJIAN_MAP_BASE not in {"blank", "tianditu", "gaode"}:
    raise env.ConfigError(f"GONGJIAN_MAP_BASE 应为 blank、tianditu 或 gaode，而不是“{GONGJIAN_MAP_BASE}”")
GONGJIAN_TIANDITU_KEY = os.environ.get("GONGJIAN_TIANDITU_KEY", "").strip()
if GONGJIAN_MAP_BASE == "tianditu" and not GONGJIAN_TIANDITU_KEY:
    raise env.ConfigError("GONGJIAN_MAP_BASE=tianditu 需要设置 GONGJIAN_TIANDITU_KEY(天地图密钥)")
GONGJIAN_MAP_MAX_POINTS = env.whole_number("GONGJIAN_MAP_MAX_POINTS", 5000)

# --- background work (gongjian worker / scheduler) ---------------------------------------
# Tasks are rows in the database (django-tasks-db): no broker to run. `gongjian worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A worker silent for this long is taken as dead and its running task is queued again.
GONGJIAN_WORKER_LEASE_SECONDS = env.positive_number("GONGJIAN_WORKER_LEASE_SECONDS", 60)
# When the periodic jobs run (site time, HH:MM).
GONGJIAN_REMINDERS_AT = env.time_of_day("GONGJIAN_REMINDERS_AT", "08:30")          # deadline reminders
GONGJIAN_ESCALATE_AT = env.time_of_day("GONGJIAN_ESCALATE_AT", "09:00")            # the escalation scan
GONGJIAN_FIGURES_REMIND_AT = env.time_of_day("GONGJIAN_FIGURES_REMIND_AT", "16:00")  # 催报 daily figures
GONGJIAN_DAILY_DOCS_AT = env.time_of_day("GONGJIAN_DAILY_DOCS_AT", "18:00")        # the daily three
GONGJIAN_RANKING_AT = env.time_of_day("GONGJIAN_RANKING_AT", "08:00")              # weekly ranking, Mondays
# Deadline reminders: how many working days before the deadline, one reminder per number (e.g. "3,1").
GONGJIAN_REMINDER_WORKDAYS = env.workday_list("GONGJIAN_REMINDER_WORKDAYS", "1")
