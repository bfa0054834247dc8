"""Family 8 of the second fault catalogue (issue 16): runs out of order.

A daily run for a date earlier than the last completed one would hand off touches dated in the
past (a call planned after a later e-mail) and roll the serving files back. It is refused --
by the command line before anything starts, and by the ingest step for a run started any other
way (the UI, a schedule) -- unless it is a backfill, which sends nothing; and the serving files
never move backwards, whatever the run (docs/operations.md, "Runs out of order").
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.raw.schema import ensure_schema
from orchestration.run_history import BACKFILL_TAG, last_completed, out_of_order, record_completed
from tests.raw.landing_helpers import write
from tests.reliability.test_bad_input import E_HEADER, G_HEADER, e_row, g_row, lines

LAST = date(2026, 11, 20)
EARLIER = date(2026, 11, 18)
REFUSAL = (
    "the last completed daily run is for 2026-11-20; a daily run for 2026-11-18 (an earlier date) would hand "
    "off touches dated in the past and move the serving files back. To rebuild a past date run it as a "
    "backfill: `make run AS_OF=2026-11-18 BACKFILL=1` (python -m orchestration.run --as-of 2026-11-18 "
    "--backfill) records what would have been due, sends nothing and leaves the serving files at "
    '2026-11-20; for a range use a backfill from the UI (docs/operations.md, "Backfills"). Re-running '
    "2026-11-20 itself is always allowed."
)


def _history(warehouse: Path, *runs: tuple[date, bool]) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        ensure_schema(con)
        for day, backfill in runs:
            record_completed(con, day, f"run-{day}", backfill)
    finally:
        con.close()


def test_the_rule():
    assert out_of_order(EARLIER, None) is None  # nothing completed yet
    assert out_of_order(LAST, LAST) is None  # a re-run of the same date
    assert out_of_order(date(2026, 11, 21), LAST) is None  # the next day
    assert out_of_order(EARLIER, LAST) == REFUSAL


def test_only_daily_runs_set_the_order(tmp_path):
    _history(tmp_path / "w.duckdb", (LAST, False), (date(2026, 12, 1), True))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert last_completed(con) == LAST
    finally:
        con.close()


def test_the_command_line_refuses_an_earlier_date_before_anything_runs(collections_env, dbt_manifest, capsys):
    from orchestration.run import main

    _history(collections_env["warehouse"], (LAST, False))
    write(collections_env["landing"], "pm/guarantors_a.csv", lines(G_HEADER, g_row("G1")))
    assert main(["--as-of", EARLIER.isoformat(), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"REFUSED: {REFUSAL}" in err
    con = duckdb.connect(str(collections_env["warehouse"]), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.file_ledger").fetchone()[0] == 0  # nothing loaded
    finally:
        con.close()
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs() == []  # no run started


def _ingest(partition: date, tags: dict | None = None):
    from orchestration.core.resources import CollectionsResource
    from orchestration.quality.ingest_assets import ingest_landing

    return dg.materialize(
        [ingest_landing],
        partition_key=partition.isoformat(),
        raise_on_error=False,
        resources={"collections": CollectionsResource()},
        tags=tags or {},
    )


@pytest.mark.slow
def test_a_run_started_any_other_way_is_refused_by_the_ingest_step(collections_env, dbt_manifest):
    """The UI or a schedule does not go through the command line: the ingest step refuses the
    earlier date itself, the run fails with the reason in its summary, and nothing is loaded;
    the same date as a backfill, and any later date, run."""
    from orchestration.run import summary_lines

    _history(collections_env["warehouse"], (LAST, False))
    arrival = datetime(2026, 11, 19, 12, 0, tzinfo=UTC).timestamp()  # after the 18th
    for rel, text in (
        ("pm/guarantors_a.csv", lines(G_HEADER, g_row("G1"))),
        ("pm/encounters_a.csv", lines(E_HEADER, e_row("E1"))),
    ):
        os.utime(write(collections_env["landing"], rel, text), (arrival, arrival))
    refused = _ingest(EARLIER)
    assert not refused.success
    summary = "\n".join(summary_lines(refused))
    assert "step failed: ingest_landing" in summary and f"refused: {REFUSAL}" in summary
    backfill = _ingest(EARLIER, {BACKFILL_TAG: "cli"})
    assert backfill.success
    later = _ingest(date(2026, 11, 21))
    assert later.success
    con = duckdb.connect(str(collections_env["warehouse"]), read_only=True)
    try:
        # the refused run loaded nothing; the backfill of the 18th only the files that had
        # arrived by its end (none: they arrived on the 19th); the run of the 21st loaded them
        assert con.execute("SELECT load_run_id, status, count(*) FROM raw.file_ledger GROUP BY ALL").fetchall() == [
            (later.run_id, "loaded", 2)
        ]
    finally:
        con.close()


def _marts(warehouse: Path, as_of: date) -> None:
    """Stand-ins for the marts the serving files copy (each carries its as-of date)."""
    from orchestration.serving.assets import SOURCES

    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for t in SOURCES:
            con.execute(f"CREATE OR REPLACE TABLE marts.{t} AS SELECT DATE '{as_of}' AS as_of_date, 1 AS n")
    finally:
        con.close()


def _serve(day: date, tags: dict | None = None, huddle: bool = False):
    from orchestration.core.resources import CollectionsResource
    from orchestration.serving.assets import huddle_report, serving_files

    assets = [serving_files, huddle_report] if huddle else [serving_files]
    return dg.materialize(
        assets, partition_key=day.isoformat(), resources={"collections": CollectionsResource()}, tags=tags or {}
    )


@pytest.mark.slow
def test_the_serving_files_never_move_backwards(collections_env, dbt_manifest):
    serving, warehouse = collections_env["serving"], collections_env["warehouse"]
    _marts(warehouse, LAST)
    _serve(LAST)
    marker = json.loads((serving / "published.json").read_text())
    assert marker["as_of_date"] == "2026-11-20"
    before = (serving / "analytics.duckdb").read_bytes()

    _marts(warehouse, EARLIER)  # a backfill of an earlier date
    result = _serve(EARLIER, {BACKFILL_TAG: "cli"}, huddle=True)
    meta = {
        e.event_specific_data.materialization.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert meta["serving/published"]["skipped"].value == "serving stays as of 2026-11-20 (newer than 2026-11-18)"
    assert meta["serving/huddle_report"]["week_ending"].value == "none"
    assert (serving / "analytics.duckdb").read_bytes() == before
    assert json.loads((serving / "published.json").read_text()) == marker
    con = duckdb.connect(str(serving / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT as_of_date FROM rpt_aging").fetchall() == [(LAST,)]
    finally:
        con.close()

    _marts(warehouse, date(2026, 11, 21))  # the next day moves it forward
    _serve(date(2026, 11, 21))
    assert json.loads((serving / "published.json").read_text())["as_of_date"] == "2026-11-21"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT as_of_date, mode FROM ops.run_history ORDER BY completed_at").fetchall() == [
            (LAST, "daily"),
            (EARLIER, "backfill"),
            (date(2026, 11, 21), "daily"),
        ]
        assert last_completed(con) == date(2026, 11, 21)
    finally:
        con.close()
