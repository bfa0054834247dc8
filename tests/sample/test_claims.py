"""claims: every adjudication as a CLP, with the statuses, denials and service lines real
remittances carry."""

from __future__ import annotations

from tests.sample.landing_reader import adjudications


def test_claim_statuses_denials_and_service_lines(sample_clinic):
    root, _ = sample_clinic
    claims = [c for v in adjudications(root).values() for (_, _, _, c) in v]
    st = {c["status"] for c in claims}
    assert {"1", "2", "4", "22"} <= st
    assert any(c["svc"] for c in claims)
    assert any(c["status"] == "4" and c["resp"] == c["charge"] for c in claims)
    assert any(c["status"] == "4" and c["resp"] == 0 for c in claims)
