"""Rendering of the segment moves (issue 9): plan offer sentence and call opener, plan reminder
text, dispute review e-mail with the EOB summary (through the real SendGrid client against a
local server), move letters read back from the PDF, and the card-on-file charge batch."""

from __future__ import annotations

import csv
import os
import stat
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orchestration.actions.outreach import approvals, charges, letters, move_email, moves
from orchestration.actions.outreach import email as em
from orchestration.actions.outreach.model import Touch
from orchestration.actions.outreach.sms import is_gsm7, segments
from tests.actions.conftest import API_KEY, make_touch

URL = "https://pay.riverbend.example/p/abcdefghijklmnopqrst"


def offer(**over):
    base = dict(
        step="plan_offer",
        plan_offer_payments=6,
        plan_offer_amount=Decimal("248.33"),
        plan_offer_last_amount=Decimal("248.35"),
        plan_offer_first_due=date(2026, 12, 15),
        plan_offer_last_due=date(2027, 5, 15),
        plan_offer_day=15,
        plan_offer_max_payments=6,
        plan_offer_needs_approval=False,
        balance=Decimal("1490.00"),
    )
    base.update(over)
    return make_touch(1, **base)


def test_ordinal():
    assert [moves.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 15, 21, 22, 28)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "15th",
        "21st",
        "22nd",
        "28th",
    ]


def test_plan_sentence_spells_out_dates_and_amounts():
    assert moves.plan_sentence(offer()) == (
        "We will schedule payments on the 15th: 6 payments of "
        "$248.33 from Dec 15, 2026 to May 15, 2027 (the last one "
        "$248.35)."
    )
    even = offer(
        plan_offer_payments=3,
        plan_offer_amount=Decimal("100.00"),
        plan_offer_last_amount=Decimal("100.00"),
        plan_offer_last_due=date(2027, 2, 15),
    )
    assert moves.plan_sentence(even).endswith("3 payments of $100.00 from Dec 15, 2026 to Feb 15, 2027.")
    big = offer(plan_offer_max_payments=12, plan_offer_needs_approval=True)
    assert moves.approval_line(big) == (
        "Need more time? We can discuss a plan of up to 12 payments "
        "with you (a manager approves plans of more than 6 payments)."
    )
    assert moves.approval_line(offer()) == ""


def test_call_opener_offers_the_plan_and_closes_on_the_day():
    t = offer(step="live_call", channel="phone")
    text = moves.plan_call_opener(t, "Let's look at this together.")
    assert text.startswith("Let's look at this together. Plan to offer: We will schedule payments on the 15th")
    assert text.endswith("Great, we will schedule payments on the 15th. We will send reminders two days before each.")
    assert moves.has_plan_offer(t) and not moves.has_plan_offer(make_touch(2, step="live_call"))


def test_plan_offer_email_and_letter(clinic, tmp_path):
    subject, text = moves.email_text(offer(), clinic, URL, "To stop these e-mails, call us.")
    assert subject == "Riverbend Family Medicine: a payment plan with dates for your balance"
    assert "Your balance with us is $1,490.00" in text and "on the 15th: 6 payments of $248.33" in text
    assert "Marguerite" not in text and "\n\n\n" not in text
    batch = letters.render_batch([offer(channel="mail")], tmp_path, clinic=clinic, url_for=lambda t: URL)
    assert batch["skipped"] == [] and batch["rows"][0]["pages"] == 1
    page = PdfReader(str(tmp_path / batch["rows"][0]["file"])).pages[0].extract_text()
    assert "A payment plan with dates for your balance" in page
    assert "We will schedule payments on the 15th: 6 payments of $248.33" in page
    assert "Marguerite Vanderbilt-Okonkwo1" in page  # the envelope window needs the name
    assert "Call us if this looks wrong." in page


def test_plan_reminder_sms_by_card_or_link(clinic):
    t = make_touch(
        3,
        step="plan_reminder",
        channel="sms",
        move_amount=Decimal("100.00"),
        move_date=date(2026, 11, 22),
        plan_card_on_file=False,
    )
    body = moves.sms_body(t, clinic, URL)
    assert body == (
        "Riverbend Family Medicine: Reminder: your plan payment of $100.00 is due Nov 22, "
        f"2026. Pay: {URL} Questions? (555) 010-2400. Reply STOP to stop texts."
    )
    assert is_gsm7(body) and segments(body) <= 2
    card = moves.sms_body({**t, "plan_card_on_file": True}, clinic, URL)
    assert "We will charge your card on file that day." in card and URL not in card
    with pytest.raises(ValueError, match="T000003: move_amount"):
        moves.sms_body({**t, "move_amount": None}, clinic, URL)


def test_dispute_review_email_two_way_with_eob(clinic, sendgrid_server, sleeper):
    t = make_touch(
        4,
        step="dispute_review",
        eob_visit_date=date(2026, 9, 20),
        eob_charge=Decimal("500.00"),
        eob_insurance_paid=Decimal("300.00"),
        eob_deductible=Decimal("120.00"),
        eob_coinsurance=Decimal("50.00"),
        eob_copay=Decimal("30.00"),
        eob_other=Decimal("0.00"),
        eob_remains=Decimal("200.00"),
    )
    no_eob = make_touch(5, step="dispute_review")
    bad = make_touch(6, step="dispute_review", email="not-an-address")
    reqs, skipped = move_email.build_requests(
        [t, no_eob, bad],
        clinic,
        lambda x: URL,
        from_email="billing@riverbend.example",
        reply_to="billing@riverbend.example",
    )
    assert [s.reason for s in skipped] == ["invalid email address"]
    body = reqs[0].body
    text = body["content"][0]["value"]
    flat = " ".join(text.split())
    for line in (
        "Charge for the visit: $500.00",
        "Insurance paid: $300.00",
        "Applied to your deductible: $120.00",
        "Your coinsurance: $50.00",
        "Your copay: $30.00",
        "What remains for you to pay: $200.00",
        "Reply to this e-mail",
    ):
        assert line in flat
    assert "  Charge for the visit:          $500.00" in text  # an aligned table
    assert "gathering what your insurance reported" in reqs[1].body["content"][0]["value"]
    assert body["reply_to"] == {"email": "billing@riverbend.example"}
    assert body["personalizations"][0]["custom_args"] == {"touch_id": "T000004", "guarantor_id": "G000004"}
    assert sorted(body["categories"]) == ["collections", "dispute_review"]
    assert "Marguerite" not in str(body) and "500" not in body["subject"]
    sender = em.EmailSender(
        API_KEY, host=sendgrid_server.url, sleep=sleeper, clock=lambda: 1.0, before_send=lambda ids: None
    )
    results = sender.send(reqs)
    assert [r.status for r in results] == ["sent", "sent"]
    assert [r["body"] for r in sendgrid_server.requests] == [r.body for r in reqs]


def test_refund_email_has_no_demand(clinic):
    t = make_touch(
        7,
        step="refund_confirmation",
        balance=None,
        episode_start=None,
        move_amount=Decimal("50.00"),
        move_date=date(2026, 11, 18),
    )
    subject, text = moves.email_text(t, clinic, URL, "To stop these e-mails, call us.")
    assert "We issued you a refund of $50.00 on Nov 18, 2026." in text
    assert "pay" not in subject.lower() and "Amount due" not in text


@pytest.mark.parametrize(
    "step,extra,expected",
    [
        ("hardship_application", {}, ["Application for help with your bill", "Monthly household income"]),
        (
            "hardship_decision",
            {
                "hardship_outcome": "approved",
                "hardship_relief": "reduction",
                "hardship_discount_pct": Decimal("20"),
                "hardship_support_start": date(2026, 11, 18),
                "hardship_support_end": date(2027, 5, 18),
            },
            ["we approved your application", "a reduction of 20% of your balance", "May 18, 2027"],
        ),
        ("hardship_decision", {"hardship_outcome": "denied"}, ["could not approve it", "apply again"]),
        (
            "hardship_review",
            {"hardship_relief": "extended_timeline", "hardship_support_end": date(2026, 12, 15)},
            ["time to review it together", "ends on Dec 15, 2026", "more time to pay"],
        ),
        (
            "refund_confirmation",
            {"move_amount": Decimal("50.00"), "move_date": date(2026, 11, 18)},
            ["Your refund", "refund of $50.00 on Nov 18, 2026"],
        ),
    ],
)
def test_letters_read_back(clinic, tmp_path, step, extra, expected):
    t = make_touch(8, step=step, channel="mail", **extra)
    batch = letters.render_batch([t], tmp_path, clinic=clinic, review_notice_days=30)
    assert batch["skipped"] == []
    pdf = tmp_path / batch["rows"][0]["file"]
    assert stat.S_IMODE(os.stat(pdf).st_mode) == 0o600 and len(PdfReader(str(pdf)).pages) == 1
    page = " ".join(PdfReader(str(pdf)).pages[0].extract_text().split())
    for e in expected:
        assert e in page
    rows = list(csv.DictReader((tmp_path / "manifest.csv").read_text().splitlines()))
    assert rows == [
        {
            "touch_id": "T000008",
            "file": "T000008.pdf",
            "pages": "1",
            "letter": step,
            "sha256": batch["rows"][0]["sha256"],
        }
    ]
    with pytest.raises(ValueError, match="never re-rendered"):  # a re-run never re-renders
        letters.render_batch([t], tmp_path, clinic=clinic)


def test_letter_missing_value_is_skipped_with_reason(clinic, tmp_path):
    t = make_touch(9, step="hardship_review", channel="mail")  # no support_end
    batch = letters.render_batch([t], tmp_path, clinic=clinic)
    assert batch["rows"] == [] and batch["skipped"][0].reason.startswith("cannot compose: touch T000009")


def test_charge_batch_private_idempotent_and_card_free(tmp_path):
    due = [
        {
            "touch_id": "a" * 32,
            "idempotency_key": "a" * 32,
            "plan_id": "P1",
            "installment_number": 2,
            "guarantor_id": "G1",
            "amount": Decimal("100"),
            "as_of_date": date(2026, 11, 20),
        },
        {
            "touch_id": "b" * 32,
            "idempotency_key": "b" * 32,
            "plan_id": "P2",
            "installment_number": 1,
            "guarantor_id": "G2",
            "amount": Decimal("0.00"),
            "as_of_date": date(2026, 11, 20),
        },
    ]
    rows, skipped = charges.build_charge_rows(due)
    assert [s.reason for s in skipped] == ["nothing left to charge"]
    path = charges.write_charge_batch(rows, tmp_path)
    assert path.name == "charges_0001.csv" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    got = list(csv.DictReader(path.read_text().splitlines()))
    assert got == [
        {
            "idempotency_key": "a" * 32,
            "touch_id": "a" * 32,
            "plan_id": "P1",
            "installment_number": "2",
            "guarantor_id": "G1",
            "amount": "100.00",
            "currency": "USD",
            "charge_date": "2026-11-20",
        }
    ]
    assert charges.write_charge_batch(rows, tmp_path).name == "charges_0002.csv"  # never overwrites
    with pytest.raises(ValueError, match="not allowed"):
        charges.write_charge_batch([{**rows[0], "card_number": "4111111111111111"}], tmp_path)
    with pytest.raises(ValueError, match="looks like a card number"):
        charges.write_charge_batch([{**rows[0], "plan_id": "4111111111111111"}], tmp_path)


def test_move_scripts_are_approved_and_free_of_clinical_words():
    scripts = approvals.load_approvals()
    assert set(moves.SCRIPTS) <= set(scripts)
    assert approvals.clinical_words() == {}


def test_touch_without_balance_only_for_moves():
    assert Touch.coerce(make_touch(10, step="refund_confirmation", balance=None, episode_start=None)).balance is None
    charge = {
        "touch_id": "T1",
        "guarantor_id": "G1",
        "step": "plan_charge",
        "channel": "card",
        "as_of_date": date(2026, 11, 20),
        "amount": Decimal("100.00"),
    }  # no balance column
    assert Touch.coerce(charge).extra["amount"] == Decimal("100.00")
    with pytest.raises(ValueError, match="missing episode_start, balance"):
        Touch.coerce(make_touch(11, balance=None, episode_start=None))
