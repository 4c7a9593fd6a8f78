"""Every write of the assessment: scheme versions (save, import) and rankings (compute and freeze)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction

from gongjian.assessment import indicators, scoring
from gongjian.assessment.models import Ranking, Scheme, SchemeVersion
from gongjian.assessment.periods import Period
from gongjian.core import audit
from gongjian.core.errors import Invalid, NotFound
from gongjian.ledger import flows
from gongjian.org.permissions import require


def _may_edit(actor) -> bool:
    return actor is None or flows.is_dispatcher(actor)


def _check(definition) -> dict:
    try:
        return scoring.validate(definition)
    except scoring.SchemeError as exc:
        raise Invalid(f"考核方案有误：{exc} / bad scheme", field=exc.where or "definition") from None


@transaction.atomic
def scheme_save(*, actor, name: str, definition: dict, title: str = "", note: str = "",
                is_default: bool | None = None) -> SchemeVersion:
    """Create the scheme or add a version to it. An unchanged definition adds nothing (returns the latest);
    an old version is never rewritten, so rankings made with it stay reproducible."""
    require(_may_edit(actor), "修改考核方案")
    name = (name or "").strip()
    if not name or not name.replace("-", "").replace("_", "").isalnum() or not name.isascii():
        raise Invalid("方案代码应为英文字母、数字、- 或 _，如 weekly / bad scheme name", field="name")
    definition = _check(definition)
    title = (title or definition["title"] or name).strip()[:100]
    scheme, created = Scheme.objects.select_for_update().get_or_create(name=name, defaults={"title": title})
    if is_default or (created and not Scheme.objects.exclude(pk=scheme.pk).exists()):
        Scheme.objects.exclude(pk=scheme.pk).filter(is_default=True).update(is_default=False)
        scheme.is_default = True
    elif is_default is False:
        scheme.is_default = False
    scheme.title = title
    scheme.save()
    latest = scheme.latest()
    if latest is not None and latest.definition == definition:
        return latest
    version = SchemeVersion.objects.create(scheme=scheme, number=(latest.number + 1) if latest else 1,
                                           definition=definition, note=note.strip()[:200], created_by=actor)
    audit.record(actor=actor, action="scheme.version", obj=version,
                 before={"version": latest.number, "definition": latest.definition} if latest else None,
                 after={"version": version.number, "definition": definition}, reason=note)
    return version


def load_definition(path: str | Path) -> dict:
    """Read a scheme file (.json, .yaml or .yml); errors say what is wrong and where."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise Invalid(f"“{path.name}”：方案文件应为 .json、.yaml 或 .yml / unsupported file type", field="file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Invalid(f"找不到文件“{path}” / file not found", field="file") from None
    except UnicodeDecodeError:
        raise Invalid(f"“{path.name}”不是 UTF-8 文本 / not UTF-8", field="file") from None
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid(f"“{path.name}”第 {exc.lineno} 行第 {exc.colno} 列：JSON 格式错误({exc.msg}) / bad JSON",
                          field="file") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：" if mark else ""
        raise Invalid(f"“{path.name}”{where}YAML 格式错误 / bad YAML", field="file") from None


def scheme_import(*, actor, path: str | Path, name: str | None = None, note: str = "") -> SchemeVersion:
    """`gongjian rank scheme import FILE`: the file's ``name`` (or the file name) is the scheme's code."""
    data = load_definition(path)
    if not isinstance(data, dict):
        raise Invalid("方案文件应为一个对象(JSON 对象 / YAML 映射) / must be a mapping", field="file")
    data = dict(data)
    name = name or data.pop("name", None) or Path(path).stem
    data.pop("name", None)
    is_default = data.pop("default", None)
    return scheme_save(actor=actor, name=str(name), definition=data, note=note or f"导入 {Path(path).name}",
                       is_default=is_default)


def default_period() -> Period:
    """The last week that has ended."""
    import datetime as dt

    from gongjian.assessment.periods import week_of

    return week_of(indicators._today() - dt.timedelta(days=7))


def scheme_of(name: str | None) -> Scheme:
    if name:
        scheme = Scheme.objects.filter(name=name.strip()).first()
        if scheme is None:
            known = "、".join(Scheme.objects.values_list("name", flat=True)) or "无"
            raise NotFound(f"没有名为“{name}”的考核方案(已有：{known}) / no such scheme")
        return scheme
    scheme = Scheme.objects.filter(is_default=True).first() or Scheme.objects.order_by("id").first()
    if scheme is None:
        raise NotFound("尚无考核方案：请先导入(gongjian rank scheme import FILE) / no scheme yet")
    return scheme


# ------------------------------------------------------------------ rankings


def _air_ranks(period: Period, definition: dict, units) -> dict[int, dict[str, int]]:
    """{unit id: {method: place}} from the HJ 663 township ranking of the month holding the period's end; a
    ranked unit takes the best place of the township stations in its subtree."""
    methods = sorted({r["method"] for r in definition["rules"] if r["type"] == "air_rank"})
    if not methods:
        return {}
    from gongjian.air.selectors import township_ranking
    from gongjian.org.models import Unit

    paths = dict(Unit.objects.values_list("pk", "path"))
    out: dict[int, dict[str, int]] = {}
    for method in methods:
        for row in township_ranking(None, year=period.end.year, month=period.end.month, method=method,
                                    whole_district=True):
            if row.rank is None:
                continue
            path = paths.get(row.unit_id, "")
            for u in units:
                if path.startswith(u.path):
                    best = out.setdefault(u.pk, {}).get(method)
                    out[u.pk][method] = row.rank if best is None else min(best, row.rank)
    return out


def _inputs(period: Period, definition: dict, previous_holders: list[int]) -> dict:
    data = indicators.collect(period, definition["rules"])
    units = indicators.ranked_units()
    air = _air_ranks(period, definition, units)
    return {"period": period.key, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "previous_holders": previous_holders,
            "units": {str(u.pk): {"name": u.name, "path": u.path, **data[u.pk],
                                  **({"air_ranks": air.get(u.pk, {})} if air else {})} for u in units}}


def score(definition: dict, inputs: dict) -> list[dict]:
    """The ranking rows from a definition and stored inputs alone (no database): what a recomputation runs."""
    rows = []
    for key, unit in inputs["units"].items():
        total, lines = scoring.score_unit(definition, unit)
        rows.append({"unit_id": int(key), "unit": unit["name"], "path": unit["path"], "score": total,
                     "lines": [line.as_dict() for line in lines]})
    ranks = scoring.rank_scores([(r["unit_id"], r["score"]) for r in rows], red=definition["red_flags"],
                                black=definition["black_flags"])
    top = [r["unit_id"] for r in rows if ranks[r["unit_id"]][0] == 1]
    rolling = set(scoring.rolling_flag(top, inputs.get("previous_holders", [])))
    for r in rows:
        r["rank"], r["flag"] = ranks[r["unit_id"]]
        r["grade"] = scoring.grade_of(definition, r["score"])
        r["rolling_red_flag"] = r["unit_id"] in rolling
        r["score"] = str(r["score"])
    rows.sort(key=lambda r: (r["rank"], r["path"]))
    return [{"unit_id": r["unit_id"], "unit": r["unit"], "rank": r["rank"], "score": r["score"],
             "grade": r["grade"], "flag": r["flag"], "rolling_red_flag": r["rolling_red_flag"],
             "lines": r["lines"]} for r in rows]


def _previous_holders(period: Period, scheme: Scheme) -> list[int]:
    prev = (Ranking.objects.filter(period=period.previous().key, version__scheme=scheme)
            .order_by("-version__number", "-id").first())
    if prev is None:
        return []
    return [r["unit_id"] for r in prev.results if r.get("rolling_red_flag")]


def ranking_run(*, actor, period: Period, scheme: Scheme | None = None, today=None) -> Ranking:
    """The ranking of a period with the scheme's latest version.

    A period that has ended is computed once and frozen (its inputs and results stored, audited); asking again
    returns the stored ranking. The running period is computed afresh each time and not stored (its facts are
    still moving).
    """
    scheme = scheme or scheme_of(None)
    version = scheme.latest()
    if version is None:
        raise NotFound(f"考核方案“{scheme.name}”还没有版本 / the scheme has no version")
    stored = Ranking.objects.filter(period=period.key, version=version).first()
    if stored is not None:
        return stored
    today = today or indicators._today()
    inputs = _inputs(period, version.definition, _previous_holders(period, scheme))
    ranking = Ranking(period=period.key, kind=period.kind, starts_on=period.start, ends_on=period.end,
                      version=version, inputs=inputs, results=score(version.definition, inputs),
                      computed_by=actor if getattr(actor, "pk", None) else None)
    if period.end >= today:
        return ranking  # provisional, not stored
    try:
        with transaction.atomic():
            ranking.save()
            audit.record(actor=actor, action="ranking.freeze", obj=ranking,
                         after={"period": period.key, "version": version.number, "scheme": scheme.name,
                                "units": len(inputs["units"])})
    except IntegrityError:  # someone froze it a moment earlier: theirs stands
        return Ranking.objects.get(period=period.key, version=version)
    return ranking


def recompute(ranking: Ranking) -> list[dict]:
    """Score a stored ranking again from its snapshot and version: equal to ``ranking.results``."""
    return score(ranking.version.definition, ranking.inputs)


def total_of(lines: list[dict], base: str) -> Decimal:
    return Decimal(base) + sum((Decimal(line["value"]) for line in lines), Decimal(0))
