"""Outreach in the real daily job: files land in the outbox, every touch is handed off once,
a re-run sends nothing again, and vendor metadata carries opaque ids only."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import AS_OF, query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]


@pytest.fixture(scope="module")
def day_dir(first_run):
    return Path(os.environ["COLLECTIONS_OUTBOX_DIR"]) / AS_OF.isoformat()


def _ledger():
    return dict(query("SELECT touch_id, status FROM ops.send_ledger"))


def test_handed_off_touches_match_the_files(day_dir):
    sent = {t for t, s in _ledger().items() if s == "sent"}
    in_files: set[str] = set()
    for f in (day_dir / "sms").glob("*.csv"):
        in_files |= {r["touch_id"] for r in csv.DictReader(f.open())}
    for f in [*(day_dir / "calls").glob("*.csv"), *(day_dir / "charges").glob("*.csv")]:
        in_files |= {r["touch_id"] for r in csv.DictReader(f.open())}
    for manifest in (day_dir / "statements").glob("**/manifest*.csv"):  # statements and letters
        in_files |= {r["touch_id"] for r in csv.DictReader(manifest.open())}
    for f in (day_dir / "email").glob("request_*.json"):
        body = json.loads(f.read_text())
        in_files |= {p["custom_args"]["touch_id"] for p in body["personalizations"]}
    assert sent and sent == in_files
    # every handed-off touch was due (a re-run shows it as sent, from the ledger)
    planned = {r[0] for r in query("SELECT touch_id FROM marts.fct_touches WHERE status IN ('due', 'sent')")}
    assert sent <= planned
    held = {r[0] for r in query("SELECT touch_id FROM marts.rpt_hold_report")}
    assert not (sent & held)


def test_vendor_metadata_and_file_names_carry_no_personal_data(day_dir):
    names = {r[0] for r in query("SELECT first_name FROM raw.guarantors")} | {
        r[0] for r in query("SELECT last_name FROM raw.guarantors")
    }
    for f in (day_dir / "email").glob("request_*.json"):
        body = json.loads(f.read_text())
        for p in body["personalizations"]:
            assert set(p["custom_args"]) == {"touch_id", "guarantor_id"}
        assert not any(n and n in body["subject"] for n in names)
    for f in day_dir.rglob("*"):
        assert not any(n and len(n) > 3 and n in f.name for n in names)
        if f.is_file():
            assert oct(f.stat().st_mode & 0o777) == "0o600", f


def test_rerun_sends_nothing_twice(day_dir, rerun):
    before, after = rerun["before"], rerun["after"]
    assert rerun["result"].success
    assert after["send_ledger"] == before["send_ledger"]
    assert after["outbox_files"] == before["outbox_files"]


def test_serving_files_published_without_identifiers(day_dir):
    import duckdb

    serving = Path(os.environ["COLLECTIONS_SERVING_DIR"])
    con = duckdb.connect(str(serving / "analytics.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    aging = con.execute("SELECT sum(dollars) FROM rpt_aging").fetchone()[0]
    con.close()
    assert tables == {
        "rpt_aging",
        "rpt_weekly_scorecard",
        "rpt_huddle",
        "rpt_hold_counts",
        "rpt_dispute_root_causes",
        "rpt_move_scorecard",
        "rpt_cohort_yield",
    }
    assert not cols & {"guarantor_id", "first_name", "last_name", "phone", "email", "address_line1"}
    assert aging == query("SELECT sum(dollars) FROM marts.rpt_aging")[0][0]
    assert (serving / "analytics" / "rpt_weekly_scorecard.parquet").exists()
    staff = duckdb.connect(str(serving / "staff.duckdb"), read_only=True)
    assert {r[0] for r in staff.execute("SELECT table_name FROM information_schema.tables").fetchall()} == {
        "fct_queue_items",
        "rpt_hold_report",
        "dim_guarantor_contacts",
    }
    staff.close()
