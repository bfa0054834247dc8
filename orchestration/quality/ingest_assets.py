"""Dagster wiring of the ingest stage: one multi-asset loads every new landing file into the
raw schema (keys ["raw", <table>], which dbt sources resolve to) and runs the Great
Expectations suite of each raw table on what this run loaded, as blocking checks.

It lives in quality/, not raw/, because it wires the raw loaders together with the raw gates:
quality may import raw, raw never imports quality (docs/architecture.md, "Layers")."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.core.asset_settings import daily_asset
from orchestration.core.partitions import is_backfill
from orchestration.core.resources import CollectionsResource
from orchestration.faults import crash_point
from orchestration.quality.gates import RawChecksAlongside, raw_table_checks
from orchestration.quality.great_expectations import prepare_in_background
from orchestration.raw.files import utcnow
from orchestration.raw.ingest import KIND_TABLES, end_of_day_utc, ingest
from orchestration.run_history import last_completed, out_of_order

RAW_TABLES = sorted({t for tables in KIND_TABLES.values() for t in tables}) + [
    "file_ledger",
    "load_rejects",
    "gate_failures",
    "policy",
    "policy_aging_buckets",
    "policy_cadence",
    "policy_plan_terms",
    "policy_settlement_approval",
]
DESCRIPTIONS = {
    "file_ledger": "Every landing file seen: status (loaded, quarantined, rejected_file, duplicate, refused, "
    "waiting…), reason, counts, warnings.",
    "load_rejects": "Rejected rows (CSV rows, SendGrid events): file, line, column and reason.",
    "gate_failures": "Raw quality gates that failed on a file: open until a corrected file arrives or a person "
    "releases it (python -m orchestration.release).",
    "policy": "The effective policy of the run (one row) and its version.",
}


@dg.multi_asset(
    name="ingest_landing",
    specs=[
        dg.AssetSpec(
            ["raw", t],
            group_name="ingest",
            owners=["team:data-engineering"],
            description=DESCRIPTIONS.get(t, f"Raw `{t}` from the landing zone (loaders in orchestration/raw/)."),
            kinds={"duckdb", "python"},
        )
        for t in RAW_TABLES
    ],
    check_specs=raw_table_checks(),
    can_subset=False,
    **daily_asset(),
)
def ingest_landing(context: dg.AssetExecutionContext, collections: CollectionsResource):
    """Load new landing files (835s, PM and ops CSVs, SendGrid events) into DuckDB. A backfill
    run loads only the files that had arrived by the end of its date, as its daily run did."""
    prepare_in_background()  # GE's import overlaps the loading, and so do its suites
    as_of = date.fromisoformat(context.partition_key)
    policy = collections.policy()
    today = datetime.now(ZoneInfo(policy.clinic_tz)).date()
    arrived_by = end_of_day_utc(as_of, policy.clinic_tz) if is_backfill(context) else None
    with collections.warehouse() as con:
        refused = None if is_backfill(context) else out_of_order(as_of, last_completed(con))
        if refused:  # runs in order (orchestration/run_history.py); the CLI refuses before this
            raise dg.Failure(description=f"refused: {refused}")
        gates = RawChecksAlongside(con, context.run_id)  # each kind's suite runs as soon as it is loaded
        try:
            report = ingest(
                con,
                collections.paths.landing,
                policy,
                today=today,
                as_of=as_of,
                run_id=context.run_id,
                progress=context.log.info,
                arrived_by=arrived_by,
                kind_done=lambda kind: [gates.table_loaded(t) for t in KIND_TABLES[kind]],
                started_at=_run_started_at(context),
            )
        except BaseException:
            gates.abandon()
            raise
        check_results = gates.results()
        if report.later:
            context.log.info(
                f"backfill: {len(report.later)} landing files arrived after {as_of} "
                "and wait for the runs of their dates"
            )
        for kind in KIND_TABLES:
            s = report.summary(kind)
            if s["files_new"]:
                context.log.info(f"{kind}: {s}")
        counts = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in RAW_TABLES}
        not_loaded = con.execute(
            "SELECT file_name, status, reason FROM raw.file_ledger WHERE load_run_id = ? AND status IN "
            "('quarantined', 'rejected_file', 'refused', 'waiting') ORDER BY file_name",
            [context.run_id],
        ).fetchall()
    crash_point("after_ingest")  # fault injection (orchestration/faults.py); no-op unless COLLECTIONS_CRASH_AT
    kind_of = {t: k for k, ts in KIND_TABLES.items() for t in ts}
    for t in RAW_TABLES:
        meta = {"dagster/row_count": counts[t], "policy_version": policy.version}
        if t in kind_of:
            meta.update({k: v for k, v in report.summary(kind_of[t]).items()})
        if t == "file_ledger" and not_loaded:  # the run summary lists them (orchestration/run.py)
            meta["files_not_loaded"] = [f"{n} ({s}): {r}" for n, s, r in not_loaded]
        yield dg.MaterializeResult(asset_key=["raw", t], metadata=meta)
    yield from check_results


def _run_started_at(context: dg.AssetExecutionContext) -> datetime:
    """The run's start (naive UTC), which the settle rule measures file times against."""
    record = context.instance.get_run_record_by_id(context.run_id)
    start = record.start_time if record is not None else None
    if start is None:
        return utcnow()
    return datetime.fromtimestamp(start, UTC).replace(tzinfo=None)
