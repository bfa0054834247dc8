"""The dbt assets are grouped in the lineage UI by layer, and intermediate models by domain
folder (orchestration/warehouse/assets.py, `dbt_group_name`)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from orchestration.warehouse.assets import dbt_group_name

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"


def test_group_names_from_the_node_path():
    assert dbt_group_name({"resource_type": "source", "fqn": ["collections", "raw", "guarantors"]}) == "ingest"
    assert dbt_group_name({"resource_type": "seed", "fqn": ["collections", "state_timezones"]}) == "reference"
    assert dbt_group_name({"resource_type": "model", "fqn": ["collections", "staging", "stg_x"]}) == "staging"
    assert (
        dbt_group_name({"resource_type": "model", "fqn": ["collections", "intermediate", "balances", "int_x"]})
        == "intermediate_balances"
    )
    assert dbt_group_name({"resource_type": "model", "fqn": ["collections", "marts", "fct_x"]}) == "marts"
    spine = {"resource_type": "model", "fqn": ["collections", "metrics", "spine"], "config": {"schema": "marts"}}
    assert dbt_group_name(spine) == "marts"  # grouped by the schema it is built in


def test_the_definitions_group_every_dbt_model_by_layer_and_domain(dbt_manifest):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {key.path[-1]: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["stg_guarantors"] == "staging"
    assert groups["fct_touches"] == "marts" and groups["rpt_aging"] == "marts"
    assert groups["metricflow_time_spine"] == "marts"
    assert groups["guarantors"] == "ingest"  # source raw.guarantors, written by the loaders
    assert groups["state_timezones"] == "reference"
    nodes = json.loads(Path(dbt_manifest).read_text())["nodes"]
    ephemeral = {n["name"] for n in nodes.values() if n.get("config", {}).get("materialized") == "ephemeral"}
    # an ephemeral model is no relation, so no asset: its SQL is inlined in its readers (docs/dbt-tests.md)
    assert ephemeral == {"int_scorecard_facts"} and "int_scorecard_facts" not in groups
    for folder in sorted(p for p in (MODELS / "intermediate").iterdir() if p.is_dir()):
        for sql in folder.glob("*.sql"):
            if sql.stem not in ephemeral:
                assert groups[sql.stem] == f"intermediate_{folder.name}", sql.stem
    assert "warehouse" not in groups.values()
    assert graph.get(dg.AssetKey(["outreach", "sms_batch"])).group_name == "outreach"
