"""agency: what the collection agency reports back on placed accounts."""

from __future__ import annotations

from tests.sample.landing_reader import read_kind


def test_agency_events(sample_clinic):
    root, _ = sample_clinic
    agency = read_kind(root, "agency_activity")
    assert {a["event"] for a in agency} >= {"acknowledged", "payment", "closed_paid"}
    for a in agency:
        assert (a["amount"] != "") == (a["event"] == "payment"), a
