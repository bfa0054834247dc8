"""adjudication: the patient's responsibility after the insurers, as the pipeline computes it
from the 835s (latest effective adjudication; reversals cancel by CLP07; secondary wins)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from tests.sample.landing_reader import adjudications, latest, patient_resp, read_kind


def test_balances_make_sense(sample_clinic):
    """Compute encounter balances from the files alone; credits only where a refund flow exists."""
    root, _ = sample_clinic
    enc = latest(read_kind(root, "encounters"), "encounter_id")
    adj = adjudications(root)
    tx = latest(read_kind(root, "patient_transactions"), "transaction_id").values()
    post = defaultdict(Decimal)
    for t in tx:
        if t["encounter_id"]:
            s = -1 if t["type"] in ("payment", "adjustment") else 1
            post[t["encounter_id"]] += s * Decimal(t["amount"])
    pending = open_ = credit = 0
    for eid, e in enc.items():
        if e["primary_payer_id"] == "SELFPAY":
            resp = Decimal(e["total_charge"])
        else:
            resp, _ = patient_resp(adj.get(eid, []))
            if resp is None:
                pending += 1
                continue
        bal = resp + post[eid]
        open_ += bal > 0
        credit += bal < 0
    n = len(enc)
    assert 0.03 * n < pending < 0.4 * n
    assert open_ > 0.15 * n
    assert credit < 0.05 * n


def test_secondary_lowers_the_share_and_survives_a_late_reversal(sample_clinic):
    root, _ = sample_clinic
    adj = adjudications(root)
    # a secondary adjudication lowers the patient's share
    assert any(
        any(c["status"] == "2" for *_, c in v)
        and min(c["resp"] for *_, c in v if c["status"] == "2")
        < max(c["resp"] for *_, c in v if c["status"] in ("1", "19"))
        for v in adj.values()
        if len(v) > 1
    )
    # a primary reversed and re-adjudicated after the secondary: the secondary still stands
    assert any(
        any(c["status"] == "2" for *_, c in v)
        and max(pd for pd, _, _, c in v if c["status"] == "22") > min(pd for pd, _, _, c in v if c["status"] == "2")
        for v in adj.values()
        if any(c["status"] == "22" for *_, c in v)
    )
