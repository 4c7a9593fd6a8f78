"""Files under MEDIA_ROOT that no record points to any more: evidence written before a transaction that then
rolled back (an API call whose later step failed), the copies a regenerated document replaced.

Only the folders the file fields upload into are swept (``evidence/``, ``documents/``), and only files older
than a day, so an upload whose record is being written right now is never taken.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

SWEPT = ("evidence", "documents")
MIN_AGE = dt.timedelta(days=1)


@dataclass
class Sweep:
    kept: int
    removed: list[str]
    bytes_freed: int


def referenced() -> set[str]:
    names: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("gongjian."):
            continue
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        for field in fields:
            names.update(n for n in model.objects.exclude(**{field: ""}).values_list(field, flat=True).iterator() if n)
    return names


def sweep(*, now: dt.datetime | None = None, dry_run: bool = False, min_age: dt.timedelta = MIN_AGE) -> Sweep:
    root = Path(settings.MEDIA_ROOT)
    cutoff = (now or dt.datetime.now(dt.UTC)).timestamp() - min_age.total_seconds()
    known = referenced()
    kept, removed, freed = 0, [], 0
    for top in SWEPT:
        base = root / top
        if not base.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath) / name
                rel = path.relative_to(root).as_posix()
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                if rel in known or stat.st_mtime > cutoff:
                    kept += 1
                    continue
                removed.append(rel)
                freed += stat.st_size
                if not dry_run:
                    path.unlink(missing_ok=True)
        if not dry_run:  # empty folders left behind (a case's evidence folder, a month of documents)
            for dirpath, dirs, files in sorted(os.walk(base), key=lambda w: -len(w[0])):
                if not dirs and not files and Path(dirpath) != base:
                    try:
                        Path(dirpath).rmdir()
                    except OSError:
                        pass
    return Sweep(kept=kept, removed=removed, bytes_freed=freed)
