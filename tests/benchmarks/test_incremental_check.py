"""benchmarks/incremental_check.py: the comparison that says whether an incremental day's
tables equal a full rebuild's finds every differing row, both ways, and nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb

from benchmarks.incremental_check import differences, kept_by_runs


def _warehouse(path: Path, ledger: list[tuple], marts: list[tuple], extra: bool = False) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA marts; CREATE SCHEMA raw")
    con.execute("CREATE TABLE intermediate.ledger (g VARCHAR, amount DECIMAL(18, 2), history_loaded_at TIMESTAMP)")
    con.executemany("INSERT INTO intermediate.ledger VALUES (?, ?, ?)", ledger)
    con.execute("CREATE TABLE marts.aging (bucket VARCHAR, n INTEGER)")
    con.executemany("INSERT INTO marts.aging VALUES (?, ?)", marts)
    con.execute("CREATE TABLE raw.other (x INTEGER)")  # not a compared schema
    if extra:
        con.execute("CREATE TABLE marts.only_here (x INTEGER)")
    con.close()
    return path


def test_equal_tables_differ_only_by_their_build_marks(tmp_path):
    a = _warehouse(tmp_path / "a.duckdb", [("G1", 10, "2026-11-19"), ("G1", 10, "2026-11-19")], [("0-30", 2)])
    b = _warehouse(tmp_path / "b.duckdb", [("G1", 10, "2026-11-20"), ("G1", 10, "2026-11-20")], [("0-30", 2)])
    assert differences(a, b) == {"intermediate.ledger": 0, "marts.aging": 0}


def test_a_duplicate_a_changed_value_and_a_missing_table_are_counted(tmp_path):
    a = _warehouse(tmp_path / "a.duckdb", [("G1", 10, None), ("G1", 10, None)], [("0-30", 2)], extra=True)
    b = _warehouse(tmp_path / "b.duckdb", [("G1", 10, None)], [("0-30", 3)])
    assert differences(a, b) == {"intermediate.ledger": 1, "marts.aging": 2, "marts.only_here": -1}
    assert differences(a, b, skip=frozenset({"marts.aging", "marts.only_here"})) == {"intermediate.ledger": 1}


def test_the_phone_history_is_the_one_model_kept_by_runs():
    # the record of the numbers the runs saw: a rebuild from scratch cannot give it again
    assert kept_by_runs() == {"intermediate.int_guarantor_phone_history"}
