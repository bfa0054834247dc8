"""End-to-end fixtures: a small generated clinic (with the --defects inputs) and the real
daily job run on it, once per module."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

AS_OF = date(2026, 11, 20)
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def run_daily(as_of: date = AS_OF):
    """The real daily job, in process, for one partition."""
    import dagster as dg
    from orchestration.definitions import defs
    from orchestration.settings import export_warehouse_path

    export_warehouse_path()
    job = defs.resolve_job_def("daily_job")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(partition_key=as_of.isoformat(), instance=instance,
                                      raise_on_error=False, run_config=QUIET)


def query(sql: str, params=None):
    con = duckdb.connect(os.environ["COLLECTIONS_WAREHOUSE_PATH"], read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def materialized(result) -> set[str]:
    return {e.event_specific_data.materialization.asset_key.to_user_string()
            for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}


@pytest.fixture(scope="session")
def clinic(tmp_path_factory, dbt_manifest):
    """A 150-guarantor clinic with every defect, and the environment pointed at it."""
    from orchestration.sample.generator import generate

    root = tmp_path_factory.mktemp("clinic")
    summary = generate(root / "landing", guarantors=150, seed=11, as_of=AS_OF, defects=True)
    env = {
        "COLLECTIONS_LANDING_DIR": str(root / "landing"),
        "COLLECTIONS_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "COLLECTIONS_OUTBOX_DIR": str(root / "outbox"),
        "COLLECTIONS_SERVING_DIR": str(root / "serving"),
        "COLLECTIONS_VAR_DIR": str(root / "var"),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield {"root": root, "summary": summary}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def first_run(clinic):
    """The daily job once on the session's clinic (shared by the e2e modules)."""
    result = run_daily()
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result
