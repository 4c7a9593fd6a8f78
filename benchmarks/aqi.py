"""Benchmark: the HJ 633 / HJ 663 engine at district scale, against the PyPI peers on the same rows.

What it measures
----------------
* hourly AQI (HJ 633-2026 real-time report, six 1h values) for ``--stations`` stations × ``--hours`` hours
  (default 1,000 × 8,760 = 8.76 million station-hours, six pollutants), through
  ``hj633.compute_table`` in chunks of ``--chunk`` rows, in station-hours/s (IAQIs, AQI, level, primary
  pollutants, flags: everything the engine returns);
* the daily AQI of the same data (HJ 633-2026 daily report): 24h means and O3 MDA8 with the HJ 663
  validity rules (``hj663.daily_means`` / ``hj663.mda8``), then ``compute_table``, in station-days/s;
* the monthly composite index (HJ 663: period means, CO P95, O3 P90, Σ C/S) per station and month, in
  station-months/s;
* python-aqi (``aqi.to_aqi`` with ALGO_MEP) and aqi-hub (``aqi_hub.aqi_cn.aqi.cal_aqi_cn``, hourly) on the
  first ``--peer-rows`` rows of the same data, rows/s and the ratio ours/theirs; with how many of those rows
  they give a different AQI (they are wrong in places; see shared/standards/hj633-aqi.md). The peers are
  installed only to run this: ``.venv/bin/pip install python-aqi==0.6.1 aqi-hub==0.3.3``; without them
  their lines say so.

Targets: hourly AQI ≥ 2,000,000 station-hours/s and ≥ 50× python-aqi (the 2-core machine).
No database is needed: the data are generated in memory (seeded, plausible seasonal/diurnal pattern).

    .venv/bin/python benchmarks/aqi.py                      # full size
    .venv/bin/python benchmarks/aqi.py --stations 50        # quick

It is a benchmark, not a test: it always exits 0 and prints PASS/FAIL against the targets.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

# This file is named aqi.py, like python-aqi's package: keep its directory off the path so `import aqi`
# finds the peer.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gongjian.standards import hj633, hj663  # noqa: E402

TARGET_HOURLY = 2_000_000.0
TARGET_RATIO = 50.0
HOURLY_KEYS = ("PM2.5_1h", "PM10_1h", "SO2_1h", "NO2_1h", "CO_1h", "O3_1h")


def generate(stations: int, hours: int, seed: int = 633) -> np.ndarray:
    """(stations, hours, 6) concentrations in PM2.5, PM10, SO2, NO2, CO, O3 order; a few NaN (missing)."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    doy = (t / 24.0) % 365.25
    hod = t % 24
    winter = 0.5 + 0.5 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    night = 0.5 + 0.5 * np.cos(2 * np.pi * (hod - 2) / 24)
    afternoon = np.clip(np.sin(np.pi * (hod - 8) / 12), 0, None)
    out = np.empty((stations, hours, 6))
    level = rng.uniform(0.8, 1.25, stations)[:, None]
    weather = np.exp(rng.normal(0, 0.35, (stations, hours // 24 + 1))).repeat(24, axis=1)[:, :hours]
    noise = lambda: np.exp(rng.normal(0, 0.15, (stations, hours)))  # noqa: E731
    pm25 = (24 + 50 * winter) * (0.8 + 0.4 * night) * weather * level * noise()
    out[:, :, 0] = np.round(pm25)
    out[:, :, 1] = np.round(pm25 * 1.7 + 8)
    out[:, :, 2] = np.round((6 + 14 * winter) * level * noise())
    out[:, :, 3] = np.round((22 + 18 * winter) * level * noise())
    out[:, :, 4] = np.round((0.5 + 0.9 * winter) * weather ** 0.5 * noise(), 1)
    out[:, :, 5] = np.round((35 + 135 * (1 - winter) * afternoon) / weather ** 0.3 * noise())
    out[:, :, 2] = np.minimum(out[:, :, 2], 790)  # python-aqi crashes above SO2 800 (its own bug)
    missing = rng.random((stations, hours)) < 0.01
    out[missing, rng.integers(0, 6, missing.sum())] = np.nan
    return out


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "inf"


def bench_hourly(data: np.ndarray, chunk: int) -> tuple[float, np.ndarray]:
    flat = data.reshape(-1, 6)
    n = len(flat)
    aqi = np.empty(n, dtype=np.int64)
    t0 = time.perf_counter()
    for start in range(0, n, chunk):
        part = flat[start:start + chunk]
        cols = {k: part[:, j] for j, k in enumerate(HOURLY_KEYS)}
        table = hj633.compute_table(cols, report="hourly", standard=hj633.HJ633_2026)
        aqi[start:start + chunk] = table.aqi
    return time.perf_counter() - t0, aqi


def bench_daily(data: np.ndarray) -> tuple[float, int]:
    stations, hours, _ = data.shape
    days = hours // 24
    t0 = time.perf_counter()
    h = data[:, : days * 24].reshape(stations * days, 24, 6)
    means = [hj663.daily_means(h[:, :, j]) for j in range(5)]
    mda8 = hj663.mda8(h[:, :, 5]).value
    cols = {"PM2.5_24h": means[0], "PM10_24h": means[1], "SO2_24h": means[2], "NO2_24h": means[3],
            "CO_24h": means[4], "O3_8h": mda8}
    hj633.compute_table(cols, report="daily", standard=hj633.HJ633_2026)
    return time.perf_counter() - t0, stations * days


def bench_monthly(data: np.ndarray) -> tuple[float, int, float]:
    stations, hours, _ = data.shape
    days = hours // 24
    h = data[:, : days * 24].reshape(stations, days, 24, 6)
    t0 = time.perf_counter()
    month_starts = list(range(0, days, 30))
    done, first = 0, math.nan
    for s in range(stations):
        daily = {name: hj663.daily_means(h[s, :, :, j]) for j, name in enumerate(("PM2.5", "PM10", "SO2", "NO2",
                                                                                   "CO"))}
        daily["O3"] = hj663.mda8(h[s, :, :, 5]).value
        for m0 in month_starts:
            stats = hj663.period_statistics({k: v[m0:m0 + 30] for k, v in daily.items()}, period="month", month=4)
            idx = hj663.composite_index({k: v.value for k, v in stats.items()})
            if s == 0 and m0 == 0:
                first = idx
            done += 1
    return time.perf_counter() - t0, done, first


def bench_python_aqi(rows: np.ndarray) -> tuple[float | None, np.ndarray | None, str]:
    try:
        import aqi
        from aqi import constants as c
    except ImportError:
        return None, None, "python-aqi not installed"
    keys = (c.POLLUTANT_PM25, c.POLLUTANT_PM10, c.POLLUTANT_SO2_1H, c.POLLUTANT_NO2_1H, c.POLLUTANT_CO_1H,
            c.POLLUTANT_O3_1H)
    out = np.full(len(rows), -1, dtype=np.int64)
    t0 = time.perf_counter()
    errors = 0
    for i, r in enumerate(rows.tolist()):
        pairs = [(k, str(v)) for k, v in zip(keys, r, strict=True) if not math.isnan(v)]
        try:
            out[i] = int(aqi.to_aqi(pairs, algo=c.ALGO_MEP))
        except Exception:
            errors += 1
    return time.perf_counter() - t0, out, f"{errors} rows raised"


def bench_aqi_hub(rows: np.ndarray) -> tuple[float | None, np.ndarray | None, str]:
    try:
        from aqi_hub.aqi_cn.aqi import cal_aqi_cn
    except ImportError:
        return None, None, "aqi-hub not installed"
    import warnings

    out = np.full(len(rows), -1, dtype=np.int64)
    errors = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns on every missing value
        for i, r in enumerate(rows.tolist()):
            vals = [None if math.isnan(v) else v for v in r]
            try:
                a, _ = cal_aqi_cn(*vals, data_type="hourly")
                out[i] = -1 if a is None else int(a)
            except Exception:
                errors += 1
    return time.perf_counter() - t0, out, f"{errors} rows raised"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--chunk", type=int, default=1_000_000)
    ap.add_argument("--peer-rows", type=int, default=20_000)
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = generate(args.stations, args.hours)
    n = args.stations * args.hours
    print(f"data: {args.stations} stations × {args.hours} hours = {n:,} station-hours × 6 pollutants "
          f"(generated in {time.perf_counter() - t0:.1f} s)")

    secs, ours = bench_hourly(data, args.chunk)
    hourly_rate = n / secs
    print(f"hourly AQI (HJ 633-2026): {secs:.2f} s, {rate(n, secs)} station-hours")

    secs_d, days = bench_daily(data)
    print(f"daily AQI (24h means, MDA8, HJ 633-2026 daily): {secs_d:.2f} s, {rate(days, secs_d)} station-days")

    secs_m, months, first = bench_monthly(data)
    print(f"monthly composite index (HJ 663): {secs_m:.2f} s, {rate(months, secs_m)} station-months "
          f"(station 1, month 1: I_sum {first})")

    sample = data.reshape(-1, 6)[: args.peer_rows]
    sample_ours = ours[: len(sample)]
    ratio_py = None
    for name, fn in (("python-aqi", bench_python_aqi), ("aqi-hub", bench_aqi_hub)):
        s, theirs, note = fn(sample)
        if s is None:
            print(f"{name}: {note}")
            continue
        their_rate = len(sample) / s
        differ = int((theirs != sample_ours).sum())
        ratio = hourly_rate / their_rate
        if name == "python-aqi":
            ratio_py = ratio
        print(f"{name}: {len(sample):,} rows in {s:.2f} s, {their_rate:,.0f} rows/s; ours/theirs = {ratio:,.0f}×; "
              f"AQI differs from ours on {differ:,} rows ({note})")

    print()
    print(f"{'PASS' if hourly_rate >= TARGET_HOURLY else 'FAIL'} hourly AQI {hourly_rate:,.0f} station-hours/s "
          f"(target ≥ {TARGET_HOURLY:,.0f})")
    if ratio_py is None:
        print("FAIL ratio to python-aqi not measured (python-aqi not installed)")
    else:
        print(f"{'PASS' if ratio_py >= TARGET_RATIO else 'FAIL'} {ratio_py:,.0f}× python-aqi (target ≥ {TARGET_RATIO:.0f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
