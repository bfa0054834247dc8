"""Gate before sending (issue 4 item 9): the blocking touch_audience GE suite on each batch.

A batch breaking one rule — a recipient without consent, one with a later opt-out, a blocked
channel, a duplicate touch id, a send window outside 08:00-21:00 local, an amount that is not
the warehouse balance — fails the gate, and then nothing is sent: no ledger row, no outbox
file, no request to SendGrid. A valid batch (the control) passes and is sent, so the test
cannot pass vacuously.

The batch is written by a stand-in for the dbt model (same asset key), so the real gate
(orchestration/actions/assets.py touch_audience_gate) and the real outreach assets run on it
in one Dagster materialization, as in the daily job. The SQL that computes the gate columns is
covered by the e2e runs (every audience row of the sample clinic passes).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.actions.assets import AUDIENCE, outreach_assets, touch_audience_gate
from orchestration.actions.outreach import ledger
from orchestration.core.partitions import daily_partitions
from orchestration.core.resources import CollectionsResource
from tests.actions.conftest import API_KEY
from tests.e2e.conftest import scheduled_run_tags

AS_OF = date(2026, 11, 20)


pytestmark = pytest.mark.filterwarnings("ignore:.*backfill_policy.*")


def audience_row(i: int, channel: str, **over) -> dict:
    consent = datetime(2026, 1, 5, 10, 0) if channel in ("sms", "email") else None
    row = dict(
        touch_id=f"T{i:04d}",
        guarantor_id=f"G{i:04d}",
        household_id=f"H{i:04d}",
        episode_start=date(2026, 10, 1),
        step={"sms": "text_reminder", "email": "email_context", "mail": "statement_1", "phone": "live_call"}[channel],
        channel=channel,
        variant=None,
        first_name="Ada",
        last_name=f"Test{i}",
        address_line1=f"{i} Main St",
        address_line2=None,
        city="Springfield",
        state="IL",
        postal_code="62701",
        phone="+12175550142",
        email=f"patient{i}@example.com",
        timezone="America/Chicago",
        contact_window_start="08:00",
        contact_window_end="21:00",
        balance=Decimal("120.50") + i,
        visit_date=date(2026, 9, 28),
        charge=Decimal("300.00"),
        insurance_paid=Decimal("150.00"),
        patient_portion=Decimal("150.00"),
        open_encounters=1,
        segment="standard",
        tier="small",
        payment_due_date=date(2026, 12, 10),
        as_of_date=AS_OF,
        policy_version="test",
        channel_block_reason=None,
        guarantor_hold_reasons=None,
        requires_consent=channel in ("sms", "email"),
        consent_at=consent,
        opt_out_at=None,
        send_window_start_minute=480,
        send_window_end_minute=1260,
        amount_matches_balance=True,
    )
    row.update(over)
    return row


def good_batch() -> list[dict]:
    return [audience_row(1, "sms"), audience_row(2, "email"), audience_row(3, "mail"), audience_row(4, "phone")]


def _break(rule: str) -> list[dict]:
    rows = good_batch()
    if rule == "no_consent":
        rows[0]["consent_at"] = None
    elif rule == "opted_out":
        rows[1]["opt_out_at"] = datetime(2026, 6, 1)  # after the consent
    elif rule == "channel_blocked":
        rows[1]["channel_block_reason"] = "email_unsubscribed"
    elif rule == "on_hold":
        rows[2]["guarantor_hold_reasons"] = "open_dispute"
    elif rule == "duplicate_touch_id":
        rows[3]["touch_id"] = rows[2]["touch_id"]
    elif rule == "window_opens_before_8":
        for r in rows:
            r["contact_window_start"], r["send_window_start_minute"] = "07:30", 450
    elif rule == "window_closes_after_21":
        for r in rows:
            r["contact_window_end"], r["send_window_end_minute"] = "21:30", 1290
    elif rule == "amount_not_balance":
        rows[0]["amount_matches_balance"] = False
    elif rule == "bad_timezone":
        rows[0]["timezone"] = "CST"
    else:
        raise AssertionError(rule)
    return rows


def _write_audience(warehouse, rows: list[dict]) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        df = pd.DataFrame(rows)
        con.register("batch", df)
        con.execute("CREATE OR REPLACE TABLE marts.fct_touch_audience AS SELECT * FROM batch")
        con.execute("""CREATE OR REPLACE TABLE marts.fct_touches AS SELECT touch_id, guarantor_id,
                       episode_start, step, channel, as_of_date, CAST(NULL AS VARCHAR) AS hold_reason,
                       true AS is_planned_today, 'due' AS status FROM batch""")
        # no visit lines: a touch's statement and e-mail show its own summary (outreach/visits.py)
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_touch_visits AS SELECT touch_id, 1 AS visit_seq FROM batch WHERE false"
        )
        ledger.ensure_table(con)
    finally:
        con.close()


def _run(rows, tmp_path, monkeypatch, sendgrid):
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("COLLECTIONS_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("COLLECTIONS_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    monkeypatch.setenv("SENDGRID_API_HOST", sendgrid.url)

    @dg.asset(key=AUDIENCE, partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.multi_run(1))
    def audience_batch() -> None:  # stands in for the dbt model
        _write_audience(warehouse, rows)

    result = dg.materialize(
        [audience_batch, touch_audience_gate, *outreach_assets],
        partition_key=AS_OF.isoformat(),
        raise_on_error=False,
        resources={"collections": CollectionsResource()},
        tags=scheduled_run_tags(AS_OF),  # the day's windows still ahead, whatever the real hour
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ledger_rows = con.execute("SELECT touch_id, status FROM ops.send_ledger").fetchall()
    finally:
        con.close()
    files = [p for p in (tmp_path / "outbox").rglob("*") if p.is_file()] if (tmp_path / "outbox").exists() else []
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    return result, ledger_rows, files, checks


@pytest.mark.slow
def test_a_valid_batch_passes_the_gate_and_is_sent(tmp_path, monkeypatch, fault_sendgrid):
    result, ledger_rows, files, checks = _run(good_batch(), tmp_path, monkeypatch, fault_sendgrid)
    assert result.success
    assert [c.passed for c in checks] == [True]
    assert sorted(ledger_rows) == [(f"T{i:04d}", "sent") for i in range(1, 5)]
    assert fault_sendgrid.accepted_touch_ids() == ["T0002"]
    assert {p.parent.name for p in files} >= {"sms", "email", "statements", "calls"}


RULES = [
    "no_consent",
    "opted_out",
    "channel_blocked",
    "on_hold",
    "duplicate_touch_id",
    "window_opens_before_8",
    "window_closes_after_21",
    "amount_not_balance",
    "bad_timezone",
]
FAILS = {
    "no_consent": "consent_at",
    "opted_out": "consent_at, opt_out_at",
    "channel_blocked": "channel_block_reason",
    "on_hold": "guarantor_hold_reasons",
    "duplicate_touch_id": "touch_id",
    "window_opens_before_8": "send_window_start_minute",
    "window_closes_after_21": "send_window_end_minute",
    "amount_not_balance": "amount_matches_balance",
    "bad_timezone": "timezone",
}


@pytest.mark.parametrize("rule", RULES)
def test_a_batch_breaking_a_rule_fails_the_gate_and_nothing_is_sent(rule, tmp_path, monkeypatch, fault_sendgrid):
    result, ledger_rows, files, checks = _run(_break(rule), tmp_path, monkeypatch, fault_sendgrid)
    assert not result.success
    assert len(checks) == 1 and not checks[0].passed
    failed = {f["column"] for f in checks[0].metadata["failed"].value if f["severity"] == "critical"}
    assert FAILS[rule] in failed, failed
    done = {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert not any(k.startswith("outreach/") for k in done)
    assert ledger_rows == []  # nothing planned, nothing marked sent
    assert files == []  # no outbox file
    assert fault_sendgrid.requests == []  # no request to SendGrid
