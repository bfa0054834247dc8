"""The Dagster code location: the daily job over every stage.

landing → raw (orchestration/raw) → dbt staging/intermediate/marts (orchestration/warehouse)
→ actions and serving (later stages). Asset modules only wire; logic lives in the stage
packages and in dbt.
"""

from __future__ import annotations

import dagster as dg

from orchestration.actions.assets import outreach_assets, touch_audience_gate
from orchestration.actions.charges_assets import card_charges
from orchestration.actions.placement.assets import placement_assets
from orchestration.partitions import daily_partitions
from orchestration.raw.assets import ingest_landing
from orchestration.resources import CollectionsResource
from orchestration.schedules import build_schedule, build_sensor
from orchestration.serving.assets import serving_files
from orchestration.settings import export_warehouse_path
from orchestration.warehouse.assets import warehouse_dbt
from orchestration.warehouse.project import dbt_resource

export_warehouse_path()

daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=dg.in_process_executor,
    description="The whole daily run for one as-of date: ingest, warehouse, gates.",
)

defs = dg.Definitions(
    assets=[ingest_landing, warehouse_dbt, *outreach_assets, card_charges, *placement_assets, serving_files,
            dg.AssetSpec(["ops", "send_ledger"], group_name="outreach",
                         description="The send ledger: every planned touch and its fate; never rebuilt by dbt.")],
    asset_checks=[touch_audience_gate],
    jobs=[daily_job],
    schedules=[build_schedule(daily_job)],
    sensors=[build_sensor(daily_job)],
    resources={
        "collections": CollectionsResource(),
        "dbt": dbt_resource(),
    },
)
