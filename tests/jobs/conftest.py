"""Worker processes in these tests use the test database itself (tests marked transaction=True commit
their rows, so another process sees them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user = s.get("USER") or "postgres"
        return f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


@pytest.fixture
def process_env(tmp_path):
    """Environment for a `gongjian` child process on the test database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "GONGJIAN_TESTING")}
    env["GONGJIAN_HOME"] = str(tmp_path / "home")
    env["GONGJIAN_DATABASE_URL"] = database_url()
    env["GONGJIAN_SECRET_KEY"] = "worker-test-only"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    return env


def start_worker(env, *args, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "gongjian.cli", "worker", "--interval", "0.2", *args],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
