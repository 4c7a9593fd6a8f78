"""Scoring schemes as data, and the arithmetic of a ranking. Pure Python (no Django, no database).

A scheme definition (JSON or YAML) is::

    {"title": "周考核", "base": 100,
     "rules": [
       {"code": "city", "label": "市级交办问题", "type": "case", "set": "found",
        "sources": ["city", "province"], "points": -1, "cap": 10},
       {"code": "false", "label": "虚假整改", "type": "case", "set": "reworked", "points": -2},
       {"code": "ontime", "label": "按期结案", "type": "case", "set": "closed_on_time", "points": 0.5, "cap": 5},
       {"code": "w1", "label": "处置率", "type": "indicator", "indicator": "disposal_rate", "points": 30},
       {"code": "w2", "label": "返工率", "type": "indicator", "indicator": "rework_rate", "points": 20,
        "complement": true},
       {"code": "daily", "label": "日报缺报", "type": "daily_missing", "points": -1, "cap": 5},
       {"code": "air", "label": "空气质量排名", "type": "air_rank", "method": "composite", "points": -0.5, "cap": 5}],
     "grades": {"A": 90, "B": 75, "C": 60, "D": 40},
     "red_flags": 3, "black_flags": 3}

* ``case`` rules give ``points`` per case of a case set (see ``CASE_SETS``), optionally only for some sources;
* ``indicator`` rules give ``points`` × the rate (× (1 − rate) with ``complement``): the weighted formula;
* ``daily_missing`` rules give ``points`` per day of the period without the unit's daily figures;
* ``air_rank`` rules give ``points`` per place behind the first in the HJ 663 township ranking (``method``:
  composite, pm25, good_days or yoy) of the calendar month holding the period's last day; a unit without a
  ranked township station gets nothing from the rule;
* ``cap`` bounds the size of a rule's total (−1 each, at most −10: ``points: -1, cap: 10``).

A rate whose denominator is 0 (no case due in the period) counts as its good value: 1 for the rates where more
is better (处置率 …), 0 for the rates where less is better (返工率 …): a unit with nothing due loses nothing.
Each rule's value is rounded to 0.01 (half up); the score is the base plus the rounded values, so the breakdown
adds up to the score exactly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

SOURCES = ("plan", "self_check", "district_inspection", "city", "province", "night", "unannounced", "public",
           "hotline", "monitoring", "media")

# name: (label, numerator count, good when high)
INDICATORS: dict[str, tuple[str, str, bool]] = {
    "disposal_rate": ("处置率", "handled", True),
    "disposal_on_time_rate": ("按期处置率", "handled_on_time", True),
    "late_disposal_rate": ("超期处置率", "handled_late", False),
    "closure_rate": ("结案率", "closed", True),
    "closure_on_time_rate": ("按期结案率", "closed_on_time", True),
    "rework_rate": ("返工率", "reworked", False),
    "extension_rate": ("延期率", "extended", False),
    "overdue_pending_rate": ("超期待处置率", "overdue_pending", False),
}
# The denominator of every rate: 应处置数 = 应结案数 = cases due in the period.
DENOMINATOR = "due"

CASE_SETS: dict[str, str] = {
    "found": "期内发现(上报)的问题",
    "due": "期内到期(应处置)的案件",
    "handled": "已处置",
    "handled_on_time": "按期处置",
    "handled_late": "超期处置",
    "closed": "已结案",
    "closed_on_time": "按期结案",
    "reworked": "返工(虚假整改：报称已整改、核查不合格)",
    "extended": "延期",
    "overdue_pending": "超期未处置",
    "escalated": "挂牌督办及以上(挂牌督办、约谈、问责)",
}
COUNTS = tuple(k for k in CASE_SETS if k != "found")
RULE_TYPES = ("case", "indicator", "daily_missing", "air_rank")
AIR_METHODS = {"composite": "综合指数", "pm25": "PM2.5浓度", "good_days": "优良天数比例", "yoy": "综合指数同比"}
GRADE_NAMES = ("A", "B", "C", "D")
CENT = Decimal("0.01")


class SchemeError(ValueError):
    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}：{message}" if where else message)
        self.where = where


def _number(value, where: str, *, minimum=None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise SchemeError("应为数字 / must be a number", where)
    try:
        d = Decimal(str(value).strip())
    except Exception:
        raise SchemeError(f"“{value}”不是数字 / not a number", where) from None
    if not d.is_finite():
        raise SchemeError("应为有限的数字 / must be finite", where)
    if minimum is not None and d < minimum:
        raise SchemeError(f"不能小于 {minimum} / must be at least {minimum}", where)
    return d


def _count(value, where: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemeError("应为不小于 0 的整数 / must be a whole number ≥ 0", where)
    return value


def validate(definition) -> dict:
    """Check a definition and return it normalised (numbers as strings, defaults filled in).

    Raises SchemeError naming the place (e.g. ``rules[2].points``) and what is wrong.
    """
    if not isinstance(definition, dict):
        raise SchemeError("方案定义应为一个对象(JSON 对象 / YAML 映射) / must be a mapping")
    known = {"title", "description", "base", "rules", "grades", "red_flags", "black_flags"}
    unknown = sorted(set(definition) - known)
    if unknown:
        raise SchemeError(f"不认识的项：{'、'.join(map(str, unknown))}(可用：{'、'.join(sorted(known))}) / unknown keys")
    out: dict = {"title": str(definition.get("title") or "").strip(),
                 "description": str(definition.get("description") or "").strip(),
                 "base": str(_number(definition.get("base", 100), "base"))}
    rules = definition.get("rules")
    if not isinstance(rules, list) or not rules:
        raise SchemeError("至少需要一条规则(列表) / at least one rule is required", "rules")
    codes: set[str] = set()
    out["rules"] = []
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if not isinstance(rule, dict):
            raise SchemeError("每条规则应为一个对象 / each rule must be a mapping", where)
        bad = sorted(set(rule) - {"code", "label", "type", "set", "sources", "indicator", "points", "cap",
                                  "complement", "method"})
        if bad:
            raise SchemeError(f"不认识的项：{'、'.join(map(str, bad))} / unknown keys", where)
        code = str(rule.get("code") or "").strip()
        if not code:
            raise SchemeError("缺少规则代码 code / code is required", where)
        if code in codes:
            raise SchemeError(f"规则代码“{code}”重复 / duplicate code", where + ".code")
        codes.add(code)
        kind = rule.get("type")
        if kind not in RULE_TYPES:
            raise SchemeError(f"type 应为 {' / '.join(RULE_TYPES)} 之一，而不是“{kind}” / bad type", where + ".type")
        points = _number(rule.get("points"), where + ".points")
        cap = rule.get("cap")
        norm = {"code": code, "type": kind, "points": str(points),
                "cap": None if cap is None else str(_number(cap, where + ".cap", minimum=0))}
        if kind == "case":
            case_set = rule.get("set")
            if case_set not in CASE_SETS:
                raise SchemeError(f"set 应为 {'、'.join(CASE_SETS)} 之一，而不是“{case_set}” / bad case set",
                                  where + ".set")
            sources = rule.get("sources") or []
            if not isinstance(sources, list) or any(s not in SOURCES for s in sources):
                raise SchemeError(f"sources 应为来源代码的列表：{'、'.join(SOURCES)} / bad sources",
                                  where + ".sources")
            norm |= {"set": case_set, "sources": sorted(set(sources))}
            default_label = CASE_SETS[case_set]
        elif kind == "indicator":
            name = rule.get("indicator")
            if name not in INDICATORS:
                raise SchemeError(f"indicator 应为 {'、'.join(INDICATORS)} 之一，而不是“{name}” / bad indicator",
                                  where + ".indicator")
            norm |= {"indicator": name, "complement": bool(rule.get("complement", False))}
            default_label = ("1 − " if norm["complement"] else "") + INDICATORS[name][0]
        elif kind == "air_rank":
            method = rule.get("method", "composite")
            if method not in AIR_METHODS:
                raise SchemeError(f"method 应为 {'、'.join(AIR_METHODS)} 之一，而不是“{method}” / bad method",
                                  where + ".method")
            norm["method"] = method
            default_label = f"空气质量排名({AIR_METHODS[method]})"
        else:
            default_label = "日报缺报天数"
        norm["label"] = str(rule.get("label") or default_label).strip()
        out["rules"].append(norm)
    grades = definition.get("grades", {"A": 90, "B": 75, "C": 60, "D": 40})
    if not isinstance(grades, dict) or set(grades) != set(GRADE_NAMES):
        raise SchemeError("grades 应给出 A、B、C、D 的最低分(低于 D 为 E) / give minimum scores for A–D", "grades")
    floors = [_number(grades[g], f"grades.{g}") for g in GRADE_NAMES]
    if any(a <= b for a, b in itertools.pairwise(floors)):
        raise SchemeError("等级分数线应从 A 到 D 依次降低 / thresholds must fall from A to D", "grades")
    out["grades"] = {g: str(f) for g, f in zip(GRADE_NAMES, floors, strict=True)}
    out["red_flags"] = _count(definition.get("red_flags"), "red_flags", 3)
    out["black_flags"] = _count(definition.get("black_flags"), "black_flags", 3)
    return out


def rate(counts: dict, indicator: str) -> Fraction | None:
    """The rate as an exact fraction, None when nothing was due."""
    den = counts.get(DENOMINATOR, 0)
    if not den:
        return None
    return Fraction(counts.get(INDICATORS[indicator][1], 0), den)


def _round(x: Fraction) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class RuleLine:
    code: str
    label: str
    type: str
    count: str  # what the points multiply: a case count, a rate or a number of days, as shown
    points: str
    cap: str | None
    capped: bool
    value: Decimal

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "type": self.type, "count": self.count,
                "points": self.points, "cap": self.cap, "capped": self.capped, "value": str(self.value)}


def score_unit(definition: dict, inputs: dict) -> tuple[Decimal, list[RuleLine]]:
    """One unit's score from its stored inputs: ``{"counts": {...}, "rules": {code: n}, "missing_days": n}``."""
    lines = []
    total = Decimal(definition["base"])
    for rule in definition["rules"]:
        points = Fraction(rule["points"])
        if rule["type"] == "case":
            n = int(inputs["rules"].get(rule["code"], 0))
            raw, shown = points * n, str(n)
        elif rule["type"] == "indicator":
            r = rate(inputs["counts"], rule["indicator"])
            if r is None:
                r = Fraction(1 if INDICATORS[rule["indicator"]][2] else 0)
            factor = 1 - r if rule["complement"] else r
            raw, shown = points * factor, f"{float(r):.4f}"
        elif rule["type"] == "air_rank":
            place = (inputs.get("air_ranks") or {}).get(rule["method"])
            raw, shown = (points * (int(place) - 1), str(place)) if place else (Fraction(0), "—")
        else:
            n = int(inputs.get("missing_days", 0))
            raw, shown = points * n, str(n)
        capped = False
        if rule["cap"] is not None:
            cap = Fraction(rule["cap"])
            if abs(raw) > cap:
                raw, capped = (cap if raw > 0 else -cap), True
        value = _round(raw)
        total += value
        lines.append(RuleLine(rule["code"], rule["label"], rule["type"], shown, rule["points"], rule["cap"],
                              capped, value))
    return total, lines


def grade_of(definition: dict, score: Decimal) -> str:
    for g in GRADE_NAMES:
        if score >= Decimal(definition["grades"][g]):
            return g
    return "E"


def rank_scores(scores: list[tuple[object, Decimal]], *, red: int, black: int) -> dict[object, tuple[int, str]]:
    """Competition ranking (并列: equal scores share a rank, the next rank is skipped: 1, 1, 3) and flags.

    A unit gets the red flag when fewer than ``red`` units score higher, the black flag when fewer than ``black``
    units score lower (and it has no red flag), so tied units always share a flag. Returns {key: (rank, flag)}.
    """
    ordered = sorted((s for _, s in scores), reverse=True)
    n = len(ordered)
    out = {}
    for key, s in scores:
        higher = sum(1 for x in ordered if x > s)
        lower = sum(1 for x in ordered if x < s)
        flag = "red" if higher < red else ("black" if lower < black and n > 1 else "")
        out[key] = (higher + 1, flag)
    return out


def rolling_flag(top: list, previous_holders: list) -> list:
    """流动红旗: to the single best unit; when several tie for first, the holder keeps it if among them,
    otherwise the tied units share it."""
    if len(top) == 1:
        return list(top)
    kept = [u for u in top if u in previous_holders]
    return kept or list(top)
