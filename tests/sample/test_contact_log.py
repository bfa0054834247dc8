"""contact_log: the clinic's own touches and the incidents the protective rules must see."""

from __future__ import annotations

from tests.sample.landing_reader import read_kind


def test_outcomes_and_promises(sample_clinic):
    root, _ = sample_clinic
    contacts = read_kind(root, "contact_log")
    outcomes = {c["outcome"] for c in contacts}
    assert {
        "returned_mail",
        "wrong_number",
        "bounced",
        "promise_to_pay",
        "dispute_raised",
        "complaint",
        "connected",
    } <= outcomes
    assert any(c["promised_amount"] and c["promised_date"] for c in contacts if c["outcome"] == "promise_to_pay")


def test_times_are_utc_within_calling_hours(sample_clinic):
    """The call-centre tool writes UTC; an entry is updated after it occurred."""
    root, _ = sample_clinic
    for c in read_kind(root, "contact_log"):
        assert c["occurred_at"].endswith("Z") and c["updated_at"].endswith("Z"), c
        assert c["updated_at"] > c["occurred_at"], c
