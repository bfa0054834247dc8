"""Case 5 (issue 15): every block is known when the day's plan is made, so the daily cap is
never spent on a touch that cannot go out, and a re-run of the same date changes no
handed-off file (docs/rules.md §4 "Re-runs").

A guarantor on a payment plan has statement 2 (a plan confirmation) due and an installment
reminder text due the same day; the number on file is not a number a text can reach
(+1 000 555 0142: no US area code starts with 0) and there is no e-mail consent to fall back
on. The plan knows it: the reminder is skipped with invalid_phone and the letter takes the
day's one slot. The date is then run again: nothing new leaves, no file changes."""

from __future__ import annotations

import shutil
from datetime import UTC, date

import duckdb
import pytest

from orchestration.actions.outreach.dispatch import dispatch
from orchestration.policy.policy import load_policy
from orchestration.raw.schema import write_run_context
from tests.scenarios.people import HANDOFF, contactable, feed, owes, touches
from tests.warehouse.harness import Landing, Warehouse, dbt_build

pytestmark = pytest.mark.slow(runs=2)  # scheduling: tests/conftest.py

D = date(2026, 11, 20)
ENV = {"COLLECTIONS_PAYLINK_SECRET": "ab" * 32}
CHANNELS = ("card", "sms", "email", "mail", "phone")


def run_outreach(lz, path, outbox, hour: int):
    policy = load_policy(lz.policy_path())
    at = lz.local(D, hour).astimezone(UTC)
    return {
        c: dispatch(c, warehouse=path, outbox=outbox, policy=policy, as_of=D, now=at, environ=ENV) for c in CHANNELS
    }


def snapshot(path, outbox) -> tuple[dict, dict]:
    files = {p.relative_to(outbox).as_posix(): p.read_bytes() for p in outbox.rglob("*") if p.is_file()}
    ledger = dict(Warehouse(path).rows("SELECT touch_id, status FROM ops.send_ledger"))
    return files, ledger


@pytest.fixture(scope="module")
def day(tmp_path_factory, dbt_manifest):
    lz = Landing(tmp_path_factory.mktemp("rerun"))
    contactable(lz, "G_PLAN", phone="+1 000 555 0142", email_consent_at="")
    owes(lz, "G_PLAN", D, 36, "900.00")
    lz.plan(
        "PL-1",
        "G_PLAN",
        created_at="2026-10-20",
        installment_amount="300.00",
        installment_count=3,
        first_due_date="2026-11-22",
    )  # first installment due in two days
    feed(lz, D)
    wh = lz.build(D, select=HANDOFF)
    root = tmp_path_factory.mktemp("rerun_run")
    path, outbox = root / "warehouse.duckdb", root / "outbox"
    shutil.copy(wh.path, path)
    first_plan = touches(Warehouse(path), "G_PLAN")
    run_outreach(lz, path, outbox, 6)
    first = snapshot(path, outbox)
    con = duckdb.connect(str(path))  # the re-run of D, later in the day
    try:
        write_run_context(con, D, "rerun", lz.local(D, 11))
    finally:
        con.close()
    dbt_build(path, select=HANDOFF, indirect_selection="cautious")
    second_plan = touches(Warehouse(path), "G_PLAN")
    run_outreach(lz, path, outbox, 11)
    return {
        "first_plan": first_plan,
        "second_plan": second_plan,
        "first": first,
        "second": snapshot(path, outbox),
        "path": path,
    }


def test_the_plan_knows_the_number_is_bad_and_gives_the_slot_to_the_letter(day):
    plan = day["first_plan"]
    assert plan["plan_reminder"] == ("skipped", "invalid_phone")
    assert plan["statement_2"] == ("due", None)
    files, ledger = day["first"]
    assert any(name.endswith("statements/manifest.csv") for name in files)
    assert sorted(ledger.values()) == ["sent", "skipped", "skipped", "skipped", "skipped", "skipped"]


def test_a_rerun_of_the_date_changes_no_handed_off_file(day):
    files, ledger = day["first"]
    again_files, again_ledger = day["second"]
    assert again_files == files  # the same files, byte for byte; none added
    assert again_ledger == ledger
    assert day["second_plan"].get("plan_reminder") is None and day["second_plan"].get("statement_2") is None
