""" "Why you owe" from real 835s (../shared/data/x12-835): the encounters the files pay are in the
PM export, the files land, `dbt build` runs, and int_encounter_payers splits each encounter's
patient responsibility exactly as the file's CAS group PR segments of the effective
adjudication do (reason 1 deductible, 2 coinsurance, 3 copay, the rest other), to the cent."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.raw.x12 import parse_835_columns
from tests.scenarios.people import contactable, feed
from tests.warehouse.harness import Landing

SHARED = Path(__file__).parents[3] / "shared" / "data" / "x12-835"
D = date(2026, 11, 20)
BUCKET = {"1": "pr_deductible", "2": "pr_coinsurance", "3": "pr_copay"}


def _real_files() -> dict[Path, dict]:
    out, contents = {}, set()
    for p in sorted(SHARED.glob("*")) if SHARED.is_dir() else []:
        if p.read_bytes() in contents:  # the set has two files with the same bytes
            continue
        contents.add(p.read_bytes())
        try:
            cols, _, _ = parse_835_columns(p.read_bytes())
        except Exception:  # the quarantined ones of the conformance set
            continue
        if cols["claims"]["patient_control_number"]:
            out[p] = cols
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory, dbt_manifest):
    files = _real_files()
    if not files:
        pytest.skip("shared conformance data not present")
    lz = Landing(tmp_path_factory.mktemp("real835"))
    contactable(lz, "G-REAL")
    seen: set[str] = set()
    for cols in files.values():
        for pcn, charge in zip(cols["claims"]["patient_control_number"], cols["claims"]["charge"], strict=False):
            if pcn not in seen:
                seen.add(pcn)
                lz.encounter(
                    pcn, "G-REAL", service_date=(D - timedelta(days=400)).isoformat(), total_charge=str(charge)
                )
    feed(lz, D)
    landing = lz.write()
    era = landing / "era"
    era.mkdir(parents=True, exist_ok=True)
    arrived = datetime(D.year, D.month, D.day).timestamp() - 86400
    for p in files:
        target = era / f"real_{p.stem}.835"
        target.write_bytes(p.read_bytes())
        os.utime(target, (arrived, arrived))
    return lz.build(D, select="+int_encounter_payers +int_encounter_adjudications +stg_remittance_claims"), files


def test_pr_lines_equal_the_835_cas_pr_amounts(real):
    wh, files = real
    got = {
        r["encounter_id"]: r
        for r in wh.dicts(
            "SELECT p.*, a.remittance_claim_id FROM intermediate.int_encounter_payers AS p "
            "JOIN intermediate.int_encounter_adjudications AS a ON a.encounter_id = p.encounter_id AND a.is_effective"
        )
    }
    assert got, "no real claim matched an encounter"
    # the expected split, straight from the files' CAS PR rows of the effective claim
    by_claim: dict[str, dict[str, Decimal]] = {}
    expected: dict[str, dict[str, Decimal]] = {}
    claims = {
        r[0]: r[1:]
        for r in wh.rows("SELECT remittance_claim_id, file_sha256, claim_index FROM staging.stg_remittance_claims")
    }
    sha_to_cols = {hashlib.sha256(p.read_bytes()).hexdigest(): cols for p, cols in files.items()}
    for eid, r in got.items():
        sha, index = claims[r["remittance_claim_id"]]
        adj = sha_to_cols[sha]["adjustments"]
        split = {k: Decimal("0") for k in ("pr_deductible", "pr_coinsurance", "pr_copay", "pr_other")}
        for ci, group, reason, amount in zip(
            adj["claim_index"], adj["group_code"], adj["reason_code"], adj["amount"], strict=False
        ):
            if ci == index and group == "PR":
                split[BUCKET.get(reason, "pr_other")] += Decimal(str(amount))
        expected[eid] = split
        by_claim[eid] = {k: Decimal(str(r[k])) for k in split}
    assert by_claim == expected
    assert sum(sum(v.values()) for v in expected.values()) > 0  # real PR amounts were checked
