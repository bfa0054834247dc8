"""Day numbers, and the date and timestamp text of the sample files.

The generator counts days as integers from 1970-01-01 (a *day number*) and times as seconds of
the clinic-local day, so that millions of dates are numpy arithmetic. `DateFormatter` turns
them into the landing contract's text by table look-up: ``2026-11-20`` for a date,
``2026-11-20T14:05:09-06:00`` for a timestamp with the clinic's UTC offset on that day, or
``2026-11-20T20:05:09Z`` in UTC.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .text import join_text, null_where

EPOCH = date(1970, 1, 1)
SECONDS_PER_DAY = 86400


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


def add_months(days, months) -> np.ndarray:
    """Day numbers `months` calendar months later, the day of month kept or clamped to the
    month's last day (Jan 31 + 1 month = Feb 28)."""
    d = np.asarray(days, np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, np.int64)
    next_month_start = (target + 1).astype("datetime64[D]").astype(np.int64)
    target_start = target.astype("datetime64[D]").astype(np.int64)
    return np.minimum(target_start + day_of_month, next_month_start - 1)


def shift_months(d: date, months: int) -> date:
    """`d` moved by `months` calendar months, the day clamped to the month's last day."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year = d.year + years
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{(seconds % 3600) // 60:02d}"


class DateFormatter:
    """Date and timestamp text for the day numbers `first_day`..`last_day` of a clinic's zone
    (days outside the range are clamped to it; a negative day number is an empty cell)."""

    def __init__(self, clinic_tz: str, first_day: int, last_day: int):
        self.first_day, self.last_day = first_day, last_day
        days = np.arange(first_day, last_day + 1)
        iso = np.datetime_as_string(days.astype("datetime64[D]")).tolist()
        self._dates = pa.array(iso)
        self._dates_t = pa.array([d + "T" for d in iso])
        self._compact = pa.array([d.replace("-", "") for d in iso])
        zone = ZoneInfo(clinic_tz)
        offsets = []
        for number in days.tolist():
            d = day_date(number)
            noon = datetime(d.year, d.month, d.day, 12, tzinfo=zone)
            offsets.append(int(noon.utcoffset().total_seconds()))
        self._offset_seconds = np.array(offsets, np.int64)
        self._offsets = pa.array([_offset_text(o) for o in offsets])
        self._times = pa.array([f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}" for t in range(SECONDS_PER_DAY)])

    def _position(self, days) -> np.ndarray:
        i = np.asarray(days, np.int64) - self.first_day
        return np.clip(i, 0, self.last_day - self.first_day)

    def utc_offset_seconds(self, days):
        """The clinic's UTC offset (at noon) on each day, in seconds."""
        return self._offset_seconds[self._position(days)]

    def date(self, days) -> pa.Array:
        days = np.asarray(days, np.int64)
        return null_where(pc.take(self._dates, pa.array(self._position(days))), days < 0)

    def any_date(self, days) -> pa.Array:
        """Like `date`, for days outside the table's range too (birth dates); -1 is empty."""
        days = np.asarray(days, np.int64)
        text = pc.cast(pa.array(np.maximum(days, -(10**5)).astype(np.int32)).cast(pa.date32()), pa.string())
        return null_where(text, days == -1)

    def compact_date(self, days) -> pa.Array:
        """``CCYYMMDD`` (X12)."""
        return pc.take(self._compact, pa.array(self._position(days)))

    def timestamp(self, days, seconds, utc: bool = False) -> pa.Array:
        """ISO 8601 with the clinic's offset, or in UTC with ``Z``; a negative day is empty."""
        days = np.asarray(days, np.int64)
        seconds = np.asarray(seconds, np.int64)
        position = self._position(days)
        if utc:
            instant = days * SECONDS_PER_DAY + seconds - self._offset_seconds[position]
            utc_day, utc_second = instant // SECONDS_PER_DAY, instant % SECONDS_PER_DAY
            text = join_text(
                pc.take(self._dates_t, pa.array(self._position(utc_day))),
                pc.take(self._times, pa.array(utc_second)),
                "Z",
            )
        else:
            at = pa.array(position)
            text = join_text(
                pc.take(self._dates_t, at), pc.take(self._times, pa.array(seconds)), pc.take(self._offsets, at)
            )
        return null_where(text, days < 0)

    def timestamp_text(self, day: int, second: int) -> str:
        return self.timestamp(np.array([day]), np.array([second])).to_pylist()[0]
