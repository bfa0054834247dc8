"""encounters: visits in the window, and the legacy self-pay visits older than a year."""

from __future__ import annotations

from datetime import date

from tests.sample.landing_reader import AS_OF, latest, read_kind


def test_old_self_pay_balances_and_weekday_visits(sample_clinic):
    root, _ = sample_clinic
    enc = latest(read_kind(root, "encounters"), "encounter_id").values()
    # old self-pay balances (older than a year) exist for the credit-bureau rule
    assert any(
        e["primary_payer_id"] == "SELFPAY" and (AS_OF - date.fromisoformat(e["service_date"])).days >= 365 for e in enc
    )
    weekend = sum(date.fromisoformat(e["service_date"]).weekday() >= 5 for e in enc)
    assert weekend < 0.1 * len(enc)


def test_claims_are_submitted_for_insured_visits_only(sample_clinic):
    root, _ = sample_clinic
    for e in latest(read_kind(root, "encounters"), "encounter_id").values():
        if e["primary_payer_id"] == "SELFPAY":
            assert e["claim_submitted_at"] == "" and e["secondary_payer_id"] == "", e
        elif e["claim_submitted_at"]:
            assert e["service_date"] < e["claim_submitted_at"] <= AS_OF.isoformat(), e
