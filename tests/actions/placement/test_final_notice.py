"""The 501(r) final-notice letter: rendered through the statement path (same folder, same print
manifest), one page, read back with pypdf."""

from __future__ import annotations

import csv
import hashlib
import stat
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from orchestration.actions.outreach import final_notice as fn
from orchestration.actions.outreach import statements as st
from orchestration.actions.outreach.tokens import pay_token, pay_url, url_maker
from orchestration.policy.policy import load_policy
from tests.actions.conftest import SECRET, make_touch


@pytest.fixture(scope="module")
def notice_clinic() -> dict:
    policy = load_policy()
    return dict(policy.values["clinic"]) | {"final_notice_days": policy["placement"]["nonprofit_final_notice_days"]}


def test_deadline_is_the_policy_days_after_the_notice(notice_clinic):
    assert notice_clinic["final_notice_days"] == 30
    assert fn.deadline(date(2026, 11, 20), notice_clinic) == date(2026, 12, 20)
    with pytest.raises(ValueError, match="final_notice_days"):
        fn.deadline(date(2026, 11, 20), {"name": "x"})


def test_final_notice_pdf_text_amount_and_manifest(notice_clinic, tmp_path):
    out = tmp_path / "2026-11-20" / "statements"
    notice = make_touch(7, step="final_notice", channel="mail", balance=Decimal("612.40"))
    statement = make_touch(8, step="statement_2", channel="mail")
    url_for = url_maker(notice_clinic["pay_site"], SECRET)
    res = st.render_batch([notice, statement], out, clinic=notice_clinic, url_for=url_for, workers=1)
    assert res["statements"] == 2 and res["pages"] == 2
    assert Decimal(res["amount_due_total"]) == Decimal("612.40") + statement["balance"]

    rows = {r["touch_id"]: r for r in csv.DictReader((out / "manifest.csv").open())}
    row = rows[notice["touch_id"]]
    pdf = out / row["file"]
    assert row["file"] == f"{notice['touch_id']}.pdf" and row["pages"] == "1" and row["amount_due"] == "612.40"
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == row["sha256"]
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600

    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    flat = " ".join(text.split())
    for needle in (
        "FINAL NOTICE",
        "$612.40",
        "Notice date: Nov 20, 2026",
        "Please pay or call us by Dec 20, 2026",
        "by Dec 20, 2026, we may refer your account to a collection agency",
        "Financial assistance is available",
        "financial assistance policy",
        "(555) 010-2400",
        "Mon-Fri 8am-6pm",
        "PO Box 100",
        "Riverbend Family Medicine",
        "Marguerite Vanderbilt-Okonkwo7",
        "7 Main St",
        "Ways to pay",
    ):
        assert needle in flat, needle
    assert text.strip().splitlines()[-1] == "Call us if this looks wrong."
    url = pay_url(notice_clinic["pay_site"], pay_token(notice["touch_id"], SECRET))
    assert url.removeprefix("https://") in flat
    # no clinical detail, no statement summary box on the notice
    for absent in ("Summary", "Insurance payment", "Your portion", "Amount due"):
        assert absent not in text
    # the statement in the same batch is still a statement
    other = PdfReader(str(out / rows[statement["touch_id"]]["file"])).pages[0].extract_text()
    assert "Summary" in other and "FINAL NOTICE" not in other


def test_final_notice_refuses_a_zero_balance(notice_clinic):
    with pytest.raises(ValueError, match="no positive balance"):
        fn.render_final_notice_bytes(
            make_touch(1, step="final_notice", balance=Decimal("0")), notice_clinic, "https://pay.example/p/x"
        )


def test_final_notice_wording_has_no_clinical_detail(notice_clinic):
    from orchestration.actions.outreach.approvals import CLINICAL

    text = " ".join(fn.body_lines(make_touch(1, step="final_notice"), notice_clinic)) + fn.TITLE
    assert not CLINICAL.search(text)
