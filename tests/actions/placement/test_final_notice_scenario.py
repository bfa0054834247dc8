"""Nonprofit mode end to end on a hand-built clinic (docs/rules.md §8, 26 CFR 1.501(r)-6):
who is due a final notice (int_final_notice_candidates through fct_touches), the letter going
out through the mail channel (PDF, print manifest, send ledger step final_notice), and
placement only ≥ 30 days after it. The default mode sends no letter.

As-of date D: Wednesday 2026-11-18 (as tests/warehouse/test_placement_queues_scorecard.py).
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.actions.placement import run as placement_run
from orchestration.policy.policy import load_policy
from orchestration.raw.schema import write_run_context
from tests.scenarios.people import HANDOFF
from tests.warehouse.harness import Warehouse, copy_warehouse, dbt_build, rebuild_selection
from tests.warehouse.test_placement_queues_scorecard import (
    FRESH_TS,
    PlacementLanding,
    ago,
    contactable,
    placeable,
)

pytestmark = pytest.mark.slow(runs=3)

D = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
ENV = {"COLLECTIONS_PAYLINK_SECRET": "ab" * 32}
# what the module builds (tests/README.md "Making a test fast"): the day's touches and audience
# and what the mail hand-off reads (HANDOFF), and what the placement step reads (the extract's
# query, orchestration/actions/placement/extract.py); the rebuilds select the same
BUILT = HANDOFF + (
    " +fct_placement_eligibility +int_placement_encounters +int_protective_flags +int_plan_status"
    " +stg_guarantors +stg_policy"
)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, dbt_manifest):
    root = tmp_path_factory.mktemp("final_notice")
    lz = PlacementLanding(root)
    lz.policy("clinic", nonprofit_501r=True)
    contactable(lz, "FEED")  # a fresh transactions export
    lz.txn("T-FEED", "FEED", None, posted_at="2026-06-01", amount="5.00", updated_at=FRESH_TS)
    placeable(lz, "FN_DUE")  # 190 days since statement 1
    placeable(lz, "FN_EARLY", age=95)  # 85 days: not yet (needs 120 − 30)
    placeable(lz, "FN_WINDOW", age=100)  # 90 days: the notice period opens
    placeable(lz, "FN_DISPUTE")
    lz.dispute("D-FN", "FN_DISPUTE", opened_at=ago(10))
    placeable(lz, "FN_NOADDR", address_line1="")  # cannot be mailed: skipped, reason
    placeable(lz, "FN_SENT", steps={"final_notice": (170, "mail", "sent", None)})  # 30 days ago
    wh = lz.build(as_of=D, select=BUILT)
    return lz, wh


def _touches(wh: Warehouse, step: str = "final_notice") -> dict[str, dict]:
    return {
        r["guarantor_id"]: r
        for r in wh.dicts("SELECT * FROM marts.fct_touches WHERE step = ? AND is_planned_today", [step])
    }


def _eligibility(wh: Warehouse) -> dict[str, dict]:
    return {r["guarantor_id"]: r for r in wh.dicts("SELECT * FROM marts.fct_placement_eligibility")}


def _rebuild(path: Path, as_of: date) -> Warehouse:
    con = duckdb.connect(str(path))
    try:
        write_run_context(con, as_of, f"scenario-{as_of}")
    finally:
        con.close()
    dbt_build(path, select=BUILT, indirect_selection="cautious")
    return Warehouse(path)


def test_who_is_due_a_final_notice(scenario):
    _, wh = scenario
    touches = _touches(wh)
    assert {g: (t["status"], t["hold_reason"], t["channel"]) for g, t in touches.items()} == {
        "FN_DUE": ("due", None, "mail"),
        "FN_WINDOW": ("due", None, "mail"),
        "FN_NOADDR": ("skipped", "no_address", "mail"),
    }
    audience = wh.dicts(
        "SELECT guarantor_id, balance FROM marts.fct_touch_audience WHERE step = 'final_notice' ORDER BY guarantor_id"
    )
    assert [(r["guarantor_id"], str(r["balance"])) for r in audience] == [("FN_DUE", "600.00"), ("FN_WINDOW", "600.00")]
    rules = {g: r["failed_rules"] for g, r in _eligibility(wh).items() if g.startswith("FN_")}
    assert rules == {
        "FN_DUE": "final_notice",
        "FN_EARLY": "days_since_first_statement,final_notice,nonprofit_days_since_first_statement",
        "FN_WINDOW": "final_notice,nonprofit_days_since_first_statement",  # silent_aged: 90 suffice
        "FN_DISPUTE": "final_notice,open_dispute",
        "FN_NOADDR": "final_notice",
        "FN_SENT": "",  # notice 30 days ago: placeable today
    }


def test_default_mode_sends_no_final_notice(scenario, tmp_path):
    _, wh = scenario
    copy = copy_warehouse(wh.path, tmp_path / "default")
    con = duckdb.connect(str(copy))
    try:
        con.execute("UPDATE raw.policy SET clinic_nonprofit_501r = false")
    finally:
        con.close()
    dbt_build(
        copy,
        select=rebuild_selection("int_placement_checks int_final_notice_candidates", BUILT),
        indirect_selection="cautious",
    )
    w = Warehouse(copy)
    assert _touches(w) == {}
    assert w.one("SELECT count(*) FROM intermediate.int_final_notice_candidates") == 0
    rules = {g: r["failed_rules"] for g, r in _eligibility(w).items() if g in ("FN_DUE", "FN_NOADDR", "FN_SENT")}
    assert rules == {"FN_DUE": "", "FN_NOADDR": "", "FN_SENT": ""}


def test_letter_goes_out_and_placement_follows_30_days_later(scenario, tmp_path):
    lz, wh = scenario
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(wh.path, path)
    outbox = tmp_path / "outbox"
    policy = load_policy(lz.policy_path())

    report = dispatch("mail", warehouse=path, outbox=outbox, policy=policy, as_of=D, now=NOW, environ=ENV)
    assert report.handed_off == 2 and report.failed == 0
    folder = outbox / D.isoformat() / "statements"
    manifest = {r["touch_id"]: r for r in csv.DictReader((folder / "manifest.csv").open())}
    ledger = {
        r["guarantor_id"]: r
        for r in Warehouse(path).dicts(
            "SELECT * FROM ops.send_ledger WHERE step = 'final_notice' AND as_of_date = ?", [D]
        )
    }
    assert {g: r["status"] for g, r in ledger.items()} == {
        "FN_DUE": "sent",
        "FN_WINDOW": "sent",
        "FN_NOADDR": "skipped",
    }
    assert ledger["FN_NOADDR"]["status_reason"] == "no_address"
    notice_id = ledger["FN_DUE"]["touch_id"]
    assert notice_id == _touches(wh)["FN_DUE"]["touch_id"]  # deterministic: the plan's id
    row = manifest[notice_id]
    assert row["amount_due"] == "600.00" and row["pages"] == "1"
    text = " ".join(PdfReader(str(folder / row["file"])).pages[0].extract_text().split())
    assert "FINAL NOTICE" in text and "$600.00" in text
    assert f"by {'Dec 18, 2026'}, we may refer your account to a collection agency" in text

    # the same day again: nothing new leaves
    again = dispatch("mail", warehouse=path, outbox=outbox, policy=policy, as_of=D, now=NOW, environ=ENV)
    assert again.handed_off == 0

    # D + 29: the notice is not old enough; D + 30: FN_DUE is placed
    w = _rebuild(path, D + timedelta(days=29))
    assert _eligibility(w)["FN_DUE"]["failed_rules"] == "final_notice"
    assert _touches(w) == {} or "FN_DUE" not in _touches(w)  # never a second notice
    out = tmp_path / "placements"
    early = placement_run.place(warehouse=path, outbox=out, as_of=D + timedelta(days=29))
    placed_early = {r["guarantor_id"] for r in Warehouse(path).dicts("SELECT guarantor_id FROM ops.placement_ledger")}
    assert "FN_DUE" not in placed_early and early.placed == len(placed_early)

    w = _rebuild(path, D + timedelta(days=30))
    assert _eligibility(w)["FN_DUE"]["failed_rules"] == ""
    placement_run.place(warehouse=path, outbox=out, as_of=D + timedelta(days=30))
    placed = {
        r["guarantor_id"]: r["placed_at"]
        for r in Warehouse(path).dicts("SELECT guarantor_id, placed_at FROM ops.placement_ledger")
    }
    assert placed["FN_DUE"] == D + timedelta(days=30)
    assert (placed["FN_DUE"] - D).days >= 30
