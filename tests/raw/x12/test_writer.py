"""orchestration/raw/x12/writer.py: amounts, and claims whose service lines each balance."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.raw.x12.writer import claim_blocks, fmt_amount, money_x12


def test_money():
    assert money_x12([0, 5, -1230, 123456]).to_pylist() == ["0.00", "0.05", "-12.30", "1234.56"]
    assert fmt_amount(-5) == "-0.05"


def test_service_lines_balance_each_line():
    """Two-line, one-line and claim-level claims; each SVC's charge - paid equals its CAS."""

    def text(values):
        return pa.array(values)

    zeros = np.zeros(3, np.int64)
    blocks, segments = claim_blocks(
        clp01=text(["E1", "E2", "E3"]),
        status=text(["1", "1", "1"]),
        charge=[10000, 10000, 10000],
        paid=[6000, 6000, 6000],
        resp=[1000, 1000, 1000],
        filing=text(["12"] * 3),
        clp07=text(["7"] * 3),
        last=text(["DOE"] * 3),
        first=text(["JO"] * 3),
        member=text(["M1"] * 3),
        service_date=text(["20261101"] * 3),
        co45=[3000, 3000, 3000],
        oa23=zeros,
        pr1=[1000, 1000, 1000],
        pr2=zeros,
        pr3=zeros,
        pr204=zeros,
        co_denial=zeros,
        co_denial_reason=text(["50"] * 3),
        svc_lines=[2, 1, 0],
        cpt1=text(["99213"] * 3),
        cpt2=text(["36415"] * 3),
        svc_split=[0.3, 0.3, 0.3],
    )
    two, one, claim_level = blocks.to_pylist()
    assert two.count("SVC*") == 2 and one.count("SVC*") == 1 and "SVC*" not in claim_level
    for block in (two, one):
        for line in block.split("SVC*")[1:]:
            segs = [s.split("*") for s in line.split("~")]
            charge, paid = float(segs[0][1]), float(segs[0][2])
            cas = sum(float(s[i + 1]) for s in segs if s[0] == "CAS" for i in range(2, len(s), 3))
            assert round(charge - paid, 2) == round(cas, 2), line
    assert segments.tolist()[2] == 5 and segments.tolist()[0] == segments.tolist()[1] + 4
