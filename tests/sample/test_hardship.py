"""hardship: applications pending, approved (with a support period) and denied."""

from __future__ import annotations

from tests.sample.landing_reader import latest, read_kind


def test_outcomes_and_support_periods(sample_clinic):
    root, _ = sample_clinic
    hardship = latest(read_kind(root, "hardship"), "application_id").values()
    assert {h["outcome"] for h in hardship} == {"pending", "approved", "denied"}
    assert any(h["outcome"] == "approved" and h["support_start"] and h["support_end"] for h in hardship)
    for h in hardship:
        if h["discount_pct"]:
            assert h["relief"] == "reduction", h
