"""The segment moves (issue 9) in the real daily job on the sample clinic: the generator's
servicing showcase guarantors (G90000001-9) get every kind of move, each through the send
ledger, in the channel's outbox folder, and the card charge batch carries no card data."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import AS_OF, query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]

SHOWCASE = {  # guarantor -> (step, channel) the first run hands off
    "G90000001": ("plan_offer", "email"),
    "G90000002": ("plan_reminder", "sms"),
    "G90000003": ("plan_charge", "card"),
    "G90000005": ("hardship_review", "mail"),
    "G90000006": ("dispute_review", "email"),
    "G90000007": ("refund_confirmation", "email"),
    "G90000008": ("hardship_application", "mail"),
    "G90000009": ("hardship_decision", "mail"),
}


@pytest.fixture(scope="module")
def day_dir(first_run):
    return Path(os.environ["COLLECTIONS_OUTBOX_DIR"]) / AS_OF.isoformat()


def _sent(gid: str, step: str) -> list[tuple]:
    return query(
        "SELECT touch_id, channel, status FROM ops.send_ledger WHERE guarantor_id = ? AND step = ?", [gid, step]
    )


@pytest.mark.parametrize("gid,step,channel", [(g, s, c) for g, (s, c) in SHOWCASE.items()])
def test_every_move_kind_is_handed_off_once(day_dir, gid, step, channel):
    rows = _sent(gid, step)
    assert [(c, s) for _, c, s in rows] == [(channel, "sent")]


def test_move_files(day_dir):
    reminder = _sent("G90000002", "plan_reminder")[0][0]
    sms_rows = [r for f in (day_dir / "sms").glob("*.csv") for r in csv.DictReader(f.open())]
    body = next(r["body"] for r in sms_rows if r["touch_id"] == reminder)
    assert "Reminder: your plan payment of $200.00 is due" in body and body.endswith("Reply STOP to stop texts.")

    charge = _sent("G90000003", "plan_charge")[0][0]
    rows = [r for f in (day_dir / "charges").glob("*.csv") for r in csv.DictReader(f.open())]
    assert [
        (r["idempotency_key"], r["plan_id"], r["installment_number"], r["amount"])
        for r in rows
        if r["guarantor_id"] == "G90000003"
    ] == [(charge, "PP9000002", "2", "150.00")]
    assert set(rows[0]) == {
        "idempotency_key",
        "touch_id",
        "plan_id",
        "installment_number",
        "guarantor_id",
        "amount",
        "currency",
        "charge_date",
    }

    letters = {r["touch_id"]: r for r in csv.DictReader((day_dir / "statements" / "letters" / "manifest.csv").open())}
    for gid in ("G90000005", "G90000008", "G90000009"):
        tid = _sent(gid, SHOWCASE[gid][0])[0][0]
        assert letters[tid]["pages"] == "1" and (day_dir / "statements" / "letters" / f"{tid}.pdf").exists()

    review = _sent("G90000006", "dispute_review")[0][0]
    bodies = [json.loads(f.read_text()) for f in (day_dir / "email").glob("request_*.json")]
    mail = next(b for b in bodies if b["personalizations"][0]["custom_args"]["touch_id"] == review)
    assert "reply_to" in mail and "Charge for the visit:" in mail["content"][0]["value"]


def test_plan_confirmation_and_hardship_hold(day_dir):
    from pypdf import PdfReader

    tid = _sent("G90000004", "statement_2")[0][0]
    text = " ".join(PdfReader(str(day_dir / "statements" / f"{tid}.pdf")).pages[0].extract_text().split())
    assert "Your payment plan: 2 payments of $250.00, next payment due Nov 30, 2026" in text
    # the guarantor in hardship got the review notice and no cadence touch
    assert query("SELECT step FROM ops.send_ledger WHERE guarantor_id = 'G90000005' AND status = 'sent'") == [
        ("hardship_review",)
    ]


def test_call_opener_offers_the_plan(day_dir):
    call = _sent("G90000010", "live_call")[0][0]
    rows = [r for f in (day_dir / "calls").glob("*.csv") for r in csv.DictReader(f.open())]
    opener = next(r["opener"] for r in rows if r["touch_id"] == call)
    assert "Plan to offer: We will schedule payments on the 15th: 6 payments of $245.83" in opener
    assert opener.endswith("We will send reminders two days before each.")
    # the offer itself could not go (no e-mail consent, no address): skipped with the reason
    assert query(
        "SELECT status, status_reason FROM ops.send_ledger WHERE guarantor_id = 'G90000010' AND step = 'plan_offer'"
    ) == [("skipped", "no_email_consent")]
