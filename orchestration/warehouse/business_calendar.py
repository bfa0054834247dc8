"""The US federal holiday seed of the business-day calendar (refund due dates, docs/rules.md §7),
generated from the maintained ``holidays`` package (pinned in pyproject.toml), never typed by
hand.

``dbt_project/seeds/business_holidays.csv`` is this module's output, committed so dbt needs no
Python at build time and stays portable; ``int_business_days`` builds the calendar from it.
A test (tests/warehouse/test_business_calendar.py) fails when the committed seed differs
from what the pinned package generates, so upgrading ``holidays`` (or widening the years)
means running::

    .venv/bin/python -m orchestration.warehouse.business_calendar            # 2015-2040
    .venv/bin/python -m orchestration.warehouse.business_calendar --first 2015 --last 2045

Rows: the observed days off of federal offices (5 U.S.C. 6103; ``holidays.US`` with
``observed=True``): a holiday on a Saturday is off on the Friday before, on a Sunday the
Monday after; the weekend dates themselves are dropped (they are no business day anyway).
``holiday_year`` is the year of the holiday observed: New Year's Day on a Saturday is
observed on 31 December of the year before. A clinic with other closing days adds rows
(and keeps them when regenerating: ``--extra extra.csv``, same columns).
"""

from __future__ import annotations

import argparse
import csv
import io
from datetime import date
from pathlib import Path

from orchestration.core.settings import DBT_PROJECT_DIR

SEED_PATH = DBT_PROJECT_DIR / "seeds" / "business_holidays.csv"
COLUMNS = ("holiday_date", "holiday_year", "holiday_name")
FIRST_YEAR, LAST_YEAR = 2015, 2040


def federal_holidays(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> list[tuple[date, int, str]]:
    """(observed weekday off, holiday year, name) for the holidays of years first..last."""
    import holidays

    cal = holidays.US(years=range(first - 1, last + 2), observed=True)
    rows = []
    for day, name in sorted(cal.items()):
        if day.weekday() >= 5:
            continue
        year = day.year + 1 if (day.month, day.day) == (12, 31) else day.year
        if first <= year <= last:
            rows.append((day, year, name))
    return rows


def seed_csv(rows: list[tuple[date, int, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for day, year, name in rows:
        w.writerow([day.isoformat(), year, name])
    return buf.getvalue()


def read_extra(path: Path) -> list[tuple[date, int, str]]:
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [(date.fromisoformat(r["holiday_date"]), int(r["holiday_year"]), r["holiday_name"]) for r in reader]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=int, default=FIRST_YEAR)
    ap.add_argument("--last", type=int, default=LAST_YEAR)
    ap.add_argument("--extra", type=Path, help="CSV of clinic closing days to keep (same columns)")
    ap.add_argument("--out", type=Path, default=SEED_PATH)
    args = ap.parse_args(argv)
    if args.first > args.last:
        ap.error("--first must not be after --last")
    rows = federal_holidays(args.first, args.last)
    if args.extra:
        known = {r[0] for r in rows}
        rows = sorted(rows + [r for r in read_extra(args.extra) if r[0] not in known])
    args.out.write_text(seed_csv(rows), encoding="utf-8")
    print(f"{args.out}: {len(rows)} holidays, {args.first}-{args.last}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
