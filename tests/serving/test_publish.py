"""Serving files are swapped in atomically; a reader holding the old file never blocks a publish."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb

from orchestration.serving.publish import ServingFile, publish


def _warehouse(path, dollars):
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(
        "CREATE OR REPLACE TABLE marts.rpt_aging AS "
        "SELECT * FROM (VALUES ('0-30', ?), ('31-60', ?)) t(aging_bucket, dollars)",
        [dollars, dollars],
    )
    con.execute(
        "CREATE OR REPLACE TABLE marts.fct_queue_items AS SELECT 'returned_contact' AS queue, 'G1' AS guarantor_id"
    )
    con.close()


FILES = (
    ServingFile("analytics.duckdb", ("rpt_aging",), parquet=True),
    ServingFile("staff.duckdb", ("fct_queue_items",)),
)


def test_publish_copies_tables_and_parquet(tmp_path):
    wh = tmp_path / "w.duckdb"
    _warehouse(wh, 10)
    counts = publish(wh, tmp_path / "serving", FILES)
    assert counts == {"analytics.duckdb": {"rpt_aging": 2}, "staff.duckdb": {"fct_queue_items": 1}}
    con = duckdb.connect(str(tmp_path / "serving" / "analytics.duckdb"), read_only=True)
    assert con.execute("SELECT sum(dollars) FROM rpt_aging").fetchone()[0] == 20
    assert (
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'fct_queue_items'").fetchone()[0]
        == 0
    )
    con.close()
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path}/serving/analytics/rpt_aging.parquet'").fetchall() == [(2,)]
    assert not list((tmp_path / "serving").glob(".*tmp*"))


def test_reader_in_another_process_keeps_a_consistent_snapshot(tmp_path):
    wh, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    _warehouse(wh, 10)
    publish(wh, serving, FILES)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(serving / "analytics.duckdb")!r}, read_only=True)
        print(con.execute("SELECT sum(dollars) FROM rpt_aging").fetchone()[0], flush=True)
        sys.stdin.readline()                      # hold the file open until told
        print(con.execute("SELECT sum(dollars) FROM rpt_aging").fetchone()[0], flush=True)
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "20"
        _warehouse(wh, 50)
        t0 = time.perf_counter()
        publish(wh, serving, FILES)  # not blocked by the open reader
        assert time.perf_counter() - t0 < 10
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "20"  # old snapshot, whole
    finally:
        reader.wait(timeout=20)
    con = duckdb.connect(str(serving / "analytics.duckdb"), read_only=True)
    assert con.execute("SELECT sum(dollars) FROM rpt_aging").fetchone()[0] == 100
    con.close()


def test_parquet_folder_is_swapped_by_one_rename(tmp_path):
    wh, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    (serving / "analytics").mkdir(parents=True)  # a plain folder left by an older release
    (serving / "analytics" / "stale.parquet").write_text("x")
    _warehouse(wh, 10)
    publish(wh, serving, FILES)
    _warehouse(wh, 50)
    publish(wh, serving, FILES)
    link = serving / "analytics"
    assert link.is_symlink() and not link.readlink().is_absolute()  # survives moving the folder
    assert sorted(p.name for p in serving.iterdir() if p.name.startswith(".analytics")) == [link.readlink().name]
    assert sorted(p.name for p in link.iterdir()) == ["rpt_aging.parquet"]
    assert duckdb.sql(f"SELECT sum(dollars) FROM '{link}/rpt_aging.parquet'").fetchall() == [(100,)]
