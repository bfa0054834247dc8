"""Dagster wiring of the serving stage: after the marts and the day's outreach, publish what BI
tools (analytics.duckdb + Parquet, no direct identifiers) and staff tools (staff.duckdb) read,
swapped in atomically (orchestration/serving/publish.py); then the weekly huddle report and the
week's data-quality results in the outbox's reports/ folder (huddle.py, quality.py)."""

from datetime import date

import dagster as dg

from orchestration.actions.assets import outreach_assets
from orchestration.actions.files import atomic_write
from orchestration.core.asset_settings import daily_asset, daily_assets
from orchestration.core.partitions import is_backfill
from orchestration.core.resources import CollectionsResource
from orchestration.raw.schema import ensure_schema
from orchestration.run_history import record_completed
from orchestration.serving.huddle import read_huddle, render_huddle
from orchestration.serving.lineage import table_metadata
from orchestration.serving.publish import ServingFile, publish, published_as_of, write_marker
from orchestration.serving.quality import quality_csv, week_quality
from orchestration.serving.semantic import add_metric_definitions, load_manifest, write_served_manifest

ANALYTICS = ServingFile(
    "analytics.duckdb",
    (
        "rpt_aging",
        "rpt_weekly_scorecard",
        "rpt_huddle",
        "rpt_hold_counts",
        "rpt_dispute_root_causes",
        "rpt_move_scorecard",
        "rpt_cohort_yield",
    ),
    parquet=True,
    private=False,
)  # no direct identifiers (tests/reliability/test_phi.py)
STAFF = ServingFile("staff.duckdb", ("fct_queue_items", "rpt_hold_report", "dim_guarantor_contacts"))
# the semantic layer's tables and metric definitions (private: the observations carry guarantor
# ids); its manifest is written beside it (orchestration/serving/semantic.py, docs/metrics.md)
METRICS = ServingFile(
    "metrics.duckdb",
    ("fct_scorecard_observations", "metricflow_time_spine"),
    schema="marts",
    extra=lambda con: add_metric_definitions(con, load_manifest()),
)
DAILY_JOB = "daily_job"  # the week's data quality is read from this job's runs
SOURCES = sorted({t for f in (ANALYTICS, STAFF, METRICS) for t in f.tables})


def _build() -> dg.AssetsDefinition:
    @dg.asset(
        key=["serving", "published"],
        group_name="serving",
        deps=[dg.AssetKey(["marts", t]) for t in SOURCES] + [a.key for a in outreach_assets],
        description="analytics.duckdb (scorecard, aging, hold counts; Parquet copies) and staff.duckdb "
        "(queues, hold report, contacts) in COLLECTIONS_SERVING_DIR, replaced atomically.",
        owners=["team:data-engineering"],
        kinds={"duckdb", "parquet"},
        **daily_asset(),
    )  # the pool: it reads the warehouse, not while another process writes it
    def serving_files(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths, as_of = collections.paths, date.fromisoformat(context.partition_key)
        published = published_as_of(paths.serving)
        if published is not None and as_of < published:  # never backwards (publish.py)
            context.log.warning(f"serving files left as of {published}: this run is for {as_of}, an earlier date")
            _completed(collections, as_of, context)
            return dg.MaterializeResult(
                metadata={
                    "skipped": f"serving stays as of {published} (newer than {as_of})",
                    "folder": dg.MetadataValue.path(str(paths.serving)),
                }
            )
        counts = publish(paths.warehouse, paths.serving, (ANALYTICS, STAFF, METRICS))
        write_served_manifest(paths.serving, load_manifest())
        write_marker(paths.serving, as_of, context.run_id)
        _completed(collections, as_of, context)
        # lineage: row counts of every published mart, a preview of the identifier-free ones
        for key, meta in table_metadata(paths.serving / ANALYTICS.name, ANALYTICS.tables, preview=True).items():
            context.log_event(dg.AssetObservation(asset_key=["marts", key], metadata=meta))
        for key, n in {**counts[STAFF.name], **counts[METRICS.name]}.items():
            context.log_event(dg.AssetObservation(asset_key=["marts", key], metadata={"dagster/row_count": n}))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": sum(n for tables in counts.values() for n in tables.values()),
                "folder": dg.MetadataValue.path(str(paths.serving)),
                **{f"{f}:{t}": n for f, tables in counts.items() for t, n in tables.items()},
            }
        )

    return serving_files


def _completed(collections: CollectionsResource, as_of: date, context: dg.AssetExecutionContext) -> None:
    """The run got through publishing: record its date (runs in order, orchestration/run_history.py)."""
    with collections.warehouse() as con:
        ensure_schema(con)
        record_completed(con, as_of, context.run_id, is_backfill(context))


def _build_huddle() -> dg.AssetsDefinition:
    @dg.asset(
        key=["serving", "huddle_report"],
        group_name="serving",
        deps=[["serving", "published"]],
        description="The weekly huddle page <outbox>/<date>/reports/huddle_<week_ending>.html (wins, "
        "slips, one suggested change, data quality of the week) and data_quality_<date>.csv "
        "(every check result of the week's runs).",
        owners=["team:finance"],
        kinds={"html"},
        **daily_asset(pool=False),
    )
    def huddle_report(context: dg.AssetExecutionContext, collections: CollectionsResource) -> dg.MaterializeResult:
        paths, as_of = collections.paths, date.fromisoformat(context.partition_key)
        published = published_as_of(paths.serving)
        if published is not None and published != as_of:  # the serving files are another date's
            context.log.info(f"serving files are as of {published}, not {as_of}: no huddle report")
            return dg.MaterializeResult(metadata={"week_ending": "none"})
        data = read_huddle(paths.serving / ANALYTICS.name)
        if data is None:
            context.log.info("no complete week in the scorecard yet: no huddle report")
            return dg.MaterializeResult(metadata={"week_ending": "none"})
        data.runs, data.checks = week_quality(context.instance, DAILY_JOB, as_of)
        reports = paths.outbox / as_of.isoformat() / "reports"
        page = atomic_write(reports / f"huddle_{data.week_ending}.html", render_huddle(data), overwrite=True)
        atomic_write(reports / f"data_quality_{as_of}.csv", quality_csv(data.runs, data.checks), overwrite=True)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(page)),
                "week_ending": str(data.week_ending),
                "wins": sum(k.section == "win" for k in data.kpis),
                "slips": sum(k.section == "slip" for k in data.kpis),
                "suggested_change": next((k.kpi for k in data.kpis if k.is_suggested_change), "none"),
                "checks_of_the_week": len(data.checks),
                "failed_or_warned_checks_of_the_week": sum(not c.passed for c in data.checks),
            }
        )

    return huddle_report


with daily_assets():
    serving_files = _build()
    huddle_report = _build_huddle()
