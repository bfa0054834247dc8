"""Render the example statement of docs/user-guide.md ("The statement") and its page-1 PNG.

    .venv/bin/python docs/examples/statement_png.py      # needs pdftoppm (poppler-utils)

Synthetic person and amounts (the issue's example visit and two more); nothing real.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from orchestration.actions.outreach.statements import render_statement_bytes
from orchestration.actions.outreach.visits import Visit

OUT = Path(__file__).parents[1] / "img" / "statement-page1.png"
CLINIC = {
    "name": "Riverbend Family Medicine",
    "timezone": "America/Chicago",
    "help_line": "(555) 010-2400",
    "help_hours": "Mon-Fri 8am-6pm",
    "pay_site": "https://pay.riverbend.example",
    "mail_address": "Riverbend Family Medicine, PO Box 100, Springfield, IL 62701",
}


def visit(d: date, charge: str, paid: str, portion: str, due: str, **pr: str) -> Visit:
    c, p, o, b = D(charge), D(paid), D(portion), D(due)
    return Visit(
        service_date=d,
        charge=c,
        insurance_paid=p,
        plan_adjustments=c - p - o,
        patient_portion=o,
        payments_credits=o - b,
        balance=b,
        **{k: D(v) for k, v in pr.items()},
    )


def main() -> Path:
    visits = [
        visit(
            date(2026, 8, 14), "1506.06", "266.59", "1009.82", "834.40", pr_deductible="750.00", pr_coinsurance="259.82"
        ),
        visit(date(2026, 9, 2), "240.00", "150.00", "40.00", "40.00", pr_copay="40.00"),
        visit(date(2026, 9, 28), "185.00", "0.00", "185.00", "185.00", self_pay=True),
    ]
    touch = dict(
        touch_id="EXAMPLE",
        guarantor_id="G-EXAMPLE",
        episode_start=date(2026, 9, 1),
        step="statement_1",
        channel="mail",
        first_name="Alex",
        last_name="Sample",
        address_line1="12 Elm St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        balance=sum((v.balance for v in visits), D(0)),
        visit_date=visits[0].service_date,
        due_date=date(2026, 12, 4),
        as_of_date=date(2026, 11, 20),
        visits=visits,
    )
    data, _ = render_statement_bytes(touch, CLINIC, "https://pay.riverbend.example/p/Xq3vT9kLm2")
    with tempfile.TemporaryDirectory() as d:
        pdf = Path(d) / "statement.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(OUT.with_suffix(""))],
            check=True,
        )
    return OUT


if __name__ == "__main__":
    print(main())
