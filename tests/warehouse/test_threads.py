"""How many models the daily job's dbt build runs at once (orchestration/warehouse/threads.py)."""

import duckdb
import pytest

from orchestration.warehouse.threads import ONE_AT_A_TIME_FROM, dbt_threads, raw_guarantors


def test_a_small_clinic_builds_two_models_at_once_a_large_one_one_at_a_time():
    assert dbt_threads(0) == 2
    assert dbt_threads(150) == 2
    assert dbt_threads(200_000) == 2
    assert dbt_threads(ONE_AT_A_TIME_FROM - 1) == 2
    assert dbt_threads(ONE_AT_A_TIME_FROM) == 1
    assert dbt_threads(1_000_000) == 1


def test_the_setting_wins_and_a_bad_one_is_refused():
    assert dbt_threads(1_000_000, "2") == 2
    assert dbt_threads(150, "1") == 1
    assert dbt_threads(150, "") == 2  # set but empty: the job chooses
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match="COLLECTIONS_DBT_THREADS"):
            dbt_threads(150, bad)


def test_raw_guarantors_counts_the_loaded_rows(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert raw_guarantors(con) == 0  # before the first load
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.guarantors AS SELECT range AS guarantor_id FROM range(1234)")
    assert raw_guarantors(con) == 1234
    con.close()
