"""清理孤立文件: files no record points to are removed after a day; referenced and fresh files stay."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings

from gongjian.jobs import media, tasks
from gongjian.ledger import services
from tests.ledger.conftest import fixed_today, jpeg, ledger  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _file(rel: str, age_days: float) -> Path:
    path = Path(settings.MEDIA_ROOT) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    old = dt.datetime.now().timestamp() - age_days * 86400
    os.utime(path, (old, old))
    return path


def test_orphans_older_than_a_day_go_and_everything_else_stays(ledger):  # noqa: F811
    case = ledger.report()
    evidence = services.evidence_add(actor=ledger.d["grid_worker_a"], case=case, stage="before", upload=jpeg())
    kept_evidence = Path(evidence.file.path)
    os.utime(kept_evidence, (0, 0))  # referenced, however old
    orphan = _file(f"evidence/2026/{case.pk}/deadbeef-left-by-a-rollback.jpg", 2)
    fresh = _file("evidence/2026/999999/cafe-being-uploaded.jpg", 0.1)
    old_copy = _file("documents/2026/05/20260501-督查通报.pdf", 30)
    outside = _file("exports/keep-me.xlsx", 30)  # not a folder the file fields use

    dry = media.sweep(dry_run=True)
    assert sorted(dry.removed) == sorted([orphan.relative_to(settings.MEDIA_ROOT).as_posix(),
                                          old_copy.relative_to(settings.MEDIA_ROOT).as_posix()])
    assert orphan.exists() and old_copy.exists()

    result = tasks.sweep_media.call("2026-06-02T03:20:00+08:00")
    assert result["files"] == 2 and result["bytes"] == 200
    assert not orphan.exists() and not old_copy.exists() and not old_copy.parent.exists()
    assert kept_evidence.exists() and fresh.exists() and outside.exists()
    assert media.sweep().removed == []
