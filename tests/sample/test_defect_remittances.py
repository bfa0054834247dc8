"""defect_remittances: each 835 defect file has its fault and only that one (read with the
independent parser of landing_reader.py)."""

from __future__ import annotations

import numpy as np

from orchestration.sample.defect_catalogue import DEFECT_FILES
from orchestration.sample.defect_remittances import pick_claims
from orchestration.sample.generator import generate
from tests.sample.landing_reader import parse_835, read_kind


def test_835_defects_behave_as_documented(sample_clinic):
    root, summary = sample_clinic
    a = (root / "era/defect_duplicate_a.835").read_bytes()
    assert a == (root / "era/defect_duplicate_b.835").read_bytes()
    trunc = parse_835((root / "era/defect_truncated.835").read_text())
    assert "truncated" in trunc["problems"]
    unb = parse_835((root / "era/defect_unbalanced.835").read_text())
    assert [p for p in unb["problems"] if p.startswith("unbalanced ST 0001")]
    assert not [p for p in unb["problems"] if "ST 0002" in p]
    se = parse_835((root / "era/defect_bad_se_count.835").read_text())
    assert any(p.startswith("SE count") for p in se["problems"])
    assert not [p for p in se["problems"] if p.startswith("unbalanced")]
    mism = parse_835((root / "era/defect_control_mismatch.835").read_text())
    assert mism["problems"] == ["IEA"]
    assert "ZZZ*" in (root / "era/defect_unknown_segment.835").read_text()
    for name in (
        "defect_duplicate_a.835",
        "defect_missing_bpr16.835",
        "defect_version_4010.835",
        "defect_unmatched_claim.835",
        "defect_unknown_segment.835",
    ):
        res = parse_835((root / "era" / name).read_text())
        assert not [p for p in res["problems"] if p.startswith(("unbalanced", "SE", "GE", "IEA", "trunc"))], name
    assert parse_835((root / "era/defect_missing_bpr16.835").read_text())["transactions"][0]["bpr16"] is None


def test_835_defects_name_real_encounters(sample_clinic):
    root, summary = sample_clinic
    enc_ids = {r["encounter_id"] for r in read_kind(root, "encounters")}
    unm = parse_835((root / "era/defect_unmatched_claim.835").read_text())
    assert [c["clp01"] for c in unm["claims"]] == ["EDEF-NO-SUCH-ENCOUNTER"]
    for v in summary["defects"]["era"].values():
        for key in ("held", "loaded", "clp01"):
            assert set(v.get(key, [])) <= enc_ids


def test_tiny_clinic_still_writes_every_835_defect(tmp_path):
    """One guarantor with a single claim: the eight copies repeat it."""
    summary = generate(tmp_path / "tiny", guarantors=1, seed=1, defects=True)
    assert summary["era_claims"] == 1
    for f in DEFECT_FILES:
        assert (tmp_path / "tiny" / f).exists(), f
    copies = summary["defects"]["era"]["defect_truncated.835"]["clp01"]
    assert len(copies) == 4 and len(set(copies)) == 1


def test_pick_claims_repeats_few_and_skips_none():
    one = {
        "encounter": np.array([0]),
        "status": np.array([1]),
        "paid": np.array([500]),
        "day": np.array([9]),
        "payer": np.array([2]),
    }
    assert pick_claims(one, 1) == [0] * 8
    none = {name: np.zeros(0, np.int64) for name in one}
    assert pick_claims(none, 1) == []
