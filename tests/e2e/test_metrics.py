"""The semantic layer on the session clinic's first run (docs/metrics.md): `mf validate-configs`
passes, MetricFlow's answer for every §10 KPI and week (all guarantors and by segment) equals
rpt_weekly_scorecard's, the served metric definitions compute the same numbers from
metrics.duckdb alone, and none of it makes an outbound call (`mf`'s version check is patched
out by orchestration/serving/metrics.py)."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests import netguard
from tests.e2e.conftest import query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]
REPO = Path(__file__).resolve().parents[2]
WEEK = "observation__scorecard_week_ending__day"
SEGMENT = "observation__segment"
# the scorecard's values are numeric(…, 6): MetricFlow's doubles agree to half a unit of the 6th decimal
TOLERANCE = 5.1e-7


def _kpis() -> list[str]:
    with open(REPO / "dbt_project" / "seeds" / "scorecard_kpis.csv", newline="") as fh:
        return [r["kpi"] for r in csv.DictReader(fh)]


def _mf(*args: str) -> subprocess.CompletedProcess:
    """The documented command, in a subprocess (its own dbt state), on the clinic's warehouse."""
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.serving.metrics", *args],
        cwd=REPO,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _query_csv(tmp: Path, name: str, group_by: list[str]) -> list[dict]:
    out = tmp / f"{name}.csv"
    _mf("query", "--metrics", ",".join(_kpis()), "--group-by", ",".join(group_by), "--csv", str(out))
    with open(out, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def metricflow(first_run, tmp_path_factory):
    """`mf validate-configs` and the two queries, once for the module; the outbound calls they tried."""
    tmp = tmp_path_factory.mktemp("metrics")
    start = netguard.mark()
    validate = _mf("validate-configs")
    overall = _query_csv(tmp, "all", [WEEK])
    by_segment = _query_csv(tmp, "segments", [WEEK, SEGMENT])
    return {
        "validate": validate.stdout + validate.stderr,
        "all": overall,
        "segments": by_segment,
        "outbound": netguard.attempts(start),
    }


def _answers(rows: list[dict], segmented: bool) -> dict[tuple[str, str, str], float | None]:
    out = {}
    for r in rows:
        segment = (r[SEGMENT] or None) if segmented else "all"
        for kpi in _kpis():
            out[(r[WEEK][:10], segment, kpi)] = float(r[kpi]) if r[kpi] not in ("", None) else None
    return out


def _disagreements(mart: dict, answers: dict) -> list[str]:
    bad = []
    for key, expected in mart.items():
        got = answers.get(key)
        if expected is None or got is None:
            if expected is not got:
                bad.append(f"{key}: scorecard {expected}, MetricFlow {got}")
        elif abs(float(expected) - got) > TOLERANCE:
            bad.append(f"{key}: scorecard {expected}, MetricFlow {got}")
    return bad


def test_mf_validate_configs_passes_without_network(metricflow):
    text = metricflow["validate"]
    assert "Successfully validated the semantics of built manifest (ERRORS: 0" in text
    assert "Successfully validated metrics against data warehouse (ERRORS: 0" in text
    assert metricflow["outbound"] == []


def test_metricflow_equals_the_scorecard_for_every_kpi_and_week(metricflow):
    mart = {
        (str(w), s, k): v
        for w, s, k, v in query("SELECT week_ending, segment, kpi, value FROM marts.rpt_weekly_scorecard")
    }
    answers = {**_answers(metricflow["all"], segmented=False), **_answers(metricflow["segments"], segmented=True)}
    assert _disagreements(mart, answers) == []
    # not vacuous: every KPI has a value in some week for all guarantors (but the dispute
    # resolution time: the 150-guarantor clinic resolves no dispute in the window), and segments
    valued = {k for (_, s, k), v in mart.items() if s == "all" and v is not None}
    assert valued >= set(_kpis()) - {"dispute_resolution_time"}, set(_kpis()) - valued
    assert sum(1 for (_, s, _), v in mart.items() if s != "all" and v is not None) > 100


def test_served_metric_definitions_compute_the_scorecard_without_the_warehouse(metricflow):
    serving = Path(os.environ["COLLECTIONS_SERVING_DIR"])
    served = serving / "metrics.duckdb"
    assert stat.S_IMODE(served.stat().st_mode) == 0o600  # guarantor ids: private
    manifest = json.loads((serving / "metrics_semantic_manifest.json").read_text())
    assert set(_kpis()) <= {m["name"] for m in manifest["metrics"]}
    con = duckdb.connect(str(served), read_only=True)
    try:
        definitions = dict(con.execute("SELECT metric, sql_expression FROM metric_definitions").fetchall())
        assert set(_kpis()) <= set(definitions)
        computed = {}
        for kpi in _kpis():
            for week, value in con.execute(
                f"SELECT week_ending, {definitions[kpi]} FROM marts.fct_scorecard_observations GROUP BY 1"
            ).fetchall():
                computed[(str(week), "all", kpi)] = None if value is None else float(value)
    finally:
        con.close()
    mart = {
        (str(w), "all", k): v
        for w, k, v in query("SELECT week_ending, kpi, value FROM marts.rpt_weekly_scorecard WHERE segment = 'all'")
    }
    assert _disagreements(mart, computed) == []
