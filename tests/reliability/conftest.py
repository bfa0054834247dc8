"""Fixtures of the reliability tests (tests/reliability/). Shared by two helpers: fixtures of
the fault-injection tests are prefixed ``fault_``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.core.settings import PROJECT_ROOT
from tests.actions.conftest import API_KEY
from tests.dbt_parse_cache import partial_parse_env
from tests.fake_sendgrid import FakeSendGrid
from tests.reliability.phi_fixtures import phi_run, phi_values  # noqa: F401  fixtures of test_phi.py

FAULT_AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def fault_landing(tmp_path_factory, dbt_manifest) -> Path:
    """A small generated clinic (150 guarantors, every defect) whose as-of date has touches due
    on all four channels; copied by each test that runs the daily job on it."""
    from orchestration.sample.generator import generate

    root = tmp_path_factory.mktemp("fault_clinic")
    generate(root / "landing", guarantors=150, seed=11, as_of=FAULT_AS_OF, defects=True)
    return root / "landing"


class FaultSite:
    """One installation in a temp folder: its own landing copy, warehouse, outbox, serving and
    Dagster home, run with ``python -m orchestration.run`` in a subprocess."""

    def __init__(self, root: Path, landing: Path, sendgrid: FakeSendGrid | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(landing, root / "landing")
        self.sendgrid = sendgrid
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTIONS_", "SENDGRID_", "DAGSTER_"))}
        self.env.update(
            {
                "COLLECTIONS_VAR_DIR": str(root / "var"),
                "COLLECTIONS_LANDING_DIR": str(root / "landing"),
                "COLLECTIONS_WAREHOUSE_PATH": str(root / "var" / "warehouse.duckdb"),
                "COLLECTIONS_OUTBOX_DIR": str(root / "var" / "outbox"),
                "COLLECTIONS_SERVING_DIR": str(root / "var" / "serving"),
                "DAGSTER_HOME": str(root / "dagster_home"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)
        self.env.update(partial_parse_env(self.warehouse))  # dbt partial-parses (tests/dbt_parse_cache.py)
        if sendgrid is not None:
            self.env.update({"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_HOST": sendgrid.url})

    @property
    def warehouse(self) -> Path:
        return self.root / "var" / "warehouse.duckdb"

    @property
    def outbox(self) -> Path:
        return self.root / "var" / "outbox"

    def start(
        self, *args: str, crash_at: str | None = None, as_of: date = FAULT_AS_OF, log_name: str = "run"
    ) -> subprocess.Popen:
        env = dict(self.env)
        if crash_at:
            env["COLLECTIONS_CRASH_AT"] = crash_at
        log = open(self.root / f"{log_name}.log", "w")  # noqa: SIM115 - closed once the child has it
        # the schedule's 06:00 start on the date (orchestration/core/clock.py): the contact windows
        # of the day are open whatever the real hour
        from orchestration.core.clock import nominal_start
        from orchestration.policy.policy import load_policy

        clock = nominal_start(as_of, load_policy().clinic_tz).isoformat()
        with log:  # the child has its own copy of the file
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "orchestration.run",
                    "--as-of",
                    as_of.isoformat(),
                    "--quiet",
                    "--clock",
                    clock,
                    *args,
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def run(
        self, *args: str, crash_at: str | None = None, log_name: str = "run", timeout: float = 1800
    ) -> tuple[int, str]:
        proc = self.start(*args, crash_at=crash_at, log_name=log_name)
        rc = proc.wait(timeout=timeout)
        return rc, (self.root / f"{log_name}.log").read_text()

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture
def fault_site_factory(tmp_path, fault_landing):
    """FaultSite(name, sendgrid=None) in this test's temp folder."""

    def make(name: str, sendgrid: FakeSendGrid | None = None) -> FaultSite:
        return FaultSite(tmp_path / name, fault_landing, sendgrid)

    return make


@pytest.fixture
def fault_sendgrid():
    """A fresh local fake SendGrid (tests/fake_sendgrid.py) for one test."""
    fake = FakeSendGrid().start()
    try:
        yield fake
    finally:
        fake.stop()


def fault_wait_for(predicate, timeout: float = 600, poll: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll)
    return False
