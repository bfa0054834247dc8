"""Lineage a finance lead can read: every asset has a stage group, a description and an
owner; previews are only built for the identifier-free tables."""

from __future__ import annotations

import duckdb

from orchestration.serving.lineage import markdown_table, table_metadata

STAGES = {"ingest", "reference", "staging", "marts", "outreach", "placement", "serving"}


def test_every_asset_has_a_stage_group_a_description_and_an_owner():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert len(keys) > 90
    for key in keys:
        node = graph.get(key)
        assert node.group_name in STAGES or node.group_name.startswith("intermediate_"), key
        assert node.description and node.description.strip(), key
        assert node.owners, key
    checks = {k.name for k in graph.asset_check_keys}
    assert {"ge_raw_guarantors", "ge_touch_audience"} <= checks and any(c.startswith("model_rules_") for c in checks)


def test_published_tables_are_analytics_only_for_previews():
    from orchestration.serving.assets import ANALYTICS, STAFF

    assert set(ANALYTICS.tables) == {
        "rpt_aging",
        "rpt_weekly_scorecard",
        "rpt_huddle",
        "rpt_hold_counts",
        "rpt_dispute_root_causes",
        "rpt_move_scorecard",
        "rpt_cohort_yield",
    }
    assert not set(ANALYTICS.tables) & set(STAFF.tables)


def test_table_metadata_counts_rows_and_previews_five(tmp_path):
    db = tmp_path / "a.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE rpt_aging AS SELECT range AS bucket_order, 'b|' || range AS aging_bucket FROM range(8)")
    con.close()
    meta = table_metadata(db, ("rpt_aging",), preview=True)["rpt_aging"]
    assert meta["dagster/row_count"] == 8
    lines = meta["preview"].value.splitlines()
    assert lines[0] == "| bucket_order | aging_bucket |" and len(lines) == 2 + 5
    assert lines[2] == "| 0 | b\\|0 |"  # pipes escaped
    assert "preview" not in table_metadata(db, ("rpt_aging",), preview=False)["rpt_aging"]
    assert markdown_table(["a"], [(None,)]).splitlines()[-1] == "|  |"
