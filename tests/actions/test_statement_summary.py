"""The statement's summary box reconciles on the page (docs/outputs.md "Statements"), read back
from the PDF: charges - insurance paid - plan adjustments = your portion; your portion - your
payments and credits = amount due; one line per visit, past five "N more visits"; one page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

from pypdf import PdfReader

from orchestration.actions.outreach import statements as st
from orchestration.actions.outreach.visits import Visit
from tests.actions.conftest import make_touch

URL = "https://pay.riverbend.example/p/abc"
BOX = ("Charges", "Insurance paid", "Plan adjustments", "Your portion", "Your payments and credits", "Amount due")


def visit(day: int, charge: str, paid: str, portion: str, due: str, **pr) -> Visit:
    charge_, paid_, portion_, due_ = D(charge), D(paid), D(portion), D(due)
    return Visit(
        service_date=date(2026, 9, day),
        charge=charge_,
        insurance_paid=paid_,
        plan_adjustments=charge_ - paid_ - portion_,
        patient_portion=portion_,
        payments_credits=portion_ - due_,
        balance=due_,
        **{k: D(v) for k, v in pr.items()},
    )


def amount(s: str) -> D:
    return D(s.replace("$", "").replace(",", ""))


def read_back(data: bytes, tmp_path) -> tuple[dict[str, D], list[str], int]:
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(data)
    reader = PdfReader(str(pdf))
    lines = reader.pages[0].extract_text().splitlines()
    start = lines.index("Summary")
    box = {lines[i]: amount(lines[i + 1]) for i in range(start + 1, start + 13, 2)}
    assert list(box) == list(BOX)
    return box, lines, len(reader.pages)


def assert_reconciles(box: dict[str, D]) -> None:
    assert box["Charges"] + box["Insurance paid"] + box["Plan adjustments"] == box["Your portion"]
    assert box["Your portion"] + box["Your payments and credits"] == box["Amount due"]


def test_single_visit_the_issue_example_adds_up(clinic, tmp_path):
    # the issue's statement: charge 1,506.06, insurance 266.59, adjustment 229.65, your portion
    # 1,009.82, payments and credits 175.42, amount due 834.40
    v = visit(3, "1506.06", "266.59", "1009.82", "834.40", pr_deductible="800.00", pr_coinsurance="209.82")
    t = make_touch(1, step="statement_1", channel="mail", balance=D("834.40"), visits=[v])
    box, lines, pages = read_back(st.render_statement_bytes(t, clinic, URL)[0], tmp_path)
    assert pages == 1
    assert box == {
        "Charges": D("1506.06"),
        "Insurance paid": D("-266.59"),
        "Plan adjustments": D("-229.65"),
        "Your portion": D("1009.82"),
        "Your payments and credits": D("-175.42"),
        "Amount due": D("834.40"),
    }
    assert_reconciles(box)
    text = " ".join(lines)
    assert "Total, 1 visit" in text and "more visit" not in text
    assert (
        "Why you owe (what your insurance reported): Applied to your deductible $800.00; Your coinsurance $209.82"
    ) in text
    assert lines[-1] == "Call us if this looks wrong."


def test_every_payer_counts_and_many_visits_stay_on_one_page(clinic, tmp_path):
    # visit 1: primary paid 600 and the secondary 150 of the 200 left: insurance paid 750
    visits = [visit(1, "1000.00", "750.00", "50.00", "50.00", pr_coinsurance="50.00")]
    visits += [visit(2 + i, "120.00", "0.00", "120.00", "100.00") for i in range(7)]  # self-pay
    due = sum((v.balance for v in visits), D(0)) - D("25.00")  # 25.00 on account, unapplied
    t = make_touch(2, step="statement_2", channel="mail", balance=due, visits=visits)
    box, lines, pages = read_back(st.render_statement_bytes(t, clinic, URL)[0], tmp_path)
    assert pages == 1
    assert_reconciles(box)
    assert box["Insurance paid"] == D("-750.00") and box["Amount due"] == due
    assert box["Your portion"] == D("50.00") + 7 * D("120.00")
    assert box["Your payments and credits"] == -(7 * D("20.00") + D("25.00"))
    text = "\n".join(lines)
    assert len(re.findall(r"^Sep \d+, 2026$", text, flags=re.M)) == st.MAX_VISIT_LINES
    assert "3 more visits: all of them are listed at pay.riverbend.example" in text
    assert "Total, 8 visits" in text


def test_a_touch_without_visit_lines_still_reconciles(clinic, tmp_path):
    t = make_touch(3, step="statement_1", channel="mail")  # the audience's summary fields only
    box, _, _ = read_back(st.render_statement_bytes(t, clinic, URL)[0], tmp_path)
    assert_reconciles(box)
    assert box["Charges"] == D("2000.00") and box["Amount due"] == D("1237.56")


def test_why_you_owe_is_in_the_day18_email_and_on_the_call_list(clinic):
    from orchestration.actions.outreach import calls
    from orchestration.actions.outreach import email as em

    v = visit(
        3, "1506.06", "266.59", "1009.82", "834.40", pr_deductible="800.00", pr_coinsurance="199.82", pr_copay="10.00"
    )
    t = make_touch(4, balance=D("834.40"), visits=[v])
    line = "Applied to your deductible $800.00, Your coinsurance $199.82, Your copay $10.00"
    assert f"Why you owe:            {line}\n" in em.render_email(t, clinic, URL).text
    rows, _ = calls.build_call_rows([t], clinic)
    assert rows[0]["why_you_owe"] == line.replace(", ", "; ")
    no_lines = make_touch(5)
    assert "Why you owe:            not reported" in em.render_email(no_lines, clinic, URL).text
