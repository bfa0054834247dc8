"""Dagster wiring of the warehouse stage: every dbt model, seed and test as assets and
blocking checks (a failing `error` test skips its children), built for the partition's
as-of date (dbt var `as_of_date`)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from orchestration.core.asset_settings import daily_asset
from orchestration.core.clock import run_clock
from orchestration.core.resources import CollectionsResource
from orchestration.core.settings import dbt_threads_override, export_warehouse_path
from orchestration.faults import crash_points
from orchestration.raw.schema import write_run_context
from orchestration.warehouse.project import (
    MANIFEST,
    dbt_project,
    keep_partial_parse,
    prune_target,
    restore_partial_parse,
)
from orchestration.warehouse.rule_failures import is_rules_check, name_failing_rows
from orchestration.warehouse.static_nodes import (
    Recorded,
    StaticNodes,
    build_args,
    plan_static_build,
    record_static_build,
    static_nodes,
)
from orchestration.warehouse.threads import dbt_threads, raw_guarantors

LAYER_OWNERS = {
    "staging": "team:analytics-engineering",
    "intermediate": "team:analytics-engineering",
    "marts": "team:finance",
}


LAYERS = ("staging", "intermediate", "marts")


def dbt_group_name(dbt_resource_props: Mapping[str, Any]) -> str:
    """The lineage group of a dbt node, by layer (the schema it is built in, else its top
    folder) and, in intermediate/, by domain folder: `staging`, `intermediate_<folder>`
    (balances, cadence, contact, ...), `marts` (with the semantic layer's time spine, built
    there); seeds are `reference`, sources (the raw tables the loaders write) `ingest`."""
    resource_type = dbt_resource_props["resource_type"]
    if resource_type == "source":
        return "ingest"
    if resource_type == "seed":
        return "reference"
    fqn = list(dbt_resource_props.get("fqn") or [])  # [project, layer, (folder, ...), name]
    layer = (dbt_resource_props.get("config") or {}).get("schema") or (fqn[1] if len(fqn) > 2 else None)
    if layer == "intermediate" and len(fqn) > 3:
        return f"intermediate_{fqn[2]}"
    return layer if layer in LAYERS else "warehouse"


class CollectionsTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        layer = (dbt_resource_props.get("config") or {}).get("schema")
        return [LAYER_OWNERS.get(layer, "team:analytics-engineering")]


translator = CollectionsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=translator,
    name="warehouse_dbt",
    **daily_asset(),
)
def warehouse_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, collections: CollectionsResource):
    """`dbt build` for the partition's as-of date (and the run's start: orchestration/core/clock.py):
    staging → intermediate → marts, tests as gates. A failed `model_rules` test's check names
    its failing rules and keys (rule_failures.py). The views, seeds and time spine are left out
    while their definitions are unchanged (static_nodes.py): still materialized in Dagster. A
    large clinic's models are built one at a time (threads.py)."""
    prune_target()
    started = run_clock(context, collections.policy().clinic_tz).started_at  # docs/rules.md §4
    static = static_nodes(get_manifest_and_translator_from_dbt_assets([context.assets_def])[0])  # its manifest
    with collections.warehouse() as con:  # closed before dbt opens the file
        write_run_context(con, context.partition_key, context.run_id, started)
        skip, recorded = plan_static_build(con, static, subset=context.is_subset)
        guarantors = raw_guarantors(con)
    threads = dbt_threads(guarantors, dbt_threads_override())  # threads.py
    context.log.info(f"dbt builds {threads} model(s) at a time ({guarantors:,} guarantors loaded)")
    warehouse = export_warehouse_path()  # dbt's profile reads the loaders' warehouse path from the environment
    restore_partial_parse(warehouse)  # the last parse made on this path, if kept
    if skip:
        yield from _unchanged(context, static, recorded)
    build = dbt.cli([*build_args(static, skip), "--threads", str(threads)], context=context)
    failed_rules = []  # named after the build: dbt holds the warehouse file while it runs
    try:
        for event in crash_points("mid_dbt", build.stream()):  # faults.py: no-op unless set
            if is_rules_check(event):
                failed_rules.append(event)
            else:
                yield event
    except Exception:
        # a failed test makes dbt exit with an error, which fails the step: its checks first
        yield from _named(failed_rules, collections, build.target_path)
        raise
    else:
        yield from _named(failed_rules, collections, build.target_path)
        if not skip and not context.is_subset:
            with collections.warehouse() as con:
                record_static_build(con, static, context.run_id)
    finally:
        keep_partial_parse(build.target_path, warehouse)  # the next run skips dbt's full parse


def _unchanged(context: dg.AssetExecutionContext, static: StaticNodes, recorded: Recorded):
    """The static models and seeds left out of this build: materialized as they stand (the
    relation the recorded run built, unchanged), so the lineage shows them and the assets
    downstream of them run."""
    for props in static.assets:
        key = translator.get_asset_key(props)
        if key in context.selected_asset_keys:
            meta = {"rebuilt": False, "built_by_run": recorded.run_id or ""}
            yield dg.MaterializeResult(asset_key=key, metadata=meta)


def _named(events, collections: CollectionsResource, target):
    for event in events:
        yield name_failing_rows(event, collections.paths.warehouse, target, MANIFEST)
