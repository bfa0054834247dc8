"""The same dbt project on DuckDB and on Apache Spark, from the same clinic, gives the same marts.

One generated clinic (150 guarantors, with the landing defects) goes through the real daily
job on DuckDB (its dbt tests left to the builds below), so the raw layer, the send ledger and the
placement ledger hold what a real day leaves. Then, from that one state:
  * `dbt build` on DuckDB (the default target);
  * the raw and ops tables exported as Parquet (orchestration.raw.export_parquet), registered
    on Spark (`dbt run-operation register_raw_parquet`) and `dbt build --target spark`
    (dbt-spark's session method: pyspark in local mode in this process).
Every model and every dbt test must pass on both; every mart must have the same columns, the
same row count, the same sums and (for marts up to EXACT_ROWS_MAX rows, all of them at this
size) the same rows. Runs only in `make test-spark`.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.core.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.spark

AS_OF = date(2026, 11, 20)
GUARANTORS = 150
EXACT_ROWS_MAX = 20_000
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _dbt(args: list[str], target_path: Path):
    """dbt in this process (the Spark session of the session method lives here too)."""
    from dbt.cli.main import dbtRunner

    full = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    res = dbtRunner().invoke(full)
    failures = [
        f"{r.node.name}: {r.status} {r.message}"
        for r in (getattr(res.result, "results", None) or [])
        if str(getattr(r, "status", "")) not in ("success", "pass", "skipped")
    ]
    assert res.success, f"dbt {' '.join(args)} failed:\n" + "\n".join(failures or [str(res.exception)])
    return res


def _daily_job() -> None:
    """The daily job for the state a real day leaves (raw layer, ledgers), without its dbt tests:
    the `dbt build` on each engine that follows runs every one of them."""
    import dagster as dg

    from tests.e2e.conftest import daily_job_without_dbt_tests

    job = daily_job_without_dbt_tests()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            partition_key=AS_OF.isoformat(), instance=instance, raise_on_error=False, run_config=QUIET
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]


def _norm(v):
    """One spelling per value across engines: numbers by value, dates and times as ISO text."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, (Decimal, float)):
        f = round(float(v), 6)
        return int(f) if f == int(f) else f
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _sort_key(row: tuple) -> tuple:
    return tuple(
        (x is None, type(x).__name__ if not isinstance(x, (int, float)) else "n", x if x is not None else 0)
        for x in row
    )


@pytest.fixture(scope="module")
def builds(spark_ready, dbt_manifest, build_timings, tmp_path_factory):
    """The clinic, the daily job, then dbt on both engines; yields how to read each side."""
    from orchestration.core.settings import export_warehouse_path, folder_env
    from orchestration.raw.export_parquet import export_raw
    from orchestration.sample.generator import generate
    from tests.warehouse.harness import _release_duckdb

    root = tmp_path_factory.mktemp("spark_parity")
    generate(root / "landing", guarantors=GUARANTORS, seed=11, as_of=AS_OF, defects=True)
    env = {**folder_env(root), "COLLECTIONS_SPARK_DIR": str(root / "spark"), "TZ": "UTC"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("SENDGRID_API_KEY", None)
    time.tzset()
    try:
        export_warehouse_path()
        _daily_job()  # raw layer, send ledger, placement ledger of a real day
        warehouse = root / "warehouse.duckdb"

        t0 = time.perf_counter()
        duck = _dbt(["build"], root / "target-duckdb")
        build_timings["duckdb: dbt build"] = time.perf_counter() - t0
        _release_duckdb()

        t0 = time.perf_counter()
        exported = export_raw(warehouse, root / "raw_parquet")
        build_timings["export raw+ops to Parquet"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        _dbt(
            [
                "run-operation",
                "register_raw_parquet",
                "--target",
                "spark",
                "--args",
                f"{{path: '{root / 'raw_parquet'}'}}",
            ],
            root / "target-spark",
        )
        build_timings["spark: start + register raw tables"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        spark_res = _dbt(["build", "--target", "spark"], root / "target-spark")
        build_timings["spark: dbt build"] = time.perf_counter() - t0

        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
        yield {"warehouse": warehouse, "spark": spark, "duck": duck, "spark_res": spark_res, "exported": exported}
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        time.tzset()


def _duck_tables(b) -> list[str]:
    con = duckdb.connect(str(b["warehouse"]), read_only=True)
    try:
        return [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()


def _duck_rows(b, table: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect(str(b["warehouse"]), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM marts.{table}")
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def _spark_rows(b, table: str) -> tuple[list[str], list[tuple]]:
    df = b["spark"].table(f"marts.{table}")
    return list(df.columns), [tuple(r) for r in df.collect()]


@pytest.fixture(scope="module")
def marts(builds):
    """{mart: ((duckdb columns, rows), (spark columns, rows))} for every mart."""
    spark_tables = sorted(r.tableName for r in builds["spark"].sql("SHOW TABLES IN marts").collect())
    duck_tables = _duck_tables(builds)
    assert spark_tables == duck_tables
    return {t: (_duck_rows(builds, t), _spark_rows(builds, t)) for t in duck_tables}


def test_every_model_and_test_passes_on_both(builds):
    def counts(res):
        out: dict[str, int] = {}
        for r in res.result.results:
            kind = r.node.resource_type
            out[str(kind)] = out.get(str(kind), 0) + 1
            assert str(r.status) in ("success", "pass"), f"{r.node.name}: {r.status} {r.message}"
        return out

    duck, spark = counts(builds["duck"]), counts(builds["spark_res"])
    assert duck == spark
    # one model_rules test per model holds its rules (docs/dbt-tests.md): ~120 tests, 420+ rules
    assert duck["model"] >= 50 and duck["test"] >= 100 and duck["seed"] >= 3


def test_export_holds_the_ledgers_the_models_read(builds):
    by_name = {f"{e.schema}.{e.table}": e.rows for e in builds["exported"]}
    assert by_name["ops.send_ledger"] > 0, "the daily job should have planned touches"
    assert by_name["raw.guarantors"] >= GUARANTORS  # the defects add a few
    assert by_name["raw.run_context"] == 1


def test_same_marts_same_columns_same_counts(marts):
    assert len(marts) >= 15
    for table, ((dcols, drows), (scols, srows)) in marts.items():
        assert dcols == scols, table
        assert len(drows) == len(srows), f"{table}: {len(drows)} rows on DuckDB, {len(srows)} on Spark"
    # the comparison means something only if the clinic fills the marts
    # (fct_touch_audience is empty here: the daily job already sent today's touches)
    for table in (
        "fct_encounter_balances",
        "fct_touches",
        "fct_queue_items",
        "fct_placement_eligibility",
        "dim_guarantor_status",
        "rpt_aging",
        "rpt_weekly_scorecard",
        "rpt_hold_report",
    ):
        assert marts[table][0][1], f"{table} is empty: nothing compared"


def test_same_sums_per_numeric_column(marts):
    for table, ((cols, drows), (_, srows)) in marts.items():
        for i, col in enumerate(cols):
            dvals = [r[i] for r in drows if r[i] is not None]
            if not dvals or not all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in dvals):
                continue
            svals = [r[i] for r in srows if r[i] is not None]
            assert len(dvals) == len(svals), f"{table}.{col}: null counts differ"
            assert round(sum(float(v) for v in dvals), 4) == round(sum(float(v) for v in svals), 4), (
                f"{table}.{col}: sums differ"
            )


def test_same_rows(marts):
    compared = 0
    for table, ((cols, drows), (_, srows)) in marts.items():
        if len(drows) > EXACT_ROWS_MAX:
            continue
        d = sorted((tuple(_norm(v) for v in r) for r in drows), key=_sort_key)
        s = sorted((tuple(_norm(v) for v in r) for r in srows), key=_sort_key)
        only_d = [r for r in d if r not in s][:3]
        only_s = [r for r in s if r not in d][:3]
        assert d == s, f"{table}: rows differ; columns {cols}\n  only on DuckDB: {only_d}\n  only on Spark:  {only_s}"
        compared += 1
    assert compared == len(marts)
