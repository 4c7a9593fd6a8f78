"""Reading gongjian's configuration from the environment.

Kept apart from settings.py so the CLI can resolve the data directory and the
secret without importing Django.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}


class ConfigError(Exception):
    """A setting in the environment is unusable; the message names it."""


def home() -> Path:
    """The data directory: GONGJIAN_HOME, default ./gongjian-data (made absolute)."""
    return Path(os.environ.get("GONGJIAN_HOME", "gongjian-data")).expanduser().resolve()


def flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in TRUE_WORDS


def database_url() -> str:
    url = os.environ.get("GONGJIAN_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{home() / 'gongjian.sqlite3'}"


def is_embedded() -> bool:
    """Embedded mode: the default SQLite database inside GONGJIAN_HOME."""
    return database_url().startswith("sqlite")


def secret_key(create: bool = True) -> str | None:
    """GONGJIAN_SECRET_KEY, or (embedded mode) a key generated once and kept in the home.

    The key file is created with mode 0600 the first time it is needed.
    """
    key = os.environ.get("GONGJIAN_SECRET_KEY", "").strip()
    if key:
        return key
    path = home() / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def allowed_hosts() -> list[str]:
    raw = os.environ.get("GONGJIAN_ALLOWED_HOSTS", "")
    hosts = [h.strip() for h in raw.split(",") if h.strip()]
    return hosts or ["127.0.0.1", "localhost", "[::1]"]


def positive_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} 应为正数，而不是“{raw}”") from None
    if not value > 0:
        raise ConfigError(f"{name} 应为正数，而不是“{raw}”")
    return value


def whole_number(name: str, default: int, *, minimum: int = 1) -> int:
    """An integer setting of at least ``minimum``; a bad value stops start-up naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    what = "正整数" if minimum == 1 else "非负整数" if minimum == 0 else f"不小于 {minimum} 的整数"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} 应为{what}，而不是“{raw}”") from None
    if value < minimum:
        raise ConfigError(f"{name} 应为{what}，而不是“{raw}”")
    return value


def time_of_day(name: str, default: str):
    """HH:MM in the site's time zone, e.g. GONGJIAN_DAILY_DOCS_AT=18:00."""
    import datetime as dt

    raw = os.environ.get(name, "").strip() or default
    try:
        hours, minutes = raw.split(":")
        if len(minutes) != 2:
            raise ValueError
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{name} 应为 HH:MM 形式的时刻(如 18:00)，而不是“{raw}”") from None


def workday_list(name: str, default: str) -> list[int]:
    """A comma-separated list of working-day counts, e.g. GONGJIAN_REMINDER_WORKDAYS=3,1."""
    raw = os.environ.get(name, "").strip() or default
    try:
        days = sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ConfigError(f"{name} 应为逗号分隔的工作日数(如 3,1)，而不是“{raw}”") from None
    if not days or any(d < 0 or d > 30 for d in days):
        raise ConfigError(f"{name} 的每个工作日数应在 0 到 30 之间，而不是“{raw}”")
    return days
