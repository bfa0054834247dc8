"""What finance leads open after the session's daily run: the scorecard notebook executes on
the serving files, and the weekly huddle report is in the outbox with every KPI."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.e2e.conftest import AS_OF, query

pytestmark = [pytest.mark.e2e, pytest.mark.session_clinic]
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "scorecard.ipynb"


@pytest.fixture
def venv_kernel(tmp_path, monkeypatch) -> str:
    """A Jupyter kernel spec that runs this interpreter (the project's venv)."""
    spec = tmp_path / "jupyter" / "kernels" / "collections-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "collections venv",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "collections-venv"


def test_scorecard_notebook_draws_its_figures(first_run, venv_kernel, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "store the notebook without outputs"
    serving = Path(os.environ["COLLECTIONS_SERVING_DIR"])
    assert (serving / "analytics.duckdb").exists()
    NotebookClient(
        nb, kernel_name=venv_kernel, timeout=180, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # raises on any cell error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 2  # KPI trends, aging
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert f"Results as of {AS_OF}" in text


def _landing_people(landing: Path) -> tuple[set[str], set[str]]:
    ids, names = set(), set()
    for f in (landing / "pm").glob("guarantors_*.csv"):
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("guarantor_id"):  # some --defects files lack columns
                    ids.add(r["guarantor_id"])
                if r.get("first_name") and r.get("last_name"):
                    names.add(f"{r['first_name']} {r['last_name']}")
    return ids, names


def test_huddle_report_has_every_kpi_and_no_person(first_run, clinic):
    reports = Path(os.environ["COLLECTIONS_OUTBOX_DIR"]) / AS_OF.isoformat() / "reports"
    (week_ending,) = query("SELECT DISTINCT week_ending FROM marts.rpt_huddle")[0]
    page = (reports / f"huddle_{week_ending}.html").read_text()
    root = ET.fromstring(page.split("\n", 1)[1])
    shown = [e.get("data-kpi") for e in root.iter("tr") if e.get("data-kpi")]
    kpis = [r[0] for r in query("SELECT kpi FROM marts.rpt_huddle")]
    every_kpi = [r[0] for r in query("SELECT kpi FROM reference.scorecard_kpis")]
    assert sorted(shown) == sorted(kpis) == sorted(every_kpi) and len(kpis) == 13
    wins = [r[0] for r in query("SELECT kpi FROM marts.rpt_huddle WHERE section = 'win' ORDER BY kpi_order")]
    slips = [r[0] for r in query("SELECT kpi FROM marts.rpt_huddle WHERE section = 'slip' ORDER BY kpi_order")]
    assert shown[: len(wins)] == wins and shown[len(wins) : len(wins) + len(slips)] == slips
    suggested = query("SELECT kpi FROM marts.rpt_huddle WHERE is_suggested_change")
    boxes = [e.get("data-kpi") for e in root.iter("div") if e.get("data-kpi")]
    assert boxes == [r[0] for r in suggested]
    # the week's data quality: this run's checks, all passed (the run succeeded)
    with open(reports / f"data_quality_{AS_OF}.csv", newline="") as fh:
        dq = list(csv.DictReader(fh))
    assert len(dq) > 100 and {r["run_status"] for r in dq} == {"STARTED"}
    assert any(r["check"] == "ge_raw_guarantors" for r in dq) and any(r["check"].startswith("model_rules_") for r in dq)
    assert f"{len(dq):,} check results" in page
    # no person on the page: no guarantor id, no full name
    ids, names = _landing_people(clinic["root"] / "landing")
    words = set(re.findall(r"[A-Za-z0-9_-]+", page))
    assert not (ids & words)
    assert not [n for n in names if n in page]


def test_run_records_row_counts_and_safe_previews(first_run):
    observed = {}
    for e in first_run.all_events:
        if e.event_type_value == "ASSET_OBSERVATION":
            obs = e.event_specific_data.asset_observation
            observed[obs.asset_key.to_user_string()] = obs.metadata
    assert observed["marts/rpt_aging"]["dagster/row_count"].value == 5
    assert "aging_bucket" in observed["marts/rpt_aging"]["preview"].value
    assert observed["marts/fct_queue_items"]["dagster/row_count"].value >= 0
    assert "preview" not in observed["marts/fct_queue_items"] and "preview" not in observed["marts/rpt_hold_report"]
