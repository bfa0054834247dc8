"""showcase: the hand-placed guarantors sit in the history files, dated before the as-of date."""

from __future__ import annotations

from tests.sample.landing_reader import AS_OF, read_kind


def test_showcase_rows_in_history(sample_clinic):
    root, summary = sample_clinic
    counts = summary["servicing_showcase"]
    assert counts == {
        "guarantors": 10,
        "encounters": 10,
        "patient_transactions": 6,
        "payment_plans": 3,
        "disputes": 1,
        "hardship": 3,
    }
    for kind, key, prefix in (
        ("guarantors", "guarantor_id", "G900000"),
        ("encounters", "encounter_id", "E9000000"),
        ("payment_plans", "plan_id", "PP900000"),
        ("hardship", "application_id", "HA900000"),
    ):
        rows = [r for r in read_kind(root, kind, "history") if r[key].startswith(prefix)]
        assert len(rows) == counts[kind], kind
        assert all(r["updated_at"][:10] < AS_OF.isoformat() for r in rows), kind
    card = next(r for r in read_kind(root, "guarantors", "history") if r["guarantor_id"] == "G90000003")
    assert card["card_on_file_consent_at"]
