"""Case 1 (issue 15): freshness measures the export's arrival against the run's start
(docs/rules.md §4 "Freshness"), not the dates of the rows inside it against midnight.

A clinic's nightly export arrives at 23:00 the evening before; the schedule's run starts at
06:00. The postings in the export are five days old (a quiet week): the data is fresh all the
same. A quiet day's empty export counts as an arrival; a re-sent copy of the same file counts
from its new arrival; with no export for 24 hours every touch is held as stale_data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest

from tests.scenarios.people import PLAN, contactable, owes, touches
from tests.warehouse.harness import Landing, Warehouse, copy_warehouse, dbt_build, rebuild_selection

pytestmark = pytest.mark.slow(runs=2)  # scheduling: tests/conftest.py

D = date(2026, 11, 20)
# the plan again from the guardrails on: their children that PLAN built
REPLAN = rebuild_selection("int_touch_guardrails", PLAN)


def clinic(lz: Landing) -> None:
    contactable(lz, "F1")
    owes(lz, "F1", D, 5)  # day-3 text due
    contactable(lz, "F2")
    owes(lz, "F2", D, 12)  # statement 1 due
    contactable(lz, "PAYER")
    lz.txn(
        "T-OLD", "PAYER", None, posted_at="2026-11-14", amount="5.00", updated_at="2026-11-14T16:00:00Z"
    )  # the newest posting: 5 days old


@pytest.fixture(scope="module")
def nightly(tmp_path_factory, dbt_manifest) -> Warehouse:
    lz = Landing(tmp_path_factory.mktemp("nightly"))
    clinic(lz)
    return lz.build(D, select=PLAN)  # every file arrives 23:00 on D−1; the run starts 06:00 on D


def test_nightly_export_the_evening_before_is_fresh(nightly):
    g = nightly.one(
        "SELECT is_data_stale, newest_transactions_arrived_at, run_started_at "
        "FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'F1'"
    )
    assert g == (False, datetime(2026, 11, 20, 5, 0), datetime(2026, 11, 20, 12, 0))  # UTC
    assert touches(nightly, "F1") == {"sms_reminder": ("due", None)}
    assert touches(nightly, "F2")["statement_1"] == ("due", None)
    assert nightly.one("SELECT count(*) FROM marts.rpt_hold_report WHERE rule = 'stale_data'") == 0


@pytest.fixture(scope="module")
def quiet(tmp_path_factory, dbt_manifest) -> tuple[Landing, Warehouse]:
    lz = Landing(tmp_path_factory.mktemp("quiet"))
    clinic(lz)
    lz.arrive("patient_transactions", lz.local(D - timedelta(days=3), 23))  # the last full export
    lz.empty_export("patient_transactions", lz.local(D - timedelta(days=1), 23))  # last night: nothing new
    return lz, lz.build(D, select=PLAN)


def test_a_quiet_days_empty_export_counts_as_an_arrival(quiet):
    _, wh = quiet
    assert wh.one("SELECT rows_loaded FROM raw.file_ledger WHERE file_name LIKE '%quiet%'") == 0
    assert wh.one("SELECT is_data_stale FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'F1'") is False
    assert touches(wh, "F1") == {"sms_reminder": ("due", None)}


def _rebuild_without_last_nights_export(wh: Warehouse, folder, *, resent_at: datetime | None = None) -> Warehouse:
    copy = copy_warehouse(wh.path, folder)
    con = duckdb.connect(str(copy))
    try:
        con.execute("DELETE FROM raw.file_ledger WHERE file_name LIKE '%quiet%'")
        if resent_at is not None:  # the same file, same name and bytes, sent again: its new mtime
            con.execute(
                "UPDATE raw.file_ledger SET mtime_ns = ? WHERE kind = 'patient_transactions'",
                [int(resent_at.timestamp()) * 10**9],
            )
    finally:
        con.close()
    dbt_build(copy, select=REPLAN)
    return Warehouse(copy)


def test_no_export_for_24_hours_holds_every_touch(quiet, tmp_path):
    _, wh = quiet
    stale = _rebuild_without_last_nights_export(wh, tmp_path / "stale")
    assert stale.one("SELECT is_data_stale FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'F1'") is True
    assert touches(stale, "F1") == {"sms_reminder": ("held", "stale_data")}
    assert touches(stale, "F2")["statement_1"] == ("held", "stale_data")
    assert stale.one("SELECT count(*) FROM marts.fct_touches WHERE status = 'due'") == 0
    assert {r[0] for r in stale.rows("SELECT rule FROM marts.rpt_hold_report")} == {"stale_data"}


def test_a_resent_copy_of_the_export_counts_from_its_new_arrival(quiet, tmp_path):
    lz, wh = quiet
    resent = _rebuild_without_last_nights_export(
        wh, tmp_path / "resent", resent_at=lz.local(D - timedelta(days=1), 23, 30)
    )
    assert resent.one(
        "SELECT newest_transactions_arrived_at FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'F1'"
    ) == datetime(2026, 11, 20, 5, 30)
    assert touches(resent, "F1") == {"sms_reminder": ("due", None)}


def test_24_hours_and_a_minute_after_the_arrival_is_stale(nightly, tmp_path):
    """The nightly export arrived 23:00 on D−1; a late run of D started at 23:01 on D is 24 h
    1 min after it: every touch waits for fresher data (the 06:00 run, 7 h after: fresh)."""
    copy = copy_warehouse(nightly.path, tmp_path / "late")
    con = duckdb.connect(str(copy))
    try:
        con.execute("UPDATE raw.run_context SET run_started_at = TIMESTAMP '2026-11-21 05:01:00'")  # 23:01 CT
    finally:
        con.close()
    dbt_build(copy, select=REPLAN)
    late = Warehouse(copy)
    assert late.one("SELECT is_data_stale FROM intermediate.int_touch_guardrails WHERE guarantor_id = 'F1'") is True
    assert touches(late, "F2")["statement_1"] == ("held", "stale_data")
