"""The demo's scoring scheme: schemes/weekly.json, loaded once (an existing scheme is left alone)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_SCHEME = Path(__file__).resolve().parent / "schemes" / "weekly.json"


def load(log=print) -> bool:
    from gongjian.assessment import services
    from gongjian.assessment.models import Scheme

    if Scheme.objects.exists():
        return False
    version = services.scheme_import(actor=None, path=DEFAULT_SCHEME, note="演示区默认方案")
    log(f"考核方案：{version.scheme.title} / scoring scheme {version.scheme.name}")
    return True
