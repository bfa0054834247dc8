"""orchestration/quality/gates.py fetch_frame: the rows a raw gate validates, converted a chunk
at a time, are the very frame `.df()` gives (values, dtypes, order, nulls), also with no row
and with a single chunk."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.quality.gates import fetch_frame, release_freed_memory


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i, 'x' || i AS s, DATE '2020-01-01' + i::INTEGER AS d, "
        "(i / 3)::DECIMAL(18, 2) AS a, CASE WHEN i % 7 = 0 THEN NULL ELSE 'y' END AS n FROM range(50000) r(i)"
    )
    yield con
    con.close()


def test_chunks_make_the_frame_df_makes(con):
    frame = fetch_frame(con, "SELECT * FROM t WHERE i >= ? ORDER BY i", [10], vectors=3)  # 6,144 rows a chunk
    assert len(frame) == 49990
    assert frame["i"].iloc[[0, -1]].tolist() == [10, 49999]
    pd.testing.assert_frame_equal(frame, con.execute("SELECT * FROM t WHERE i >= 10 ORDER BY i").df())


def test_one_chunk_and_no_rows(con):
    one = fetch_frame(con, "SELECT * FROM t WHERE i < 5 ORDER BY i")
    pd.testing.assert_frame_equal(one, con.execute("SELECT * FROM t WHERE i < 5 ORDER BY i").df())
    empty = fetch_frame(con, "SELECT * FROM t WHERE i < 0")
    assert len(empty) == 0
    assert list(empty.columns) == ["i", "s", "d", "a", "n"]


def test_releasing_freed_memory_keeps_live_frames(con):
    frame = fetch_frame(con, "SELECT s FROM t ORDER BY i", vectors=1)
    release_freed_memory()
    assert frame["s"].iloc[-1] == "x49999"
