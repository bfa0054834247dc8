"""Concurrency (issue 8 item 4).

* A second daily run started while one runs refuses clearly (exit 75, who holds the warehouse),
  or with --wait waits and takes over when the first ends — even when the first is killed
  with SIGKILL (the kernel drops the flock; nothing stale to clean by hand).
* BI readers on the serving files never block the job: the publish step swaps files by atomic
  rename. tests/serving/test_publish.py::test_reader_in_another_process_keeps_a_consistent_snapshot
  covers one reader holding the old file; here a reader keeps querying (new connections and
  one long-held connection, DuckDB and Parquet) through several publishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from orchestration.run import WarehouseBusy, warehouse_lock
from orchestration.serving.publish import ServingFile, publish
from tests.reliability.conftest import fault_wait_for


def _lock_holder(site) -> str:
    p = Path(f"{site.warehouse}.lock")
    return p.read_text() if p.exists() else ""


def test_second_run_refuses_or_waits_and_survives_a_killed_first(fault_site_factory):
    site = fault_site_factory("site")
    first = site.start(log_name="first")
    try:
        assert fault_wait_for(lambda: f"pid {first.pid}," in _lock_holder(site), timeout=300), (
            site.root / "first.log"
        ).read_text()

        # refuses, clearly and at once
        t0 = time.monotonic()
        rc, log = site.run(log_name="second", timeout=300)
        assert rc == 75, log
        assert f"BUSY: another daily job is running on {site.warehouse} (pid {first.pid}, started " in log
        assert "--wait" in log
        assert time.monotonic() - t0 < 120

        # --wait: waits while the first holds the lock ...
        waiter = site.start("--wait", log_name="waiter")
        try:
            assert fault_wait_for(
                lambda: "waiting: another daily job is running" in (site.root / "waiter.log").read_text(), timeout=300
            )
            assert waiter.poll() is None
            # ... and takes over when the first dies by SIGKILL (no stale lock)
            first.send_signal(signal.SIGKILL)
            assert first.wait(timeout=60) == -signal.SIGKILL
            assert fault_wait_for(lambda: f"pid {waiter.pid}," in _lock_holder(site), timeout=120), (
                site.root / "waiter.log"
            ).read_text()
        finally:
            waiter.send_signal(signal.SIGKILL)
            waiter.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=60)


def test_lock_in_process_refuses_then_times_out(tmp_path):
    wh = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from orchestration.run import warehouse_lock
        with warehouse_lock(Path({str(wh)!r}), wait=False):
            print("held", flush=True)
            sys.stdin.readline()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        try:
            with warehouse_lock(wh, wait=False):
                raise AssertionError("should refuse")
        except WarehouseBusy as busy:
            assert busy.code == 75 and f"(pid {holder.pid}, started" in str(busy)
        t0 = time.monotonic()
        try:
            with warehouse_lock(wh, wait=True, poll=0.05, timeout=0.5):
                raise AssertionError("should time out")
        except WarehouseBusy as busy:
            assert "gave up after waiting" in str(busy)
        assert 0.4 < time.monotonic() - t0 < 5
    finally:
        holder.kill()
        holder.wait(timeout=20)
    with warehouse_lock(wh, wait=False):  # the dead holder left nothing stale
        assert f"pid {os.getpid()}," in Path(f"{wh}.lock").read_text()
    assert Path(f"{wh}.lock").read_text() == ""


def _warehouse(path, dollars):
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        "CREATE OR REPLACE TABLE marts.rpt_aging AS SELECT b AS aging_bucket, ? AS dollars "
        "FROM (VALUES ('0-30'), ('31-60'), ('61-90'), ('91-120'), ('121+')) t(b)",
        [dollars],
    )
    con.close()


def test_bi_readers_never_block_publishing(tmp_path):
    wh, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    files = (ServingFile("analytics.duckdb", ("rpt_aging",), parquet=True),)
    _warehouse(wh, 1)
    publish(wh, serving, files)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        db = {str(serving / "analytics.duckdb")!r}
        pq = {str(serving / "analytics" / "rpt_aging.parquet")!r}
        held = duckdb.connect(db, read_only=True)        # a dashboard that never disconnects
        seen, errors = set(), 0
        end = time.time() + float(sys.argv[1])
        while time.time() < end:
            try:
                con = duckdb.connect(db, read_only=True)  # a BI refresh
                seen.add(con.execute("SELECT count(*), sum(dollars) FROM rpt_aging").fetchone())
                con.close()
                seen.add(duckdb.sql(f"SELECT count(*), sum(dollars) FROM '{{pq}}'").fetchall()[0])
                seen.add(held.execute("SELECT count(*), sum(dollars) FROM rpt_aging").fetchone())
            except Exception as exc:
                errors += 1
                print("error", type(exc).__name__, exc, file=sys.stderr)
        print(sorted(seen), errors, flush=True)
    """),
            "6",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    took = []
    for dollars in range(2, 7):
        _warehouse(wh, dollars)
        t0 = time.perf_counter()
        publish(wh, serving, files)  # never waits on the readers
        took.append(time.perf_counter() - t0)
    out, _ = reader.communicate(timeout=60)
    seen_text, errors = out.strip().rsplit(" ", 1)
    seen = eval(seen_text)  # list of (count, sum) tuples printed above
    assert int(errors) == 0
    assert all(n == 5 and s % 5 == 0 and 5 <= s <= 30 for n, s in seen), seen  # whole snapshots only
    assert (5, 5) in seen and len(seen) >= 2  # the old and newer snapshots were read
    assert max(took) < 10, took
