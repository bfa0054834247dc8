"""The open visits behind a touch's amount due (``marts.fct_touch_visits``) and the summary
that reconciles on the statement (docs/outputs.md "Statements"):

    charges - insurance paid (every payer) - plan adjustments = your portion
    your portion - your payments and credits = amount due

The per-visit amounts and "why you owe" (the 835's CAS group PR reasons) are the warehouse's
(dbt); this module reads them, attaches them to the touches (``Touch.extra["visits"]``) and
adds them up. "Your payments and credits" is your portion less the amount due, so it also
holds money on account not yet applied to a visit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from .model import Touch, to_date, to_decimal

ZERO = Decimal("0.00")
# "why you owe": the CAS group PR reasons in plain words (CARC 1, 2, 3, the rest)
WHY_YOU_OWE = (
    ("pr_deductible", "Applied to your deductible"),
    ("pr_coinsurance", "Your coinsurance"),
    ("pr_copay", "Your copay"),
    ("pr_other", "Other amounts your plan says you owe"),
)


@dataclass(frozen=True)
class Visit:
    service_date: date
    charge: Decimal
    insurance_paid: Decimal
    plan_adjustments: Decimal
    patient_portion: Decimal
    payments_credits: Decimal
    balance: Decimal
    pr_deductible: Decimal = ZERO
    pr_coinsurance: Decimal = ZERO
    pr_copay: Decimal = ZERO
    pr_other: Decimal = ZERO
    self_pay: bool = False

    @classmethod
    def from_row(cls, row: dict) -> Visit:
        money = {f.name: to_decimal(row.get(f.name)) or ZERO for f in dataclasses.fields(cls) if f.type in ("Decimal",)}
        return cls(
            service_date=to_date(row["service_date"]), **money, self_pay=row.get("responsibility_status") == "self_pay"
        )


@dataclass(frozen=True)
class Summary:
    charge: Decimal
    insurance_paid: Decimal
    plan_adjustments: Decimal
    patient_portion: Decimal
    payments_credits: Decimal
    amount_due: Decimal


def read_visits(warehouse: Path, touch_ids: Iterable[str]) -> dict[str, list[Visit]]:
    """The open visits of each touch, oldest first."""
    ids = sorted(set(touch_ids))
    if not ids:
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(
            "SELECT * FROM marts.fct_touch_visits WHERE touch_id IN (SELECT unnest(?)) ORDER BY touch_id, visit_seq",
            [ids],
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=False)) for r in cur.fetchall()]
    finally:
        con.close()
    out: dict[str, list[Visit]] = {}
    for r in rows:
        out.setdefault(str(r["touch_id"]), []).append(Visit.from_row(r))
    return out


def with_visits(touches: list[Touch], warehouse: Path) -> list[Touch]:
    """The touches with their visits in ``extra["visits"]``."""
    found = read_visits(warehouse, [t.touch_id for t in touches])
    return [dataclasses.replace(t, extra={**t.extra, "visits": found.get(t.touch_id, [])}) for t in touches]


def visits_of(t: Touch) -> list[Visit]:
    """The touch's visits; a touch built without them (a test, a bench) gets one visit made of
    its own summary fields (charge, insurance paid, your portion, the oldest visit date)."""
    found = t.extra.get("visits")
    if found:
        return list(found)
    if t.charge is None or t.patient_portion is None or t.balance is None:
        return []
    paid = t.insurance_paid or ZERO
    return [
        Visit(
            service_date=t.visit_date,
            charge=t.charge,
            insurance_paid=paid,
            plan_adjustments=t.charge - paid - t.patient_portion,
            patient_portion=t.patient_portion,
            payments_credits=t.patient_portion - t.balance,
            balance=t.balance,
        )
    ]


def summarize(t: Touch) -> Summary | None:
    """The summary box: totals over the visits; payments and credits = your portion - amount due."""
    vs = visits_of(t)
    if not vs or t.balance is None:
        return None
    portion = sum((v.patient_portion for v in vs), ZERO)
    return Summary(
        charge=sum((v.charge for v in vs), ZERO),
        insurance_paid=sum((v.insurance_paid for v in vs), ZERO),
        plan_adjustments=sum((v.plan_adjustments for v in vs), ZERO),
        patient_portion=portion,
        payments_credits=portion - t.balance,
        amount_due=t.balance,
    )


def why_you_owe(t: Touch) -> list[tuple[str, Decimal]]:
    """Your portion split by the payer's reasons (CAS group PR), in plain words, non-zero only."""
    vs = visits_of(t)
    out = []
    for key, label in WHY_YOU_OWE:
        total = sum((getattr(v, key) for v in vs), ZERO)
        if total:
            out.append((label, total))
    self_pay = sum((v.patient_portion for v in vs if v.self_pay), ZERO)
    if self_pay:
        out.append(("Visits without insurance", self_pay))
    return out


def why_you_owe_text(t: Touch, *, separator: str = ", ") -> str:
    """ "why you owe" in one line ("Applied to your deductible $750.00, Your coinsurance
    $259.82"); "not reported" when the touch has no visit lines."""
    from .model import money

    parts = [f"{label} {money(amount)}" for label, amount in why_you_owe(t)]
    return separator.join(parts) if parts else "not reported"
