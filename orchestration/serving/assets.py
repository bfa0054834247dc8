"""Dagster wiring of the serving stage: after the marts and the day's outreach, publish what BI
tools (analytics.duckdb + Parquet, no direct identifiers) and staff tools (staff.duckdb) read,
swapped in atomically (orchestration/serving/publish.py)."""

import warnings

import dagster as dg

from orchestration.actions.assets import outreach_assets
from orchestration.partitions import daily_partitions
from orchestration.resources import CollectionsResource
from orchestration.serving.publish import ServingFile, publish

ANALYTICS = ServingFile("analytics.duckdb", ("rpt_aging", "rpt_weekly_scorecard", "rpt_huddle", "rpt_hold_counts"),
                        parquet=True, private=False)   # no direct identifiers (tests/reliability/test_phi.py)
STAFF = ServingFile("staff.duckdb", ("fct_queue_items", "rpt_hold_report", "dim_guarantor_contacts"))
SOURCES = sorted({t for f in (ANALYTICS, STAFF) for t in f.tables})


def _build() -> dg.AssetsDefinition:
    @dg.asset(key=["serving", "published"], group_name="serving", partitions_def=daily_partitions,
              backfill_policy=dg.BackfillPolicy.multi_run(1),
              deps=[dg.AssetKey(["marts", t]) for t in SOURCES] + [a.key for a in outreach_assets],
              description="analytics.duckdb (scorecard, aging, hold counts; Parquet copies) and staff.duckdb "
                          "(queues, hold report, contacts) in COLLECTIONS_SERVING_DIR, replaced atomically.",
              owners=["team:data-engineering"], kinds={"duckdb", "parquet"})
    def serving_files(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        counts = publish(collections.paths.warehouse, collections.paths.serving, (ANALYTICS, STAFF))
        return dg.MaterializeResult(metadata={f"{f}:{t}": n for f, tables in counts.items() for t, n in tables.items()})
    return serving_files


with warnings.catch_warnings():   # backfill_policy on @asset is beta; one date per run is what we want
    warnings.filterwarnings("ignore", message=".*backfill_policy.*")
    serving_files = _build()
