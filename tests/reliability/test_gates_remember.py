"""Family 9 of the second fault catalogue (issue 16): gates that forget.

A raw quality gate that failed on a file stays failed on the runs after it -- a re-run that
loads nothing new used to pass and let the bad rows flow on -- until a corrected file arrives
or a person releases the file (`python -m orchestration.release`); every failure names the
files and the lines (claims, events) that broke it, and the failed run's summary says what to
fix (docs/user-guide.md, "When a gate fails").
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pytest

from orchestration.core.settings import EXPECTATIONS_DIR
from orchestration.policy.policy import load_policy
from orchestration.quality.gates import raw_table_checks, run_raw_table_check
from orchestration.raw.ingest import ingest
from tests.raw.landing_helpers import TODAY, write
from tests.reliability.test_bad_input import E_HEADER, G_HEADER, _835, claim, e_row, g_row, lines

SPECS = {s.name: s for s in raw_table_checks()}
BAD = "era/bad.835"
CLAIMS_FIX = (
    "to fix: send a corrected file under the same name (it replaces this one), or accept the file as it "
    "is: python -m orchestration.release <file> (files: era/bad.835)"
)
IN_SET = "column_values_to_be_in_set on claim_status: {n} of {m} checked rows not in the allowed set"


def base(root) -> None:
    write(root, "pm/guarantors_a.csv", lines(G_HEADER, g_row("G1"), g_row("G2")))
    write(root, "pm/encounters_a.csv", lines(E_HEADER, e_row("E1"), e_row("E2", "G2")))
    write(root, "era/base.835", _835(1, claim("E1")))


def bad_835(status: str = "99") -> str:
    """An 835 whose claim status CLP02 is not an X12 code: it loads, its raw gate fails."""
    return _835(2, claim("E2") | {"status": status})


def load(con, root, run_id: str):
    return ingest(con, root, load_policy(), today=TODAY, as_of=TODAY, run_id=run_id)


def check(con, name: str, run_id: str):
    return run_raw_table_check(con, SPECS[name], run_id)


def open_failures(con) -> list[tuple]:
    return con.execute(
        "SELECT check_name, file_name, detail FROM raw.gate_failures WHERE resolved_at IS NULL ORDER BY 1, 2"
    ).fetchall()


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def test_a_failed_835_stays_failed_until_a_person_releases_it(con, tmp_path):
    root = tmp_path / "landing"
    base(root)
    write(root, BAD, bad_835())
    load(con, root, "r1")
    first = check(con, "ge_raw_remittance_claims", "r1")
    assert not first.passed
    assert first.metadata["failed_files"].value == [f"{BAD}: claim 1: " + IN_SET.format(n=1, m=2)]
    assert first.metadata["to_fix"].value == CLAIMS_FIX
    assert first.description == f"{BAD}: claim 1: {IN_SET.format(n=1, m=2)}\n{CLAIMS_FIX}"

    load(con, root, "r2")  # a re-run that loads nothing new
    again = check(con, "ge_raw_remittance_claims", "r2")
    assert not again.passed  # (it used to pass: an empty frame)
    assert again.metadata["failed_files"].value == [f"{BAD}: claim 1: " + IN_SET.format(n=1, m=1)]
    assert open_failures(con) == [("ge_raw_remittance_claims", BAD, "claim 1: " + IN_SET.format(n=1, m=1))]

    from orchestration.quality.gate_memory import release

    assert release(con, BAD, "J. Rivera", "checked with the payer") == 1
    load(con, root, "r3")
    assert check(con, "ge_raw_remittance_claims", "r3").passed
    assert con.execute("SELECT released_by, resolution FROM raw.gate_failures").fetchall() == [
        ("J. Rivera", "released: checked with the payer")
    ]


def test_a_corrected_835_under_the_same_name_replaces_the_failed_one(con, tmp_path):
    root = tmp_path / "landing"
    base(root)
    write(root, BAD, bad_835())
    load(con, root, "r1")
    assert not check(con, "ge_raw_remittance_claims", "r1").passed
    write(root, BAD, bad_835(status="1"))  # the clearinghouse re-sends it, corrected
    load(con, root, "r2")
    assert con.execute(
        "SELECT status, warnings FROM raw.file_ledger WHERE file_name = ? ORDER BY loaded_at DESC", [BAD]
    ).fetchone() == (
        "loaded_with_warnings",
        "replaces the version of this file that failed a quality gate; file changed after "
        "it was loaded: the new content was loaded as a new version",
    )
    assert check(con, "ge_raw_remittance_claims", "r2").passed
    assert con.execute(
        "SELECT patient_control_number, claim_status FROM raw.remittance_claims ORDER BY 1"
    ).fetchall() == [("E1", "1"), ("E2", "1")]
    assert open_failures(con) == []
    assert con.execute("SELECT resolution FROM raw.gate_failures").fetchall() == [
        ("replaced by a corrected version of the same file",)
    ]


def _stricter_suite(tmp_path, monkeypatch, suite: str, expectation: dict):
    suites = tmp_path / "suites"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    data = json.loads((suites / f"{suite}.json").read_text())
    data["expectations"].append({**expectation, "severity": "critical"})
    (suites / f"{suite}.json").write_text(json.dumps(data))
    monkeypatch.setenv("COLLECTIONS_EXPECTATIONS_DIR", str(suites))


def test_a_csv_gate_failure_names_its_lines_and_closes_when_a_corrected_file_replaces_them(con, tmp_path, monkeypatch):
    """A clinic's own stricter rule (every guarantor needs an SMS consent) fails on two lines of a
    file; a re-run fails again; a corrected export (same keys, later updated_at) closes it."""
    _stricter_suite(
        tmp_path,
        monkeypatch,
        "raw_guarantors",
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sms_consent_at"}},
    )
    root = tmp_path / "landing"
    header = G_HEADER + ",sms_consent_at"
    consent = ",2026-01-02T10:00:00Z"
    write(root, "pm/guarantors_b.csv", lines(header, g_row("G3") + consent, g_row("G4") + ",", g_row("G5") + ","))
    load(con, root, "r1")
    failed = check(con, "ge_raw_guarantors", "r1")
    assert failed.metadata["failed_files"].value == [
        "pm/guarantors_b.csv: lines 3, 4: column_values_to_not_be_null on sms_consent_at: 2 of 3 rows null"
    ]
    load(con, root, "r2")
    assert not check(con, "ge_raw_guarantors", "r2").passed
    later = "2026-02-01T10:00:00Z"
    write(root, "pm/guarantors_c.csv", lines(header, g_row("G4", ts=later) + consent, g_row("G5", ts=later) + consent))
    load(con, root, "r3")
    assert check(con, "ge_raw_guarantors", "r3").passed
    assert open_failures(con) == []
    assert con.execute("SELECT resolution FROM raw.gate_failures").fetchall() == [
        ("passed on run r3: the file's rows now pass (a corrected file replaced them)",)
    ]


def test_an_events_gate_failure_names_the_file_and_the_events(con, tmp_path, monkeypatch):
    _stricter_suite(
        tmp_path,
        monkeypatch,
        "raw_sendgrid_events",
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "guarantor_id"}},
    )
    root = tmp_path / "landing"
    write(
        root,
        "events/sendgrid/b.json",
        json.dumps(
            [
                {
                    "event": "delivered",
                    "email": "a@example.org",
                    "guarantor_id": "G1",
                    "sg_event_id": "e1",
                    "timestamp": 1763650000,
                },
                {"event": "unsubscribe", "email": "b@example.org", "sg_event_id": "e2", "timestamp": 1763650000},
            ]
        ),
    )
    load(con, root, "r1")
    failed = check(con, "ge_raw_sendgrid_events", "r1")
    assert not failed.passed
    assert failed.metadata["failed_files"].value == [
        "events/sendgrid/b.json: event 2: column_values_to_not_be_null on guarantor_id: 1 of 2 rows null"
    ]


@pytest.mark.slow
def test_the_failed_run_says_which_file_and_what_to_do_until_it_is_released(collections_env, dbt_manifest, capsys):
    """The ingest step as the daily job runs it (Dagster, blocking checks), three times: the
    failing 835, a re-run (still failing: the summary says so again), then after
    `python -m orchestration.release` a run that passes."""
    from orchestration.core.resources import CollectionsResource
    from orchestration.quality.ingest_assets import ingest_landing
    from orchestration.release import main as release
    from orchestration.run import summary_lines

    root = collections_env["landing"]
    base(root)
    write(root, BAD, bad_835())
    old = datetime(2026, 11, 19, 23, 30, tzinfo=UTC).timestamp()
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, (old, old))

    def run_ingest():
        return dg.materialize(
            [ingest_landing],
            partition_key="2026-11-20",
            raise_on_error=False,
            resources={"collections": CollectionsResource()},
        )

    for attempt in (1, 2):
        result = run_ingest()
        assert not result.success, attempt
        summary = "\n".join(summary_lines(result))
        assert "check failed: raw/remittance_claims ge_raw_remittance_claims (ERROR)" in summary
        m = 2 if attempt == 1 else 1
        assert f"      {BAD}: claim 1: {IN_SET.format(n=1, m=m)}" in summary
        assert f"      {CLAIMS_FIX}" in summary

    assert release(["--list"]) == 0
    assert f"{BAD}  [ge_raw_remittance_claims] failing since" in capsys.readouterr().out
    assert release([BAD, "--by", "tester", "--reason", "claim status confirmed with the payer"]) == 0
    assert "released era/bad.835: 1 open gate failure(s) closed" in capsys.readouterr().out
    assert release([BAD]) == 1  # nothing left to release
    assert run_ingest().success
