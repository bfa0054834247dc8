"""Ten hand-placed guarantors appended to the history files, so that the sample clinic's first
daily run shows every servicing move, whatever the random flows give on the as-of date: a
plan offer (a high-value, engaged guarantor), a plan reminder two days before an installment,
a card-on-file charge due today, a plan confirmation in statement 2's slot, a hardship review
notice 20 days before support ends, a dispute review, a refund confirmation, a hardship
application form and a decision letter, and a day-25 call whose opener offers the plan.

Their ids sit far above the generated ones (G9000000x, E90000000x, T90000000x, PP900000x,
HA900000x, DS9000001); every value is dated before the as-of date, so the history/delta split
holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from .dates import shift_months
from .landing_files import append_rows

PEOPLE = [
    ("G90000001", "Avery", "Planmaker"),
    ("G90000002", "Blake", "Reminder"),
    ("G90000003", "Casey", "Cardholder"),
    ("G90000004", "Devon", "Confirmed"),
    ("G90000005", "Emery", "Reviewed"),
    ("G90000006", "Finley", "Doubtful"),
    ("G90000007", "Gray", "Refunded"),
    ("G90000008", "Harper", "Applicant"),
    ("G90000009", "Indigo", "Decided"),
    ("G90000010", "Jordan", "Caller"),
]
CARD_HOLDER, PHONE_ONLY = "G90000003", "G90000010"
CARD_PLAN = "PP9000002"


class ShowcaseRows:
    """Rows by kind (column -> text), dated relative to the as-of date (day offsets)."""

    def __init__(self, as_of: date):
        self.as_of = as_of
        self.rows: dict[str, list[dict]] = {}

    def day(self, offset: int) -> str:
        return (self.as_of + timedelta(days=offset)).isoformat()

    def at(self, offset: int, hour: int = 15) -> str:
        return f"{self.day(offset)}T{hour:02d}:00:00Z"

    def add(self, kind: str, **row) -> None:
        self.rows.setdefault(kind, []).append(row)

    def guarantor(self, n: int, gid: str, first: str, last: str) -> None:
        row = dict(
            guarantor_id=gid,
            household_id=gid,
            first_name=first,
            last_name=last,
            address_line1=f"{100 + n} Servicing Way",
            city="Springfield",
            state="IL",
            postal_code="62701",
            phone=f"(217) 555-01{60 + n}",
            email=f"{first.lower()}.{last.lower()}@example.com",
            language="en",
            sms_consent_at=self.at(-300),
            email_consent_at=self.at(-300),
            card_on_file_consent_at=self.at(-40) if gid == CARD_HOLDER else "",
            address_verified_at=self.day(-300),
            updated_at=self.at(-2),
        )
        if gid == PHONE_ONLY:  # the plan offer goes through the call list
            row.update(address_line1="", sms_consent_at="", email_consent_at="")
        self.add("guarantors", **row)

    def encounter(self, n: int, gid: str, age: int, charge: str) -> None:
        self.add(
            "encounters",
            encounter_id=f"E{900000000 + n}",
            guarantor_id=gid,
            patient_id=f"P{900000000 + n}",
            service_date=self.day(-age),
            total_charge=charge,
            primary_payer_id="SELFPAY",
            updated_at=self.at(-age),
        )

    def payment(
        self, n: int, gid: str, encounter: str, offset: int, amount: str, plan: str = "", type: str = "payment"
    ) -> None:
        self.add(
            "patient_transactions",
            transaction_id=f"T{900000000 + n}",
            guarantor_id=gid,
            encounter_id=encounter,
            posted_at=self.day(offset),
            type=type,
            amount=amount,
            method="card_on_file" if plan == CARD_PLAN else "portal",
            plan_id=plan,
            updated_at=self.at(offset),
        )

    def plan(self, plan_id: str, gid: str, created: int, amount: str, count: int, first_due: date, card: str) -> None:
        self.add(
            "payment_plans",
            plan_id=plan_id,
            guarantor_id=gid,
            created_at=self.at(created),
            approved_by="S001",
            total_amount=f"{float(amount) * count:.2f}",
            installment_amount=amount,
            installment_count=str(count),
            first_due_date=first_due.isoformat(),
            frequency="monthly",
            card_on_file=card,
            status="active",
            status_changed_at=self.at(created),
            updated_at=self.at(created),
        )


def add_servicing_showcase(out: Path, as_of: date) -> dict[str, int]:
    """Append the showcase to the history files under `out`; return the rows added per kind."""
    show = ShowcaseRows(as_of)
    for n, (gid, first, last) in enumerate(PEOPLE, 1):
        show.guarantor(n, gid, first, last)
    _plan_scenarios(show)
    _hardship_dispute_and_refund_scenarios(show)
    counts = {}
    for kind in ("guarantors", "encounters", "patient_transactions", "payment_plans", "disputes", "hardship"):
        if show.rows.get(kind):
            append_rows(out, kind, show.rows[kind])
            counts[kind] = len(show.rows[kind])
    return counts


def _plan_scenarios(show: ShowcaseRows) -> None:
    as_of = show.as_of
    # plan offer: 45 days old, 1,800 self-pay, paid 25 ten days ago (a response)
    show.encounter(1, "G90000001", 45, "1800.00")
    show.payment(1, "G90000001", "E900000001", -10, "25.00")
    # plan reminder: installment 2 of 3 due in two days, installment 1 paid
    show.encounter(2, "G90000002", 60, "600.00")
    due = shift_months(as_of + timedelta(days=2), -1)
    show.plan("PP9000001", "G90000002", -40, "200.00", 3, due, "false")
    show.payment(2, "G90000002", "E900000002", (due - as_of).days, "200.00", "PP9000001")
    # card-on-file charge: installment 2 of 3 due today, installment 1 paid by card
    show.encounter(3, CARD_HOLDER, 60, "450.00")
    due = shift_months(as_of, -1)
    show.plan(CARD_PLAN, CARD_HOLDER, -40, "150.00", 3, due, "true")
    show.payment(3, CARD_HOLDER, "E900000003", (due - as_of).days, "150.00", CARD_PLAN)
    # plan confirmation: 40 days old (statement 2 due), a plan whose first payment is ahead
    show.encounter(4, "G90000004", 40, "500.00")
    show.plan("PP9000003", "G90000004", -5, "250.00", 2, as_of + timedelta(days=10), "false")


def _hardship_dispute_and_refund_scenarios(show: ShowcaseRows) -> None:
    # hardship review: approved support ending in 20 days
    show.encounter(5, "G90000005", 200, "300.00")
    show.add(
        "hardship",
        application_id="HA9000001",
        guarantor_id="G90000005",
        submitted_at=show.at(-170),
        decided_at=show.at(-165),
        outcome="approved",
        relief="extended_timeline",
        support_start=show.day(-165),
        support_end=show.day(20),
        verified_by="S001",
        updated_at=show.at(-165),
    )
    # dispute review: an open dispute on a visit, opened four days ago
    show.encounter(6, "G90000006", 30, "220.00")
    show.add(
        "disputes",
        dispute_id="DS9000001",
        guarantor_id="G90000006",
        encounter_id="E900000006",
        opened_at=show.at(-4),
        channel="phone",
        reason="amount_incorrect",
        updated_at=show.at(-4),
    )
    # refund confirmation: overpaid by 50, refunded three days ago
    show.encounter(7, "G90000007", 90, "100.00")
    show.payment(4, "G90000007", "E900000007", -60, "150.00")
    show.payment(5, "G90000007", "E900000007", -3, "50.00", type="refund")
    # hardship application (pending since three days ago) and a decision (denied two days ago)
    show.encounter(8, "G90000008", 50, "700.00")
    show.encounter(9, "G90000009", 50, "700.00")
    show.add(
        "hardship",
        application_id="HA9000002",
        guarantor_id="G90000008",
        submitted_at=show.at(-3),
        outcome="pending",
        updated_at=show.at(-3),
    )
    show.add(
        "hardship",
        application_id="HA9000003",
        guarantor_id="G90000009",
        submitted_at=show.at(-12),
        decided_at=show.at(-2),
        outcome="denied",
        verified_by="S002",
        updated_at=show.at(-2),
    )
    # the day-25 call of a high_value_engaged guarantor reachable by phone only: the call
    # list opener carries the plan offer (the offer letter and e-mail are blocked)
    show.encounter(10, PHONE_ONLY, 32, "1500.00")
    show.payment(6, PHONE_ONLY, "E900000010", -5, "25.00")
