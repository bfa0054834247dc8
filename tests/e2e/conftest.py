"""End-to-end helpers: the real daily job in process, queries on the session's warehouse.

The session's clinic and its first daily run (`clinic`, `first_run`) are fixtures of
tests/conftest.py: tests/reliability/test_phi.py scans that same run. `rerun` is the one
re-run of the same date that the modules checking what a re-run leaves alone share."""

from __future__ import annotations

import functools
import os
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

AS_OF = date(2026, 11, 20)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def scheduled_start(as_of: date) -> datetime:
    """06:00 clinic time on `as_of`: when the schedule starts the daily run of that date."""
    from orchestration.core.clock import nominal_start
    from orchestration.core.settings import Paths
    from orchestration.policy.policy import load_policy

    return nominal_start(as_of, load_policy(Paths.from_env().policy).clinic_tz)


def scheduled_run_tags(as_of: date, started_at: datetime | None = None) -> dict[str, str]:
    """The tags of a run started at `started_at`, by default as the daily schedule starts it
    (06:00 clinic time: the day's contact windows still ahead). A test that hands off pins its
    run so, or it fails after 21:00 in the clinic's zone, where every touch is deferred
    (orchestration/core/clock.py, docs/rules.md §4)."""
    from orchestration.core.clock import CLOCK_TAG

    return {CLOCK_TAG: (started_at or scheduled_start(as_of)).isoformat()}


def run_daily(
    as_of: date = AS_OF,
    *,
    run_config: dict | None = None,
    logs: list | None = None,
    started_at: datetime | None = None,
    dbt_tests: bool = True,
):
    """The real daily job, in process, for one partition, started (orchestration/core/clock.py) at
    `started_at` — by default the schedule's 06:00 clinic time on `as_of`, so the contact
    window of the day is open whatever the real hour. dbt partial-parses from the project's
    saved parse (tests/dbt_parse_cache.py); `logs`, when given, receives the run's event-log
    entries. `dbt_tests=False`: the job without the dbt tests (`daily_job_without_dbt_tests`),
    for a test of a later gate on data whose dbt tests another run of the session makes."""
    import dagster as dg

    from orchestration.core.settings import export_warehouse_path
    from orchestration.definitions import defs
    from tests.dbt_parse_cache import partial_parse_for

    warehouse = export_warehouse_path()
    job = defs.resolve_job_def("daily_job") if dbt_tests else daily_job_without_dbt_tests()
    tags = scheduled_run_tags(as_of, started_at)
    with partial_parse_for(warehouse), dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            partition_key=as_of.isoformat(),
            instance=instance,
            raise_on_error=False,
            run_config=run_config or QUIET,
            tags=tags,
        )
        if logs is not None:
            logs.extend(instance.all_logs(result.run_id))
        return result


@functools.cache
def daily_job_without_dbt_tests():
    """The daily job with every asset and the Great Expectations gates, without the dbt tests:
    they gate, they change no mart, and they are half of a run's time. For tests that need what a
    run leaves (marts, ledgers, outbox) and run the dbt tests elsewhere (the session clinic's first
    run; the Spark parity test's own `dbt build`)."""
    import dagster as dg

    from orchestration.definitions import daily_job, defs
    from orchestration.warehouse.assets import warehouse_dbt

    job = dg.define_asset_job(
        "daily_job",
        selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*warehouse_dbt.check_keys),
        partitions_def=daily_job.partitions_def,
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=defs.resources, jobs=[job]
    ).resolve_job_def("daily_job")


def run_stage(start, as_of: date = AS_OF):
    """The daily job from one step on, without ingest and dbt: `start` (a Python asset's
    `AssetKey`, or a mart's `AssetCheckKey`: that check) and every Python asset it feeds (the
    channels, the placement files, the serving copy), in process, started at the schedule's 06:00
    on `as_of`; the same asset and check definitions as the daily job (orchestration/definitions.py).
    For a test of what a failing gate stops, on a copy of a warehouse whose marts a real daily run
    of the date built (the session clinic's first run; `placed` in test_placement_outputs): the
    gate and the steps after it read those marts; nothing before the gate is under test."""
    import dagster as dg

    from orchestration.definitions import daily_job, defs
    from orchestration.warehouse.assets import warehouse_dbt

    if isinstance(start, dg.AssetCheckKey):
        after = dg.AssetSelection.assets(start.asset_key).downstream(include_self=False)
        selection = (after - dg.AssetSelection.assets(*warehouse_dbt.keys)) | dg.AssetSelection.checks(start)
    else:
        selection = dg.AssetSelection.assets(start).downstream() - dg.AssetSelection.assets(*warehouse_dbt.keys)
    job = dg.define_asset_job(
        "daily_job", selection=selection, partitions_def=daily_job.partitions_def, executor_def=dg.in_process_executor
    )
    resolved = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=defs.resources, jobs=[job]
    ).resolve_job_def("daily_job")
    with dg.DagsterInstance.ephemeral() as instance:
        return resolved.execute_in_process(
            partition_key=as_of.isoformat(),
            instance=instance,
            raise_on_error=False,
            run_config=QUIET,
            tags=scheduled_run_tags(as_of),
        )


@contextmanager
def environment(env: dict[str, str | None]):
    """The process environment with `env` set (None: unset) for the block, then as it was."""
    old = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def query(sql: str, params=None):
    con = duckdb.connect(os.environ["COLLECTIONS_WAREHOUSE_PATH"], read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def materialized(result) -> set[str]:
    return {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def _rerun_state(day: Path) -> dict:
    """What a re-run of the date must leave as it was."""
    return {
        "file_ledger_rows": query("SELECT count(*) FROM raw.file_ledger")[0][0],
        "remittance_claims": query("SELECT count(*), sum(patient_responsibility) FROM raw.remittance_claims"),
        "rpt_aging": query("SELECT aging_bucket, encounters, guarantors, dollars FROM marts.rpt_aging ORDER BY 1"),
        "send_ledger": dict(query("SELECT touch_id, status FROM ops.send_ledger")),
        "outbox_files": sorted(p.relative_to(day).as_posix() for p in day.rglob("*") if p.is_file()),
    }


@pytest.fixture(scope="session")
def rerun(first_run):
    """The daily job once more on the first run's date and warehouse; the state before and after."""
    day = Path(os.environ["COLLECTIONS_OUTBOX_DIR"]) / AS_OF.isoformat()
    before = _rerun_state(day)
    result = run_daily()
    return {"result": result, "before": before, "after": _rerun_state(day)}
