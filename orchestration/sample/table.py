"""Lazily formatted tables: columns kept as numbers until a file is written.

A landing file holds a selection of rows (the history, one day's delta, the previous version
of rows updated later), so each kind is built once as a `LazyTable` of numeric columns; rows
are selected with `take` and only the selected ones become text (`format`). `TableRows` adds
what the writer needs to split a kind into history and daily deltas.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from .dates import DateFormatter
from .text import enum_text, id_text, money_text, null_where, number_text


class NumericColumn:
    """A column kept as numpy arrays (named in `arrays`, one entry per row) until formatted."""

    arrays: tuple[str, ...] = ()

    def take(self, rows):
        return replace(self, **{name: getattr(self, name)[rows] for name in self.arrays})

    def __len__(self):
        return len(getattr(self, self.arrays[0]))


@dataclass(frozen=True, eq=False)
class IdColumn(NumericColumn):
    prefix: str
    numbers: np.ndarray
    width: int
    arrays = ("numbers",)

    def text(self, dates: DateFormatter) -> pa.Array:
        return id_text(self.prefix, self.numbers, self.width)


@dataclass(frozen=True, eq=False)
class EnumColumn(NumericColumn):
    labels: tuple[str, ...]
    codes: np.ndarray
    arrays = ("codes",)

    def text(self, dates: DateFormatter) -> pa.Array:
        return enum_text(self.codes, self.labels)


@dataclass(frozen=True, eq=False)
class TimestampColumn(NumericColumn):
    days: np.ndarray
    seconds: np.ndarray
    utc: bool
    arrays = ("days", "seconds")

    def text(self, dates: DateFormatter) -> pa.Array:
        return dates.timestamp(self.days, self.seconds, utc=self.utc)


@dataclass(frozen=True, eq=False)
class DateColumn(NumericColumn):
    days: np.ndarray
    any_day: bool = False  # outside the formatter's range too (birth dates)
    arrays = ("days",)

    def text(self, dates: DateFormatter) -> pa.Array:
        return dates.any_date(self.days) if self.any_day else dates.date(self.days)


@dataclass(frozen=True, eq=False)
class MoneyColumn(NumericColumn):
    cents: np.ndarray
    empty: np.ndarray
    arrays = ("cents", "empty")

    def text(self, dates: DateFormatter) -> pa.Array:
        return null_where(money_text(np.maximum(self.cents, 0)), self.empty)


@dataclass(frozen=True, eq=False)
class IntColumn(NumericColumn):
    values: np.ndarray  # negative: empty
    arrays = ("values",)

    def text(self, dates: DateFormatter) -> pa.Array:
        return null_where(number_text(np.maximum(self.values, 0)), self.values < 0)


@dataclass(frozen=True, eq=False)
class TextColumn:
    """A column already text (names, addresses)."""

    array: pa.Array

    def take(self, rows):
        return replace(self, array=self.array.take(pa.array(rows)))

    def text(self, dates: DateFormatter) -> pa.Array:
        return self.array

    def __len__(self):
        return len(self.array)


def id_column(prefix: str, numbers, width: int) -> IdColumn:
    return IdColumn(prefix, np.asarray(numbers, np.int64), width)


def enum_column(labels, codes) -> EnumColumn:
    return EnumColumn(tuple(labels), np.asarray(codes, np.int64))


def timestamp_column(days, seconds, utc: bool = False) -> TimestampColumn:
    return TimestampColumn(np.asarray(days, np.int64), np.asarray(seconds, np.int64), utc)


def date_column(days) -> DateColumn:
    return DateColumn(np.asarray(days, np.int64))


def birth_date_column(days) -> DateColumn:
    return DateColumn(np.asarray(days, np.int64), any_day=True)


def money_column(cents, empty=None) -> MoneyColumn:
    cents = np.asarray(cents, np.int64)
    return MoneyColumn(cents, np.zeros(len(cents), bool) if empty is None else np.asarray(empty, bool))


def int_column(values) -> IntColumn:
    return IntColumn(np.asarray(values, np.int64))


def text_column(array: pa.Array) -> TextColumn:
    return TextColumn(array)


class LazyTable:
    """Named numeric columns of equal length, formatted to text on demand."""

    def __init__(self, columns: dict):
        self.columns = columns

    def take(self, rows) -> LazyTable:
        rows = np.asarray(rows, np.int64)
        return LazyTable({name: column.take(rows) for name, column in self.columns.items()})

    def replace(self, **columns) -> LazyTable:
        return LazyTable({**self.columns, **columns})

    def __len__(self):
        return len(next(iter(self.columns.values())))

    def format(self, dates: DateFormatter, order: list[str]) -> pa.Table:
        return pa.Table.from_arrays([self.columns[name].text(dates) for name in order], names=order)


@dataclass
class TableRows:
    """One landing kind, ready to split into a history file and daily deltas: its rows, the
    previous version of each row (what the PM system exported before the row's last update;
    None when rows never change), and each row's last-update and creation days."""

    rows: LazyTable
    previous: LazyTable | None
    updated_day: np.ndarray
    created_day: np.ndarray


def first_of_each_run(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each run of equal keys in a sorted key array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
