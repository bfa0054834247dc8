"""The weekly huddle page (pure rendering) and the week's data-quality results (read back from
a real Dagster instance)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from orchestration.serving.huddle import CheckLine, HuddleData, KpiLine, RunLine, render_huddle
from orchestration.serving.quality import quality_csv, week_quality

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "scorecard_kpis.csv"
WEEK = date(2026, 11, 15)


def seed_kpis() -> list[dict]:
    with open(SEED, newline="") as fh:
        return list(csv.DictReader(fh))


def huddle_data() -> HuddleData:
    """Every KPI of the seed: the first four are wins, the next four slips, the rest flat."""
    lines = []
    for i, k in enumerate(seed_kpis()):
        section = "win" if i < 4 else "slip" if i < 8 else "flat"
        up = k["healthy_direction"] == "up"
        last = 10.0
        change = {"win": 2.0 if up else -2.0, "slip": -1.0 - i if up else 1.0 + i, "flat": 0.0}[section]
        trend = tuple((WEEK - timedelta(weeks=w), (last + change) if w == 0 else last - w) for w in range(5, -1, -1))
        lines.append(
            KpiLine(
                kpi=k["kpi"],
                unit=k["unit"],
                healthy_direction=k["healthy_direction"],
                this_week_value=last + change,
                last_week_value=last,
                change=change,
                relative_change=change / last,
                section=section,
                section_order={"win": 1, "slip": 2, "flat": 3}[section],
                kpi_order=int(k["kpi_order"]),
                is_suggested_change=(i == 7),
                suggested_change=k["suggested_change"] if i == 7 else None,
                trend=trend,
            )
        )
    return HuddleData(
        week_ending=WEEK,
        as_of_date=date(2026, 11, 20),
        policy_version="v-test",
        kpis=lines,
        runs=[
            RunLine("2026-11-19", "r1" * 8, "FAILURE", checks=3, failed=1),
            RunLine("2026-11-20", "r2" * 8, "STARTED", checks=3, warned=1),
        ],
        checks=[
            CheckLine(
                "2026-11-19",
                "r1" * 8,
                "raw/guarantors",
                "ge_raw_guarantors",
                False,
                "ERROR",
                "expect_column_values_to_not_be_null(guarantor_id): 2 rows",
            ),
            CheckLine("2026-11-20", "r2" * 8, "marts/fct_touch_audience", "ge_touch_audience", False, "WARN", ""),
        ],
    )


def parse(page: str) -> ET.Element:
    assert page.startswith("<!DOCTYPE html>")
    return ET.fromstring(page.split("\n", 1)[1])  # well-formed markup: parses as XML


def test_every_kpi_is_on_the_page_wins_before_slips():
    data = huddle_data()
    page = render_huddle(data)
    root = parse(page)
    rows = [e.get("data-kpi") for e in root.iter("tr") if e.get("data-kpi")]
    assert sorted(rows) == sorted(k["kpi"] for k in seed_kpis())  # every KPI, once
    sections = [s.get("id") for s in root.iter("section")]
    assert sections == ["wins", "slips", "flats", "change", "quality"]
    by_section = {
        s.get("id"): [e.get("data-kpi") for e in s.iter("tr") if e.get("data-kpi")] for s in root.iter("section")
    }
    assert by_section["wins"] == [k.kpi for k in data.kpis if k.section == "win"]
    assert by_section["slips"] == [k.kpi for k in data.kpis if k.section == "slip"]
    assert page.index('id="wins"') < page.index('id="slips"') < page.index('id="change"')
    # one chart per KPI, inline (self-contained: no script, no external reference)
    assert len([e for e in root.iter("{http://www.w3.org/2000/svg}svg")]) == len(rows)
    assert (
        "<script" not in page
        and "src=" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_suggested_change_is_the_flagged_slip_with_its_text():
    data = huddle_data()
    root = parse(render_huddle(data))
    (change,) = [s for s in root.iter("section") if s.get("id") == "change"]
    (box,) = [e for e in change.iter("div")]
    suggested = next(k for k in data.kpis if k.is_suggested_change)
    assert box.get("data-kpi") == suggested.kpi
    assert suggested.suggested_change in "".join(box.itertext())


def test_values_and_changes_are_formatted_by_unit():
    page = render_huddle(huddle_data())
    # text_to_pay_share (unit share, up) goes 10 → 12: shown as percent and points
    assert "1200.0%" in page and "+200.0 points (+20%)" in page
    # days_to_first_contact (days, down) 10 → 8
    assert "8.0 days" in page and "-2.0 days (-20%)" in page


def test_no_slip_no_suggestion_and_unknown_section_refused():
    data = huddle_data()
    data.kpis = [k for k in data.kpis if k.section != "slip"]
    page = render_huddle(data)
    assert "No KPI slipped this week" in page and "None this week." in page
    data.kpis.append(KpiLine("x", "days", "down", 1, 2, -1, -0.5, "maybe", 9, 99))
    with pytest.raises(ValueError, match="maybe"):
        render_huddle(data)


def test_quality_section_lists_failed_runs_and_checks():
    root = parse(render_huddle(huddle_data()))
    (q,) = [s for s in root.iter("section") if s.get("id") == "quality"]
    text = " ".join(q.itertext())
    assert "2 run(s), 6 check results" in text and "1 failed check(s)" in text and "1 failed run(s)" in text
    assert "ge_raw_guarantors" in text and "guarantor_id): 2 rows" in text
    assert "running (this report)" in text


def test_no_person_level_data_on_the_page():
    """The page is built from KPI aggregates only: nothing in HuddleData can hold a guarantor."""
    page = render_huddle(huddle_data())
    assert "guarantor_id" not in page.replace("expect_column_values_to_not_be_null(guarantor_id)", "")
    assert "$" not in page


# ---------------------------------------------------------------- data quality, real instance


def _job():
    parts = dg.DailyPartitionsDefinition(start_date="2026-11-01")

    @dg.asset(
        partitions_def=parts,
        check_specs=[dg.AssetCheckSpec("rows_ok", asset="table_a"), dg.AssetCheckSpec("dates_ok", asset="table_a")],
    )
    def table_a(context):
        bad = context.partition_key == "2026-11-18"
        yield dg.Output(1)
        yield dg.AssetCheckResult(
            check_name="rows_ok", passed=not bad, metadata={"dagster_dbt/failed_row_count": 3} if bad else {}
        )
        yield dg.AssetCheckResult(check_name="dates_ok", passed=False, severity=dg.AssetCheckSeverity.WARN)

    defs = dg.Definitions(assets=[table_a], jobs=[dg.define_asset_job("daily_job", partitions_def=parts)])
    return defs.resolve_job_def("daily_job")


def test_week_quality_reads_every_run_of_the_week_back():
    job = _job()
    with dg.instance_for_test() as instance:
        for day in ("2026-11-12", "2026-11-13", "2026-11-18", "2026-11-20"):
            job.execute_in_process(partition_key=day, instance=instance, raise_on_error=False)
        runs, checks = week_quality(instance, "daily_job", date(2026, 11, 20))
    assert [r.as_of_date for r in runs] == ["2026-11-18", "2026-11-20"]  # 14th..20th only
    assert [(r.checks, r.failed, r.warned) for r in runs] == [(2, 1, 1), (2, 0, 1)]
    failed = [c for c in checks if not c.passed and c.severity == "ERROR"]
    assert [(c.as_of_date, c.asset, c.check, c.detail) for c in failed] == [
        ("2026-11-18", "table_a", "rows_ok", "3 failing row(s)")
    ]
    rows = list(csv.DictReader(io.StringIO(quality_csv(runs, checks))))
    assert len(rows) == 4 and {r["run_status"] for r in rows} == {"SUCCESS"}
    assert sum(r["passed"] == "false" for r in rows) == 3


def test_every_kpi_of_the_seed_has_a_consistent_label():
    import csv
    from pathlib import Path

    from orchestration.serving.huddle import KPI_LABELS

    seed = Path(__file__).parents[2] / "dbt_project" / "seeds" / "scorecard_kpis.csv"
    kpis = [r["kpi"] for r in csv.DictReader(seed.open())]
    assert sorted(KPI_LABELS) == sorted(kpis)
    assert KPI_LABELS["agency_recoveries"] == "Agency recoveries"
    assert all(label[0].isupper() for label in KPI_LABELS.values())
