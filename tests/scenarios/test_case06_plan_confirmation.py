"""Case 6 (issue 15): statement 2 is a plan confirmation only for a plan in good standing by
its installments — the computed plan state, never the export's word alone (docs/rules.md §6
"Plan state"). A plan the export still calls active has missed two installments: it is
defaulted, so the day-35 letter is the ordinary statement 2 and says nothing of a plan."""

from __future__ import annotations

import shutil
from datetime import UTC, date

import pytest
from pypdf import PdfReader

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.policy.policy import load_policy
from tests.scenarios.people import HANDOFF, contactable, feed, owes
from tests.warehouse.harness import Landing

D = date(2026, 11, 20)
ENV = {"COLLECTIONS_PAYLINK_SECRET": "ab" * 32}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("plan_confirmation"))
    for gid, paid in (("P_DEFAULTED", False), ("P_GOOD", True)):
        contactable(lz, gid, sms_consent_at="", email_consent_at="", phone="")  # mail only
        owes(lz, gid, D, 80, "600.00")
        lz.plan(
            f"PL-{gid}",
            gid,
            created_at="2026-09-01",
            installment_amount="100.00",
            installment_count=6,
            first_due_date="2026-09-15",
            status="active",
        )  # the export says active
        if paid:
            for k, day in enumerate(("2026-09-15", "2026-10-15", "2026-11-15")):
                lz.txn(f"T-{gid}-{k}", gid, f"E-{gid}", posted_at=day, amount="100.00", plan_id=f"PL-{gid}")
        else:  # paid the first, missed Oct 15 and Nov 15 (judged after their 3-day grace)
            lz.txn(f"T-{gid}-0", gid, f"E-{gid}", posted_at="2026-09-15", amount="100.00", plan_id=f"PL-{gid}")
    feed(lz, D)
    wh = lz.build(D, select=HANDOFF + " +int_plan_status")
    root = tmp_path_factory.mktemp("plan_confirmation_out")
    path, outbox = root / "warehouse.duckdb", root / "outbox"
    shutil.copy(wh.path, path)
    dispatch(
        "mail",
        warehouse=path,
        outbox=outbox,
        policy=load_policy(lz.policy_path()),
        as_of=D,
        now=lz.local(D, 9).astimezone(UTC),
        environ=ENV,
    )
    return wh, outbox / D.isoformat() / "statements"


def _pdf_text(folder, touch_id) -> str:
    return " ".join(PdfReader(str(folder / f"{touch_id}.pdf")).pages[0].extract_text().split())


def test_a_plan_exported_active_with_two_misses_is_defaulted(scenario):
    wh, _ = scenario
    states = dict(wh.rows("SELECT guarantor_id, plan_state FROM intermediate.int_plan_status"))
    assert states == {"P_DEFAULTED": "defaulted", "P_GOOD": "active"}


def test_the_letter_follows_the_computed_state(scenario):
    wh, folder = scenario
    rows = {
        r["guarantor_id"]: r
        for r in wh.dicts(
            "SELECT guarantor_id, touch_id, variant, plan_id FROM marts.fct_touch_audience WHERE step = 'statement_2'"
        )
    }
    assert (rows["P_DEFAULTED"]["variant"], rows["P_DEFAULTED"]["plan_id"]) == (None, None)
    assert (rows["P_GOOD"]["variant"], rows["P_GOOD"]["plan_id"]) == ("plan_confirmation", "PL-P_GOOD")
    defaulted = _pdf_text(folder, rows["P_DEFAULTED"]["touch_id"])
    assert "Your payment plan" not in defaulted and "Amount due" in defaulted
    assert "Your payment plan: 6 payments of $100.00" in _pdf_text(folder, rows["P_GOOD"]["touch_id"])
