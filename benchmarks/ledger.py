"""Benchmark: the ledger at district scale — bulk load, the ledger page's queries, the closed loop
through the services, xlsx export and import.

What it measures
----------------
* bulk load: N cases (default 1,000,000 on PostgreSQL, 200,000 on SQLite), the first 20,000
  written with ``Case.objects.bulk_create`` and the rest with ``spreadsheets.CaseRows`` (COPY on
  PostgreSQL; bulk_create would take minutes for a million), both rates printed; spread over the demo district's units, four campaigns with their
  category trees, every status, every source, realistic dates (deadlines around today, so the
  deadline lights are red, yellow and green), in rows/s;
* ten ledger queries as the ledger page runs them (``selectors.ledger`` with a ``LedgerFilter``,
  as the commander: the first page of 50 with ``select_related`` and ``selectors.ledger_counts``,
  the total and counts by status: exact from the trigger-kept tally for campaign/unit/status
  filters, else exact up to ``COUNT_CAP`` and "10,000+" above it), p50/p95 over ``--runs`` runs
  each, each with its ratio to the raw baseline: a plain page's SQL, compiled once, through
  ``cursor.execute``: the same page of 50 plus a bare COUNT(*) and GROUP BY status with the same
  WHERE (a ratio under 1 is what the tally and the cap save);
* the closed loop through the services (report with a point -> register -> assign -> accept ->
  submit with the after-photo -> close), cases/s, with client CPU and SQL statements per case. The
  throughput figure the target is judged on is the case page's way (``submit_with_photos``: photo and
  submit in one transaction) in ``--streams`` (2) processes at once, each with its own connection, as the
  server's worker processes serve several people at a time, with the photo as the page uploads it: a
  phone camera's photo (``--photo``, 4032x3024, EXIF time and GPS) shrunk in the browser to
  GONGJIAN_PHOTO_MAX_SIDE (2560) on its longest side (``--page-side``; made here with Pillow the way
  web/static/gongjian/photos.js makes it). Beside it: one stream (bound by one process's round trips,
  not by the machine), and the API's way with the camera's full-size file (``evidence_add`` then
  ``transition``: two transactions), in one and in ``--streams`` streams;
* ``spreadsheets.export_xlsx`` of ``--export`` filtered rows, rows/s, against reading the same rows
  from the database alone;
* ``spreadsheets.import_cases`` of an ``--import`` row xlsx (dates as date cells, text and
  "N个工作日"), rows/s, against python-calamine's bare read of the same file.

Targets (for 1,000,000 cases on PostgreSQL on the 2-core machine): every query p95 <= 100 ms,
the loop >= 100 cases/s, import >= 20,000 rows/s, export >= 30,000 rows/s. On SQLite or at
another size the PASS/FAIL lines are indicative only.

It never touches a developer's data: it runs in a scratch GONGJIAN_HOME (a temporary directory,
SQLite there), or, when GONGJIAN_DATABASE_URL names a PostgreSQL server, in a scratch database
``gongjian_bench_<pid>`` on that server, dropped at the end (``--keep`` keeps it). Run from the
repository root:

    .venv/bin/python benchmarks/ledger.py --cases 50000
    .venv/bin/python benchmarks/ledger.py --cases 100000 --only lifecycle   # just the closed loop
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_dev .venv/bin/python benchmarks/ledger.py

It is a benchmark, not a test: it always exits 0 and prints PASS/FAIL against the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGET_QUERY_P95_MS = 100.0
TARGET_LIFECYCLE = 100.0
TARGET_IMPORT = 20_000.0
TARGET_EXPORT = 30_000.0
BATCH = 5000
SECTIONS = ("queries", "lifecycle", "export", "import")

CAMPAIGNS = [
    ("污染围城集中整治", "山阳整治", [("垃圾围城", ["生活垃圾", "建筑垃圾"]), ("堆料围城", []), ("废品围城", []),
                                 ("冶炼围城", []), ("涂料围城", [])]),
    ("大气污染防治攻坚", "山阳大气", [("扬尘", ["工地扬尘", "道路扬尘"]), ("油烟", []), ("散乱污企业", []),
                                 ("露天焚烧", [])]),
    ("河道清四乱专项行动", "山阳河道", [("乱占", []), ("乱采", []), ("乱堆", []), ("乱建", [])]),
    ("违法建设治理", "山阳违建", [("违法建设", ["新增违建", "存量违建"]), ("占道经营", []), ("户外广告", [])]),
]
ROADS = ["解放路", "建设路", "人民路", "太行路", "丰收路", "塔南路", "焦东路", "山阳路", "迎宾路", "新华街",
         "民主路", "中原路", "群英路", "和平街", "工业路", "友谊路"]
PROBLEMS = ["生活垃圾堆积未清运", "建筑垃圾乱倒", "废品收购站占道堆放", "工地裸土未覆盖防尘网", "沿街饭店油烟直排",
            "小作坊喷漆无治污设施", "渣土车未密闭运输", "背街小巷堆放杂物", "废旧金属冶炼点", "户外广告牌破损",
            "门店占道经营", "违建彩钢房", "河道垃圾漂浮", "建材市场堆料未苫盖", "烧烤摊油烟扰民", "露天焚烧秸秆",
            "河道乱采砂石", "道路积尘严重", "散乱污企业未关停", "沿河违法建房"]
SOURCES = ["district_inspection"] * 6 + ["self_check"] * 3 + ["city"] * 2 + ["province", "night", "unannounced",
                                                                          "public", "hotline", "hotline",
                                                                          "monitoring", "media", "plan"]
# status -> share of the cases
STATUS_MIX = [("reported", 4), ("registered", 4), ("rejected", 3), ("assigned", 16), ("returned", 2),
              ("rectifying", 24), ("submitted", 9), ("closed", 33), ("long_term", 5)]
OPEN = {"assigned", "returned", "rectifying", "submitted"}


def log(msg: str = "") -> None:
    print(msg, flush=True)


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ----------------------------------------------------------------- a database of its own


class Scratch:
    """A temporary GONGJIAN_HOME, and on PostgreSQL a temporary database; gone afterwards."""

    def __init__(self, keep: bool):
        self.keep = keep
        self.home = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
        self.pg_admin = None
        self.dbname = None
        url = os.environ.get("GONGJIAN_DATABASE_URL", "").strip()
        os.environ["GONGJIAN_HOME"] = str(self.home)
        os.environ["DJANGO_SETTINGS_MODULE"] = "gongjian.config.settings"
        os.environ.pop("GONGJIAN_DEBUG", None)  # DEBUG would keep every query in memory
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            parts = urllib.parse.urlsplit(url)
            self.dbname = f"gongjian_bench_{os.getpid()}"
            self.pg_admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')
                conn.execute(f'CREATE DATABASE "{self.dbname}"')
            os.environ["GONGJIAN_DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{self.dbname}"))
            os.environ.setdefault("GONGJIAN_SECRET_KEY", "benchmark-only-" + os.urandom(8).hex())
            self.where = f"PostgreSQL, scratch database {self.dbname} on {parts.hostname}:{parts.port or 5432}"
        else:
            os.environ.pop("GONGJIAN_DATABASE_URL", None)
            self.where = f"SQLite, scratch home {self.home}"

    @property
    def postgres(self) -> bool:
        return self.dbname is not None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if self.keep:
            log(f"kept: {self.where}")
            return
        if self.dbname:
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        shutil.rmtree(self.home, ignore_errors=True)


# ----------------------------------------------------------------- building the data


def setup_district():
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", interactive=False, verbosity=0)
    from gongjian.core.models import HolidayYear
    from gongjian.ledger import services
    from gongjian.org import demo

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        demo.load(log=lambda *a: None)
    today = services.today()
    for year in (today.year, today.year + 1):  # deadlines near the new year need its schedule
        if not HolidayYear.objects.filter(year=year).exists():
            HolidayYear.objects.create(year=year, source="benchmark: Monday-Friday rule only")
            log(f"  (no holiday schedule for {year} in chinese-calendar: the scratch database uses the plain "
                "Monday-Friday rule for it)")
    campaigns = []
    from gongjian.org.models import Unit

    command = Unit.objects.get(name="山阳区整治攻坚指挥部")
    for name, prefix, cats in CAMPAIGNS:
        campaigns.append(services.campaign_create(
            actor=None, name=name, serial_prefix=prefix, command_unit=command, starts_on=today - dt.timedelta(days=400),
            categories=[{"name": c, "default_workdays": 5, "children": [{"name": k} for k in kids]}
                        for c, kids in cats]))
    return campaigns


def bulk_load(n: int, campaigns, seed: int, bulk_create_rows: int) -> tuple[float, float]:
    """N cases: the first ``bulk_create_rows`` through ``Case.objects.bulk_create``, the rest through
    ``spreadsheets.CaseRows`` (COPY on PostgreSQL), the import's writer. Returns both rates."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gongjian.ledger import services
    from gongjian.ledger.models import Case, Category
    from gongjian.ledger.spreadsheets import CaseRows
    from gongjian.org.models import Unit, UnitKind, User

    rnd = random.Random(seed)
    units = list(Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.VILLAGE,
                                               UnitKind.BUREAU]))
    by_id = {u.pk: u for u in Unit.objects.all()}
    leaders = {u.pk: getattr(services._responsible_leader(u), "pk", None) for u in units}
    reporters = list(User.objects.filter(unit__isnull=False).values_list("pk", "unit_id"))
    cats = {c.pk: [k.pk for k in Category.objects.filter(campaign=c)] for c in campaigns}
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    now = timezone.now()
    on = services.today()
    numbers: dict[tuple[int, int], int] = {}
    table = CaseRows(now)

    def values() -> dict:
        campaign = campaigns[rnd.randrange(len(campaigns))]
        status = statuses[rnd.randrange(len(statuses))]
        unit = units[rnd.randrange(len(units))]
        street = by_id[unit.parent_id] if unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE) else unit
        road = ROADS[rnd.randrange(len(ROADS))]
        problem = PROBLEMS[rnd.randrange(len(PROBLEMS))]
        age = rnd.uniform(0, 40) if status in OPEN | {"reported", "registered"} else rnd.uniform(0, 380)
        reported_at = now - dt.timedelta(days=age, seconds=rnd.randrange(86400))
        year = timezone.localtime(reported_at).year
        key = (campaign.pk, year)
        numbers[key] = number = numbers.get(key, 0) + 1
        reporter, reporter_unit = reporters[rnd.randrange(len(reporters))]
        kw = dict(
            campaign_id=campaign.pk, year=year, number=number, serial=f"{campaign.serial_prefix}〔{year}〕{number:04d}",
            kind="task" if rnd.random() < 0.05 else "problem", source=SOURCES[rnd.randrange(len(SOURCES))],
            category_id=cats[campaign.pk][rnd.randrange(len(cats[campaign.pk]))],
            title=f"{unit.name}{road}{problem}", description=f"{road}{rnd.randint(1, 300)}号附近{problem}，现场拍照取证。",
            address=f"{street.name}{road}{rnd.randint(1, 300)}号", status=status, reported_at=reported_at,
            reported_by_id=reporter, reporter_unit_id=reporter_unit, priority="urgent" if rnd.random() < 0.1 else "normal",
        )
        if status not in ("reported", "rejected") or rnd.random() < 0.6:
            kw["unit_id"], kw["leader_id"] = unit.pk, leaders[unit.pk]
        if status == "rejected":
            kw["rejection_reason"] = "经核实不属于整治范围"
        if status in OPEN | {"closed", "long_term"}:
            assigned_on = min(reported_at.date() + dt.timedelta(days=rnd.randint(0, 2)), on)
            span = rnd.randint(2, 30)
            kw["assigned_on"] = assigned_on
            kw["deadline"] = assigned_on + dt.timedelta(days=span)
            kw["warn_on"] = assigned_on + dt.timedelta(days=round(span * 0.8))
        if status in ("submitted", "closed"):
            kw["submitted_at"] = reported_at + dt.timedelta(days=rnd.uniform(1, 20))
            kw["submitted_on_time"] = kw["submitted_at"].date() <= kw["deadline"]
        if status == "closed":
            kw["closed_at"] = kw["submitted_at"] + dt.timedelta(days=rnd.uniform(0, 3))
            kw["closed_on_time"] = kw["closed_at"].date() <= kw["deadline"]
            kw["rework_count"] = 1 if rnd.random() < 0.1 else 0
        if status == "long_term":
            kw["long_term_plan"] = "纳入年度整治计划，分期整改"
            kw["long_term_review_on"] = on + dt.timedelta(days=rnd.randint(10, 90))
        return kw

    rates = []
    done = 0
    for label, count in (("bulk_create", min(n, bulk_create_rows)), ("CaseRows", n - min(n, bulk_create_rows))):
        t0 = time.perf_counter()
        part = 0
        while part < count:
            size = min(BATCH, count - part)
            with transaction.atomic():
                if label == "bulk_create":
                    Case.objects.bulk_create([Case(**values()) for _ in range(size)])
                else:
                    table.insert([table.row(**values()) for _ in range(size)])
            part += size
            done += size
            if done % 100_000 < BATCH or part == count:
                log(f"  {done:>10,} cases  ({label}: {part / (time.perf_counter() - t0):,.0f} rows/s)")
        rates.append(count / (time.perf_counter() - t0) if count else 0.0)
    log("  analysing tables ...")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return rates[0], rates[1]


# ----------------------------------------------------------------- the ledger queries


def query_suite(campaigns, runs: int):
    from django.db import connection
    from django.db.models import Count

    from gongjian.ledger import selectors, services
    from gongjian.ledger.models import Category
    from gongjian.org.models import Unit, User

    on = services.today()
    user = User.objects.get(username="zhihui")
    street = Unit.objects.get(name="百间房街道")
    parent = Category.objects.filter(campaign=campaigns[0], parent__isnull=True, children__isnull=False).first()
    F = selectors.LedgerFilter
    suite = [
        ("no filter", F()),
        ("campaign", F(campaign=campaigns[0].pk)),
        ("unit subtree (百间房街道)", F(unit=street.pk)),
        ("status 整改中", F(status=["rectifying"])),
        ("source 12345热线", F(source=["hotline"])),
        (f"category {parent.name} (+children)", F(campaign=campaigns[0].pk, category=parent.pk)),
        ("light red", F(light="red")),
        ("light yellow", F(light="yellow")),
        ("deadline next 7 days", F(deadline_from=on, deadline_to=on + dt.timedelta(days=7))),
        ("keyword 油烟", F(q="油烟")),
    ]

    def ui(f):
        qs = selectors.ledger(user, f, on=on)
        rows = list(qs.select_related("unit", "category")[:50])
        for c in rows:
            selectors.light_of(c, on)
        counts = selectors.ledger_counts(user, f, qs)
        return len(rows), counts

    def compiled(f):
        # The raw baseline: what a plain ledger page would run, compiled once: the same page of 50 and
        # a bare COUNT(*) and GROUP BY status with the same WHERE.
        qs = selectors.ledger(user, f, on=on)
        page = qs.select_related("unit", "category")[:50].query.sql_with_params()
        inner, params = qs.order_by().values("pk").query.sql_with_params()
        count = (f"SELECT COUNT(*) FROM ({inner}) AS t", params)
        groups = qs.order_by().values("status").annotate(n=Count("id")).query.sql_with_params()
        return [page, count, groups]

    def raw(statements):
        with connection.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()

    results = []
    for name, f in suite:
        statements = compiled(f)
        _, counts = ui(f)  # warm-up
        total = f"{counts.total:,}" + ("" if counts.exact else "+")
        raw(statements)
        orm_ms, raw_ms = [], []
        for _ in range(runs):
            t = time.perf_counter()
            ui(f)
            orm_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw(statements)
            raw_ms.append((time.perf_counter() - t) * 1000)
        results.append((name, total, percentile(orm_ms, 0.5), percentile(orm_ms, 0.95), percentile(raw_ms, 0.5),
                        percentile(raw_ms, 0.95)))
        log(f"  {name:<32} {total:>10} rows  p50 {results[-1][2]:7.1f} ms  p95 {results[-1][3]:7.1f} ms")
    return results


# ----------------------------------------------------------------- the closed loop


def phone_jpeg(width: int, height: int, lng: float, lat: float) -> bytes:
    """A photo as a phone camera uploads it: full size, JPEG quality 88, texture and sensor noise that
    compress like an outdoor scene (about 3.5 MB at 4032x3024), EXIF capture time and GPS position."""
    import numpy as np
    from PIL import ExifTags, Image

    rng = np.random.default_rng(20260601)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    scene = np.stack([90 + 80 * np.sin(x / 97) * np.cos(y / 71), 120 + 60 * np.cos((x + y) / 53),
                      100 + 50 * np.sin(y / 37)], -1)
    pixels = np.clip(scene + rng.normal(0, 10, scene.shape), 0, 255).astype(np.uint8)

    def dms(v: float) -> tuple[float, float, float]:
        d, rest = int(v), (v - int(v)) * 60
        return float(d), float(int(rest)), round((rest - int(rest)) * 60, 2)

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:06:01 09:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", dms(lng)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=88, exif=exif)
    return buf.getvalue()


def loop_point():
    """Where the loop's cases are reported and photographed: in 墙南社区, whose handler is 百间房街道's."""
    from shapely.geometry import shape

    from gongjian.org import demo

    polygon = next(p for street, c, r, p in demo.grid_polygons() if street == "百间房街道" and c == 1 and r == 0)
    return shape(polygon).representative_point()


def page_photo(photo: bytes, side: int) -> bytes:
    """What the case page uploads for ``photo`` (web/static/gongjian/photos.js): longest side at most ``side``
    pixels, JPEG quality 88, the camera's EXIF (time, GPS) carried over; unchanged when already within it."""
    from PIL import Image

    with Image.open(io.BytesIO(photo)) as image:
        if not side or max(image.size) <= side:
            return photo
        exif = image.getexif()
        scale = side / max(image.size)
        small = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=88, exif=exif)
    return buf.getvalue()


def _stream(campaigns, n, photo, page, offset, barrier, results) -> None:
    """One of the concurrent loops, in its own process (forked with no database connection open)."""
    from django.db import connections

    try:
        results.put(lifecycle(campaigns, n, photo, page=page, offset=offset, barrier=barrier, timed=True))
    except BaseException as exc:
        results.put(exc)
        raise
    finally:
        connections.close_all()


def concurrent_lifecycle(campaigns, n: int, photo: bytes, streams: int, *, page: bool) -> tuple[float, float]:
    """The loop for ``n`` cases in ``streams`` processes at once, as a server's workers serve several people:
    (cases/s over the wall time from the common start to the last stream's end, client CPU ms per case)."""
    import multiprocessing as mp

    from django.db import connections

    connections.close_all()  # each forked stream opens its own
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(streams), ctx.Queue()
    each = n // streams
    offset = 1_000_000 if page else 0  # distinct case titles per run
    procs = [ctx.Process(target=_stream, args=(campaigns, each, photo, page, offset + 100_000 * (k + 1), barrier,
                                               queue))
             for k in range(streams)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    for r in results:
        if isinstance(r, BaseException):
            raise RuntimeError(f"a stream failed: {r!r}")
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    cpu = sum(r[2] for r in results)
    return each * streams / (end - start), cpu / (each * streams) * 1000


def lifecycle(campaigns, n: int, photo: bytes, *, page: bool = False, offset: int = 0,
              barrier=None, timed: bool = False):
    """The loop for ``n`` cases: (cases/s, client CPU ms per case, SQL statements per case, photo bytes).
    ``page``: the after-photo goes with the submit as the case page sends it (``submit_with_photos``,
    one transaction) instead of ``evidence_add`` and then ``transition`` (two, as the API does).

    Statements (BEGIN and COMMIT included) are counted on a few cases before the timed run (which
    so carries no query logging); a few more before those warm the per-process copies."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongjian.ledger import services
    from gongjian.org.models import User

    users = {u.username: u for u in User.objects.filter(username__in=["wangge", "zhihui", "bjf_jingban", "ducha"])}
    point = loop_point()
    category = campaigns[0].categories.filter(children__isnull=True).first()

    def one(i):
        case = services.case_report(actor=users["wangge"], campaign=campaigns[0], category=category,
                                    title=f"基准测试问题{i}", source="district_inspection", lng=point.x, lat=point.y)
        case = services.transition(actor=users["zhihui"], case=case, action="register")
        case = services.transition(actor=users["zhihui"], case=case, action="assign", workdays=3)
        case = services.transition(actor=users["bjf_jingban"], case=case, action="accept")
        upload = SimpleUploadedFile(f"after{i}.jpg", photo, content_type="image/jpeg")
        if page:
            case = services.submit_with_photos(actor=users["bjf_jingban"], case=case, photos=[upload])
        else:
            services.evidence_add(actor=users["bjf_jingban"], case=case, stage="after", upload=upload)
            case = services.transition(actor=users["bjf_jingban"], case=case, action="submit")
        case = services.transition(actor=users["ducha"], case=case, action="close")
        assert case.status == "closed"

    for i in range(5):  # warms the per-process copies and the prepared statements
        one(-1 - i - offset)
    if timed:  # a concurrent stream: (start, end, CPU seconds, photo bytes), started with the others
        barrier.wait()
        t0, cpu0 = time.time(), time.process_time()
        for i in range(n):
            one(offset + i)
        return t0, time.time(), time.process_time() - cpu0, len(photo)
    counted = 5
    with CaptureQueriesContext(connection) as ctx:
        for i in range(counted):
            one(-10 - i)
    per_case = len(ctx.captured_queries) / counted
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        one(i)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return n / wall, cpu / n * 1000, per_case, len(photo)


# ----------------------------------------------------------------- export and import


def export_bench(campaigns, n: int, home: Path):
    from gongjian.ledger import selectors, services, spreadsheets
    from gongjian.org.models import User

    on = services.today()
    user = User.objects.get(username="zhihui")
    f = selectors.LedgerFilter(campaign=campaigns[0].pk, order="serial")
    if selectors.ledger(user, f, on=on).count() < n:  # a small database: the whole ledger
        f = selectors.LedgerFilter(order="serial")
    qs = selectors.ledger(user, f, on=on)[:n]
    t = time.perf_counter()
    read = sum(1 for _ in qs.values_list(*spreadsheets._EXPORT_FIELDS).iterator(chunk_size=spreadsheets.EXPORT_CHUNK))
    read_rate = read / (time.perf_counter() - t)
    out = home / "export.xlsx"
    t = time.perf_counter()
    rows = spreadsheets.export_xlsx(qs, out, title=spreadsheets.default_title(campaigns[0], on), on=on)
    elapsed = time.perf_counter() - t
    return rows, rows / elapsed, read_rate, out.stat().st_size, "campaign" if f.campaign else "none"


def import_file(path: Path, n: int, seed: int) -> None:
    import xlsxwriter

    from gongjian.ledger import services
    from gongjian.org.models import Unit, UnitKind

    rnd = random.Random(seed)
    on = services.today()
    names = list(Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.VILLAGE,
                                               UnitKind.BUREAU]).values_list("name", flat=True))
    cats = [c for c, kids in CAMPAIGNS[0][2]] + [k for _, kids in CAMPAIGNS[0][2] for k in kids]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("问题清单")
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    header = ["序号", "问题描述", "责任单位", "问题类别", "整改时限", "地址", "问题来源"]
    ws.merge_range(0, 0, 0, len(header) - 1, "污染围城集中整治问题清单（第二批）", title)
    ws.write_row(1, 0, header)
    sources = ["区级督查", "市级交办", "12345热线", "夜查", "群众举报", ""]
    for i in range(n):
        r = i + 2
        unit = names[rnd.randrange(len(names))]
        road = ROADS[rnd.randrange(len(ROADS))]
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, f"{unit}{road}{PROBLEMS[rnd.randrange(len(PROBLEMS))]}")
        ws.write_string(r, 2, unit)
        ws.write_string(r, 3, cats[rnd.randrange(len(cats))])
        k = rnd.random()
        day = on + dt.timedelta(days=rnd.randint(1, 25))
        if k < 0.5:
            ws.write_datetime(r, 4, day, date_fmt)
        elif k < 0.8:
            ws.write_string(r, 4, f"{day.year}年{day.month}月{day.day}日")
        else:
            ws.write_string(r, 4, f"{rnd.randint(3, 10)}个工作日")
        ws.write_string(r, 5, f"{road}{rnd.randint(1, 300)}号")
        ws.write_string(r, 6, sources[rnd.randrange(len(sources))])
    wb.close()


def import_bench(n: int, home: Path, seed: int):
    import python_calamine

    from gongjian.ledger import services, spreadsheets
    from gongjian.ledger.models import Case, Status
    from gongjian.org.models import Unit

    path = home / "import.xlsx"
    t = time.perf_counter()
    import_file(path, n, seed)
    log(f"  wrote {n:,}-row import file in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
    campaign = services.campaign_create(
        actor=None, name="导入基准", serial_prefix="山阳导入", command_unit=Unit.objects.get(name="山阳区整治攻坚指挥部"),
        starts_on=services.today(), categories=[{"name": c, "children": [{"name": k} for k in kids]}
                                                for c, kids in CAMPAIGNS[0][2]])
    t = time.perf_counter()
    with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
        bare = len(wb.get_sheet_by_index(0).to_python(skip_empty_area=False))
    calamine_rate = bare / (time.perf_counter() - t)
    t = time.perf_counter()
    dry = spreadsheets.import_cases(actor=None, campaign=campaign, path=path, dry_run=True)
    dry_rate = dry.rows / (time.perf_counter() - t)
    assert dry.ok, dry.errors[:5]
    t = time.perf_counter()
    result = spreadsheets.import_cases(actor=None, campaign=campaign, path=path, dry_run=False)
    rate = result.created / (time.perf_counter() - t)
    assert result.ok and result.created == n
    assert Case.objects.filter(campaign=campaign, status=Status.ASSIGNED).count() == n
    return rate, dry_rate, calamine_rate


# ----------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, help="cases to bulk-load (1000000 on PostgreSQL, 200000 on SQLite)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per ledger query (20)")
    parser.add_argument("--lifecycle", type=int, default=200, help="cases taken round the loop (200)")
    parser.add_argument("--photo", default="4032x3024", metavar="WxH",
                        help="size of the after-photo in the loop (4032x3024, a 12-megapixel phone camera's)")
    parser.add_argument("--page-side", type=int, metavar="PIXELS",
                        help="longest side of the photo the case page uploads (GONGJIAN_PHOTO_MAX_SIDE, 2560)")
    parser.add_argument("--streams", type=int, default=2,
                        help="concurrent loops for the throughput figure (2: one per core of the 2-core machine)")
    parser.add_argument("--export", type=int, default=100_000, help="rows to export (100000)")
    parser.add_argument("--import", dest="import_rows", type=int, default=50_000, help="rows to import (50000)")
    parser.add_argument("--bulk-create", type=int, default=20_000,
                        help="of the cases, how many go through bulk_create (20000); the rest through CaseRows")
    parser.add_argument("--seed", type=int, default=20260601, help="RNG seed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section after the load ({', '.join(SECTIONS)}); may be repeated")
    args = parser.parse_args(argv)
    run = set(args.only or SECTIONS)
    try:
        photo_size = tuple(int(v) for v in args.photo.lower().split("x"))
        if len(photo_size) != 2 or min(photo_size) < 1:
            raise ValueError
    except ValueError:
        parser.error(f"--photo: expected WIDTHxHEIGHT, e.g. 4032x3024, not {args.photo!r}")

    scratch = Scratch(args.keep)
    try:
        n = args.cases or (1_000_000 if scratch.postgres else 200_000)
        import django

        django.setup()
        from django.db import connection

        log(f"database: {scratch.where}")
        with connection.cursor() as cur:
            cur.execute("SELECT version()" if scratch.postgres else "SELECT sqlite_version()")
            log(f"  {connection.vendor} {cur.fetchone()[0].split(' on ')[0]}; python {sys.version.split()[0]}")
        log("migrating and loading the demo district ...")
        campaigns = setup_district()
        log(f"bulk-loading {n:,} cases ...")
        bulk_rate, copy_rate = bulk_load(n, campaigns, args.seed, args.bulk_create)
        if "queries" in run:
            log(f"ledger queries as the ledger page runs them ({args.runs} runs each) ...")
            queries = query_suite(campaigns, args.runs)
        if "lifecycle" in run:
            from django.conf import settings
            from PIL import Image

            side = args.page_side if args.page_side is not None else settings.GONGJIAN_PHOTO_MAX_SIDE
            point = loop_point()
            photo = phone_jpeg(*photo_size, point.x, point.y)
            small = page_photo(photo, side)
            with Image.open(io.BytesIO(small)) as im:
                small_size = f"{im.width}x{im.height}"
            log(f"closed loop for {args.lifecycle} cases, the API's way ...")
            loop_rate, loop_cpu_ms, loop_statements, _ = lifecycle(campaigns, args.lifecycle, photo)
            log(f"closed loop for {args.lifecycle} cases, the case page's way ...")
            page_rate, page_cpu_ms, page_statements, _ = lifecycle(campaigns, args.lifecycle, small, page=True)
            log(f"closed loop for {args.lifecycle} cases in {args.streams} concurrent streams, the case page's way ...")
            many_rate, many_cpu_ms = concurrent_lifecycle(campaigns, args.lifecycle, small, args.streams, page=True)
            log(f"closed loop for {args.lifecycle} cases in {args.streams} concurrent streams, the API's way ...")
            api_many_rate, api_many_cpu_ms = concurrent_lifecycle(campaigns, args.lifecycle, photo, args.streams,
                                                                  page=False)
        if "export" in run:
            log(f"exporting {args.export:,} rows ...")
            exported, export_rate, read_rate, size, export_filter = export_bench(campaigns, args.export, scratch.home)
        if "import" in run:
            log(f"importing {args.import_rows:,} rows ...")
            import_rate, dry_rate, calamine_rate = import_bench(args.import_rows, scratch.home, args.seed)

        verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
        print()
        print(f"database:            {connection.vendor}, {n:,} cases")
        writer = "COPY" if scratch.postgres else "executemany"
        print(f"bulk load:           Case.objects.bulk_create {bulk_rate:,.0f} rows/s (first {min(n, args.bulk_create):,}"
              f" rows); spreadsheets.CaseRows ({writer}) {copy_rate:,.0f} rows/s (the rest), {BATCH:,} per batch")
        if "queries" in run:
            print()
            print(f"{'ledger query (page of 50 + total + counts by status)':<52} {'rows':>10} {'p50 ms':>8} "
                  f"{'p95 ms':>8} {'raw p50':>8} {'raw p95':>8} {'ratio':>6}  target p95 <= {TARGET_QUERY_P95_MS:.0f} ms")
            for name, total, p50, p95, r50, r95 in queries:
                print(f"  {name:<50} {total:>10} {p50:>8.1f} {p95:>8.1f} {r50:>8.1f} {r95:>8.1f} {p50 / r50:>5.2f}x  "
                      f"{verdict(p95 <= TARGET_QUERY_P95_MS)}")
        print()
        if "lifecycle" in run:
            print(f"closed loop:         {many_rate:,.1f} cases/s in {args.streams} concurrent streams, the case page's "
                  f"way (report → register → assign → accept → submit with the after-photo → close, each stream its "
                  f"own process and connection, as the server's workers serve several people; the photo as the page "
                  f"uploads it: {small_size} JPEG, {len(small) / 1e6:.1f} MB); client CPU {many_cpu_ms:.2f} ms per "
                  f"case  target >= {TARGET_LIFECYCLE:.0f}: {verdict(many_rate >= TARGET_LIFECYCLE)}")
            print(f"  one stream:        {page_rate:,.1f} cases/s, one case after another in one process (the time a "
                  f"single person's loop takes; no target); client CPU {page_cpu_ms:.2f} ms per case, "
                  f"{page_statements:.0f} SQL statements per case (BEGIN and COMMIT included)")
            print(f"  the API's way:     {api_many_rate:,.1f} cases/s in {args.streams} streams, {loop_rate:,.1f} in one "
                  f"(the camera's full-size photo, {args.photo} JPEG, {len(photo) / 1e6:.1f} MB, added as evidence, "
                  f"then submit: two transactions); client CPU {loop_cpu_ms:.2f} ms per case in one stream, "
                  f"{api_many_cpu_ms:.2f} in {args.streams}, {loop_statements:.0f} SQL statements per case")
            print(f"                     load average {os.getloadavg()[0]:.2f}")
        if "export" in run:
            print(f"xlsx export:         {export_rate:,.0f} rows/s ({exported:,} rows, filter: {export_filter}, by serial, "
                  f"{size / 1e6:.1f} MB); the database "
                  f"read alone {read_rate:,.0f} rows/s, ratio {export_rate / read_rate:.2f}  "
                  f"target >= {TARGET_EXPORT:,.0f}: {verdict(export_rate >= TARGET_EXPORT)}")
        if "import" in run:
            print(f"xlsx import:         {import_rate:,.0f} rows/s ({args.import_rows:,} rows, all or nothing); dry run "
                  f"{dry_rate:,.0f} rows/s; python-calamine bare read {calamine_rate:,.0f} rows/s, ratio "
                  f"{import_rate / calamine_rate:.3f}  target >= {TARGET_IMPORT:,.0f}: "
                  f"{verdict(import_rate >= TARGET_IMPORT)}")
        if not scratch.postgres or n != 1_000_000:
            print("(the targets are for 1,000,000 cases on PostgreSQL: at this size or database they are indicative)")
    finally:
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
