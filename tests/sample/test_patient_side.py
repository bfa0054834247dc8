"""patient_side and payment_behaviour: the postings of every flow after the visit."""

from __future__ import annotations

from tests.sample.landing_reader import latest, read_kind


def test_transaction_types_reasons_and_methods(sample_clinic):
    root, _ = sample_clinic
    tx = list(latest(read_kind(root, "patient_transactions"), "transaction_id").values())
    types = {(t["type"], t["reason"]) for t in tx}
    assert ("refund", "") in types and ("payment_reversal", "") in types
    for reason in ("prompt_pay", "small_balance", "hardship_discount", "settlement", "admin"):
        assert ("adjustment", reason) in types, reason
    methods = {t["method"] for t in tx if t["type"] == "payment"}
    assert {"card", "card_on_file", "text_to_pay", "portal", "phone", "check", "cash"} <= methods
    assert any(t["encounter_id"] == "" for t in tx)  # on-account


def test_front_desk_copays_on_the_service_date(sample_clinic):
    """Front-desk copays are posted on the service date, before adjudication."""
    root, _ = sample_clinic
    tx = list(latest(read_kind(root, "patient_transactions"), "transaction_id").values())
    enc = latest(read_kind(root, "encounters"), "encounter_id")
    assert any(
        t["encounter_id"]
        and enc[t["encounter_id"]]["primary_payer_id"] != "SELFPAY"
        and t["posted_at"] == enc[t["encounter_id"]]["service_date"]
        for t in tx
    )


def test_transaction_ids_follow_time(sample_clinic):
    """T000000001 is the earliest posting; ids follow the posting date."""
    root, _ = sample_clinic
    tx = sorted(read_kind(root, "patient_transactions"), key=lambda t: t["transaction_id"])
    generated = [t for t in tx if t["transaction_id"][1:].isdigit() and t["transaction_id"] < "T9"]
    days = [t["posted_at"] for t in generated]
    assert days == sorted(days)
