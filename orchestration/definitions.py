"""The Dagster code location: the daily job over every stage.

landing → raw (orchestration/raw) → dbt staging/intermediate/marts (orchestration/warehouse)
→ actions and serving (later stages). Asset modules only wire; logic lives in the stage
packages and in dbt. This is the top layer (docs/architecture.md, "Layers"): it may import every
other one, and importing it changes nothing (no environment variable, no file): loading the code
location never fails on a bad policy or key, the run does, at its first step.
"""

from __future__ import annotations

import dagster as dg

from orchestration.actions.assets import AUDIENCE, outreach_assets, touch_audience_gate
from orchestration.actions.charges_assets import PLAN_CHARGES, card_charges
from orchestration.actions.keys import check_keys
from orchestration.actions.placement.assets import (
    ELIGIBILITY,
    PLACEMENTS,
    REFUND_ITEMS,
    SETTLEMENT_OFFERS,
    placement_assets,
)
from orchestration.core.partitions import daily_partitions
from orchestration.core.resources import CollectionsResource
from orchestration.quality.ingest_assets import ingest_landing
from orchestration.quality.landing_gate import landing_unchanged_gate
from orchestration.schedules import build_schedule, build_sensor
from orchestration.serving.assets import huddle_report, serving_files
from orchestration.warehouse.assets import warehouse_dbt
from orchestration.warehouse.project import dbt_resource


class DailyRunResource(CollectionsResource):
    """`CollectionsResource` that also checks the keys (orchestration/actions/keys.py) when a step
    starts: a malformed key -- or a missing one with COLLECTIONS_REQUIRE_KEYS=1 -- stops the run
    before any file is read or anything is sent."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        check_keys()


# Tables written by Python steps outside their own asset, read by dbt as sources: declared so
# that lineage shows their group, owner and description.
EXTERNAL_TABLES = [
    dg.AssetSpec(
        ["ops", "send_ledger"],
        group_name="outreach",
        owners=["team:billing-office"],
        description="The send ledger: every planned touch and its fate; never rebuilt by dbt.",
    ),
    dg.AssetSpec(
        ["ops", "placement_ledger"],
        group_name="placement",
        owners=["team:billing-office"],
        description="The placement ledger: every account placed with the agency (batch, balance, "
        "policy) and whether it was recalled; written by the placement stage, never rebuilt by dbt.",
    ),
    dg.AssetSpec(
        ["raw", "run_context"],
        group_name="ingest",
        owners=["team:data-engineering"],
        description="The as-of date and run id of the current run (one row), written before dbt builds.",
    ),
]

daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="The whole daily run for one as-of date: ingest, warehouse, gates.",
)

defs = dg.Definitions(
    assets=[
        ingest_landing,
        warehouse_dbt,
        *outreach_assets,
        card_charges,
        *placement_assets,
        serving_files,
        huddle_report,
        *EXTERNAL_TABLES,
    ],
    # the landing files are unchanged since loaded: checked on every mart a sending step reads
    asset_checks=[
        touch_audience_gate,
        landing_unchanged_gate([AUDIENCE, PLAN_CHARGES, ELIGIBILITY, PLACEMENTS, REFUND_ITEMS, SETTLEMENT_OFFERS]),
    ],
    jobs=[daily_job],
    schedules=[build_schedule(daily_job)],
    sensors=[build_sensor(daily_job)],
    resources={
        "collections": DailyRunResource(),
        "dbt": dbt_resource(),
    },
)
