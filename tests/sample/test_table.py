"""table: numeric columns selected first and formatted as contract text last."""

from __future__ import annotations

from datetime import date

import numpy as np

from orchestration.sample.dates import DateFormatter, day_number
from orchestration.sample.table import (
    LazyTable,
    date_column,
    enum_column,
    first_of_each_run,
    id_column,
    int_column,
    money_column,
    text_column,
    timestamp_column,
)
from orchestration.sample.text import pick

DAY = day_number(date(2026, 11, 20))


def test_take_then_format_with_empty_cells():
    table = LazyTable(
        {
            "id": id_column("T", [1, 2, -1], 4),
            "kind": enum_column(("payment", "refund"), [1, -1, 0]),
            "amount": money_column([1234, 5, 99900], empty=[False, True, False]),
            "count": int_column([3, -1, 12]),
            "day": date_column([DAY, -1, DAY - 1]),
            "at": timestamp_column([DAY, DAY, -1], [3661, 0, 0]),
            "name": text_column(pick(["Ann", "Bo"], [0, 1, 0])),
        }
    )
    fmt = DateFormatter("America/Chicago", DAY - 10, DAY + 10)
    out = table.take([2, 0]).format(fmt, ["id", "kind", "amount", "count", "day", "at", "name"])
    assert out.to_pylist() == [
        {
            "id": None,
            "kind": "payment",
            "amount": "999.00",
            "count": "12",
            "day": "2026-11-19",
            "at": None,
            "name": "Ann",
        },
        {
            "id": "T0001",
            "kind": "refund",
            "amount": "12.34",
            "count": "3",
            "day": "2026-11-20",
            "at": "2026-11-20T01:01:01-06:00",
            "name": "Ann",
        },
    ]
    assert len(table) == 3
    assert table.replace(name=text_column(pick(["Cy"], [0, 0, 0]))).columns["name"].array.to_pylist() == ["Cy"] * 3


def test_first_of_each_run():
    assert first_of_each_run(np.array([1, 1, 2, 5, 5, 5])).tolist() == [0, 2, 3]
    assert first_of_each_run(np.array([], np.int64)).tolist() == []
