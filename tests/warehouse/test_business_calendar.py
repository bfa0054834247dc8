"""The business-day calendar's holiday seed comes from the maintained `holidays` package:
the committed seed is exactly the generator's output (a stale seed fails here)."""

from __future__ import annotations

import csv
from datetime import date

from orchestration.warehouse import business_calendar as bc


def _seed() -> list[dict]:
    with bc.SEED_PATH.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_committed_seed_is_the_generators_output():
    assert bc.SEED_PATH.read_text(encoding="utf-8") == bc.seed_csv(bc.federal_holidays()), (
        "dbt_project/seeds/business_holidays.csv is stale: run "
        "`.venv/bin/python -m orchestration.warehouse.business_calendar`"
    )


def test_observed_days_off():
    rows = {r["holiday_date"]: r for r in _seed()}
    assert all(date.fromisoformat(d).weekday() < 5 for d in rows)  # weekdays only
    assert len([d for d in rows if d.startswith("2026-")]) == 11  # incl. Juneteenth
    assert "2020-06-19" not in rows and rows["2021-06-18"]["holiday_name"].startswith("Juneteenth")
    # New Year's Day 2022 (a Saturday) observed on Friday 31 Dec 2021, counted for 2022
    assert (rows["2021-12-31"]["holiday_year"], rows["2021-12-31"]["holiday_name"]) == (
        "2022",
        "New Year's Day (observed)",
    )
    assert rows["2026-07-03"]["holiday_name"] == "Independence Day (observed)"  # July 4 is a Saturday
    assert rows["2026-11-26"]["holiday_name"] == "Thanksgiving Day"
    years = {int(r["holiday_year"]) for r in rows.values()}
    assert (min(years), max(years)) == (bc.FIRST_YEAR, bc.LAST_YEAR)


def test_extra_closing_days_are_kept(tmp_path):
    extra = tmp_path / "extra.csv"
    extra.write_text("holiday_date,holiday_year,holiday_name\n2026-12-24,2026,Clinic closed\n")
    out = tmp_path / "seed.csv"
    assert bc.main(["--first", "2026", "--last", "2026", "--extra", str(extra), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["holiday_date"] for r in rows] == sorted(r["holiday_date"] for r in rows)
    assert {"2026-12-24", "2026-12-25", "2026-01-01"} <= {r["holiday_date"] for r in rows}
    assert len(rows) == 12
    bad = tmp_path / "bad.csv"
    bad.write_text("day,name\n2026-12-24,x\n")
    import pytest

    with pytest.raises(ValueError, match="missing column"):
        bc.main(["--first", "2026", "--last", "2026", "--extra", str(bad), "--out", str(out)])
