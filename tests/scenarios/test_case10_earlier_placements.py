"""Case 10 (issue 15): a guarantor placed before — in an earlier episode, or known only from
what the agency reports — is never eligible again (docs/rules.md §8 "Placement"); the mart,
the placement-review queue and the placement extract agree, because the extract reads the
mart (and its gate re-checks the placement ledger).

Three guarantors who would be placeable today: one never placed; one placed by the pipeline
400 days ago for an older visit (paid in full through the agency, a new episode since); one
whose only placement is in the agency's activity (acknowledged, then closed uncollectible,
before this episode began)."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.actions.placement import extract, run
from tests.warehouse.test_placement_queues_scorecard import AS_OF, PlacementLanding, ago, contactable, placeable

D = AS_OF


@pytest.fixture(scope="module")
def wh(tmp_path_factory, dbt_manifest):
    lz = PlacementLanding(tmp_path_factory.mktemp("earlier_placements"))
    contactable(lz, "FEED")
    lz.txn("T-FEED", "FEED", None, posted_at=ago(1), amount="5.00")
    placeable(lz, "X_CONTROL")
    placeable(lz, "X_EARLIER_EPISODE")
    lz.encounter("E-OLD", "X_EARLIER_EPISODE", service_date=ago(500), total_charge="400.00")
    lz.txn("T-OLD", "X_EARLIER_EPISODE", "E-OLD", posted_at=ago(350), amount="400.00", method="agency")
    lz.placement("PLC-OLD", "X_EARLIER_EPISODE", placed_at=ago(400), balance="400.00", encounter_id="E-OLD")
    lz.agency("AG-OLD", "X_EARLIER_EPISODE", occurred_at=ago(350), event="closed_paid", placement_id="PLC-OLD")
    placeable(lz, "X_AGENCY_ONLY")
    lz.agency("AG-1", "X_AGENCY_ONLY", occurred_at=ago(300), event="acknowledged", placement_id="HIST-9")
    lz.agency("AG-2", "X_AGENCY_ONLY", occurred_at=ago(250), event="closed_uncollectible", placement_id="HIST-9")
    return lz.build(
        D,
        select="+fct_placement_eligibility +int_placement_history +fct_queue_items +int_placement_encounters "
        "+int_plan_status +int_protective_flags",  # and what the placement extract reads
    )


def test_any_earlier_placement_blocks_eligibility(wh):
    rows = {
        r["guarantor_id"]: r
        for r in wh.dicts(
            "SELECT guarantor_id, eligible, failed_rules, was_placed_before FROM marts.fct_placement_eligibility "
            "WHERE guarantor_id LIKE 'X_%'"
        )
    }
    assert rows["X_CONTROL"]["eligible"] is True
    for gid in ("X_EARLIER_EPISODE", "X_AGENCY_ONLY"):
        assert (rows[gid]["eligible"], rows[gid]["failed_rules"], rows[gid]["was_placed_before"]) == (
            False,
            "already_placed",
            True,
        ), gid
    history = dict(
        wh.rows("SELECT placement_id, status FROM intermediate.int_placement_history WHERE guarantor_id LIKE 'X_%'")
    )
    assert history == {"PLC-OLD": "closed_paid", "HIST-9": "closed_uncollectible"}


def test_the_queue_and_the_extract_follow_the_mart(wh, tmp_path):
    review = {
        r[0]
        for r in wh.rows(
            "SELECT guarantor_id FROM marts.fct_queue_items "
            "WHERE queue = 'placement_review' AND guarantor_id LIKE 'X_%'"
        )
    }
    assert review == {"X_CONTROL"}
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        rows = extract.placement_rows(con, D)
    finally:
        con.close()
    placed = {r["guarantor_id"] for r in rows if r["guarantor_id"].startswith("X_")}
    assert placed == {"X_CONTROL"}
    assert all(not r["gate_placed_before"] for r in rows)
    assert run.gate(rows).success
