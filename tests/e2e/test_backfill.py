"""A 7-day backfill rebuilds the history the way the daily runs built it.

Daily: the clinic's files arrive day by day (the history export first, then each dated file on
its date: remittances, SendGrid events, the day's PM/ops deltas) and the daily job runs once a
day. Backfill: every file is already in the landing folder and the seven dates run in order,
one run per date tagged as a backfill, as the Dagster backfill daemon launches them
(`BackfillPolicy.multi_run(1)`, `dagster/backfill` tag). After each date every mart must hold
the same rows, apart from the columns that record when or in which run something happened.

Backfill runs record what would have been due without sending (docs/operations.md), so the
touches they record are `skipped` (reason `backfill: recorded, not sent`) where the daily runs
sent them. With COLLECTIONS_BACKFILL_SEND=1 a backfill sends like the daily runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import QUIET

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LAST = date(2026, 11, 20)
DAYS = [LAST - timedelta(days=i) for i in range(6, -1, -1)]
# columns that say when, or in which run, something happened (wall clock, run ids)
RUN_COLUMNS = re.compile(r".*(_run_id|loaded_at|_loaded_at|^sent_at|created_at_utc)$")
STAMP = re.compile(r"_(\d{8})(?:_\d+)?\.[A-Za-z0-9]+$")


def _file_date(path: Path) -> date | None:
    m = STAMP.search(path.name)
    return date(int(m[1][:4]), int(m[1][4:6]), int(m[1][6:])) if m else None


def _stage(source: Path, landing: Path, up_to: date | None) -> None:
    """Copy the files of `source` dated up to `up_to` (undated: the history) into `landing`."""
    for f in sorted(source.rglob("*")):
        if f.is_file() and (up_to is None or (_file_date(f) or date.min) <= up_to):
            target = landing / f.relative_to(source)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = 'marts' ORDER BY 1").fetchall():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
                "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall() if not RUN_COLUMNS.match(c)]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM marts.{table}").fetchall()
            out[table] = sorted(rows, key=repr)
    finally:
        con.close()
    return out


# A BI tool on the serving file while the runs go on: one connection held open all along (its
# snapshot must not change), and a fresh read-only connection (and the Parquet copies) opened
# again and again (every table whole: all aging buckets, every KPI of the huddle).
READER = textwrap.dedent("""
    import os, sys, time, duckdb
    serving, stop = sys.argv[1], sys.argv[2]
    held = duckdb.connect(os.path.join(serving, "analytics.duckdb"), read_only=True)
    snapshot = held.execute("SELECT count(*), sum(dollars) FROM rpt_aging").fetchall()
    opens = 0
    while not os.path.exists(stop):
        assert held.execute("SELECT count(*), sum(dollars) FROM rpt_aging").fetchall() == snapshot
        con = duckdb.connect(os.path.join(serving, "analytics.duckdb"), read_only=True)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("rpt_aging", "rpt_huddle", "rpt_weekly_scorecard", "rpt_hold_counts")}
        con.close()
        assert counts["rpt_aging"] == 5 and counts["rpt_huddle"] == 12 and counts["rpt_weekly_scorecard"] > 0, counts
        parquet = os.path.join(serving, "analytics", "rpt_aging.parquet")
        assert duckdb.sql(f"SELECT count(*) FROM '{parquet}'").fetchone()[0] == 5
        opens += 1
        time.sleep(0.05)
    print(opens)
""")


def _run_days(root: Path, source: Path, *, backfill: bool, monkeypatch) -> list[dict]:
    import dagster as dg
    from orchestration.definitions import defs

    for key, value in (("COLLECTIONS_LANDING_DIR", root / "landing"), ("COLLECTIONS_WAREHOUSE_PATH", root / "wh.duckdb"),
                       ("COLLECTIONS_OUTBOX_DIR", root / "outbox"), ("COLLECTIONS_SERVING_DIR", root / "serving")):
        monkeypatch.setenv(key, str(value))
    if backfill:
        _stage(source, root / "landing", None)
    job = defs.resolve_job_def("daily_job")
    snapshots, reader = [], None
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            for day in DAYS:
                if not backfill:
                    _stage(source, root / "landing", day)
                tags = {"dagster/backfill": "test7days"} if backfill else {}
                result = job.execute_in_process(partition_key=day.isoformat(), instance=instance, tags=tags,
                                                raise_on_error=False, run_config=QUIET)
                assert result.success, (day, [e.message for e in result.all_events if e.is_failure])
                snapshots.append(_marts(root / "wh.duckdb"))
                if backfill and reader is None:      # from the second date on, a reader holds the file
                    reader = subprocess.Popen([sys.executable, "-c", READER, str(root / "serving"),
                                               str(root / "stop")], stdout=subprocess.PIPE, text=True)
    finally:
        if reader is not None:
            (root / "stop").touch()
            out, _ = reader.communicate(timeout=60)
    if reader is not None:
        assert reader.returncode == 0 and int(out) > 0, out  # the reader never saw a partial table
    return snapshots


@pytest.fixture(scope="module")
def source(tmp_path_factory, dbt_manifest) -> Path:
    from orchestration.sample.generator import generate

    root = tmp_path_factory.mktemp("clinic7")
    generate(root / "all", guarantors=100, seed=5, as_of=LAST)
    return root / "all"


def test_seven_day_backfill_gives_the_daily_marts(source, tmp_path, monkeypatch):
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path / "var"))
    t0 = time.perf_counter()
    daily = _run_days(tmp_path / "daily", source, backfill=False, monkeypatch=monkeypatch)
    backfill = _run_days(tmp_path / "backfill", source, backfill=True, monkeypatch=monkeypatch)
    print(f"\n14 runs (7 daily + 7 backfill) in {time.perf_counter() - t0:.0f} s")
    for day, d, b in zip(DAYS, daily, backfill):
        assert d.keys() == b.keys()
        for table in d:
            assert d[table] == b[table], f"{day} marts.{table} differs"
