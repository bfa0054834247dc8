"""dates: day numbers, calendar months, and the contract's date and timestamp text."""

from __future__ import annotations

from datetime import date

import numpy as np

from orchestration.sample.dates import DateFormatter, add_months, day_date, day_number, shift_months


def days(*isos: str) -> np.ndarray:
    return np.array([day_number(date.fromisoformat(s)) for s in isos])


def test_day_numbers_round_trip():
    assert day_number(date(1970, 1, 1)) == 0
    assert day_date(day_number(date(2026, 11, 20))) == date(2026, 11, 20)


def test_months_clamp_to_the_last_day():
    moved = add_months(days("2026-01-31", "2028-01-31", "2026-03-15", "2026-12-31"), [1, 1, -1, 2])
    assert [day_date(d).isoformat() for d in moved] == ["2026-02-28", "2028-02-29", "2026-02-15", "2027-02-28"]
    assert shift_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert shift_months(date(2026, 11, 20), 2) == date(2027, 1, 20)


def test_timestamps_carry_the_clinic_offset_of_the_day():
    fmt = DateFormatter("America/Chicago", day_number(date(2026, 1, 1)), day_number(date(2026, 12, 31)))
    winter, summer = days("2026-01-15", "2026-07-15")
    text = fmt.timestamp([winter, summer, -1], [9 * 3600, 23 * 3600 + 30 * 60, 0]).to_pylist()
    assert text == ["2026-01-15T09:00:00-06:00", "2026-07-15T23:30:00-05:00", None]
    utc = fmt.timestamp([winter, summer], [9 * 3600, 23 * 3600 + 30 * 60], utc=True).to_pylist()
    assert utc == ["2026-01-15T15:00:00Z", "2026-07-16T04:30:00Z"]
    assert fmt.timestamp_text(int(winter), 61) == "2026-01-15T00:01:01-06:00"
    assert fmt.utc_offset_seconds(np.array([winter, summer])).tolist() == [-6 * 3600, -5 * 3600]


def test_dates_compact_dates_and_birth_dates():
    fmt = DateFormatter("America/Chicago", day_number(date(2026, 1, 1)), day_number(date(2026, 12, 31)))
    assert fmt.date(days("2026-02-03").tolist() + [-1]).to_pylist() == ["2026-02-03", None]
    assert fmt.compact_date(days("2026-02-03")).to_pylist() == ["20260203"]
    assert fmt.any_date(np.r_[days("1931-05-06"), -1]).to_pylist() == ["1931-05-06", None]
