"""disputes: every reason and resolution, some still open."""

from __future__ import annotations

from orchestration.sample.vocabulary import DISPUTE_REASONS, DISPUTE_RESOLUTIONS
from tests.sample.landing_reader import latest, read_kind


def test_reasons_resolutions_and_open_disputes(sample_clinic):
    root, _ = sample_clinic
    disputes = latest(read_kind(root, "disputes"), "dispute_id").values()
    assert any(d["resolved_at"] == "" for d in disputes)
    assert {d["reason"] for d in disputes} == set(DISPUTE_REASONS)
    assert {d["resolution"] for d in disputes} >= set(DISPUTE_RESOLUTIONS)
    for d in disputes:
        assert (d["resolved_at"] == "") == (d["resolution"] == ""), d
