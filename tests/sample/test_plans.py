"""plans: payment plans and the installments paid (or missed) on them."""

from __future__ import annotations

from tests.sample.landing_reader import latest, plan_with_missed_installment, read_kind


def test_plan_statuses_card_on_file_and_missed_installments(sample_clinic):
    root, _ = sample_clinic
    plans = latest(read_kind(root, "payment_plans"), "plan_id").values()
    tx = list(latest(read_kind(root, "patient_transactions"), "transaction_id").values())
    statuses = {p["status"] for p in plans}
    assert {"active", "completed", "defaulted"} <= statuses
    assert any(p["card_on_file"] == "true" for p in plans)
    # a plan with a missed installment: an active plan whose payments lag its schedule
    assert plan_with_missed_installment(plans, tx)
    assert any(t["plan_id"] for t in tx)


def test_a_changed_plan_was_active_before(sample_clinic):
    """The history holds a plan that changed status on the as-of date as the active plan it was."""
    root, _ = sample_clinic
    before = {p["plan_id"]: p for p in read_kind(root, "payment_plans", "history")}
    for p in read_kind(root, "payment_plans", "delta"):
        if p["plan_id"] in before and p["status"] != "active":
            assert before[p["plan_id"]]["status"] == "active", p
