"""Fixtures of the PHI hygiene tests (test_phi.py imports them; `phi_` prefix).

They live here, not in tests/reliability/conftest.py, so that the session fixture exists once
(a fixture imported into two conftests would run twice) and the conftest of the fault tests
stays theirs.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import AS_OF

PHI_ENV = ("COLLECTIONS_LANDING_DIR", "COLLECTIONS_WAREHOUSE_PATH", "COLLECTIONS_OUTBOX_DIR",
           "COLLECTIONS_SERVING_DIR", "COLLECTIONS_VAR_DIR", "SENDGRID_API_KEY",
           "COLLECTIONS_PAYLINK_SECRET")


@contextmanager
def phi_environment(env: dict[str, str | None]):
    """Set (or, for None, unset) environment variables for the block, then restore them."""
    old = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="session")
def phi_run(tmp_path_factory, dbt_manifest):
    """The real daily job on the sample clinic of tests/e2e (same generator, size, seed and
    defects as the `clinic` fixture), in a folder of its own, with every Python log record
    (DEBUG and up) and every Dagster event-log entry kept for the PHI scan.

    Its own folder, not the e2e `clinic` one: the e2e fixtures set the process environment
    for the session and their warehouse is shared by the e2e modules; this run must capture
    the logs of a first run (a re-run sends nothing) without touching their state.
    """
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.sample.generator import generate
    from orchestration.settings import export_warehouse_path

    root = tmp_path_factory.mktemp("phi_clinic")
    generate(root / "landing", guarantors=150, seed=11, as_of=AS_OF, defects=True)
    env = {"COLLECTIONS_LANDING_DIR": str(root / "landing"),
           "COLLECTIONS_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
           "COLLECTIONS_OUTBOX_DIR": str(root / "outbox"),
           "COLLECTIONS_SERVING_DIR": str(root / "serving"),
           "COLLECTIONS_VAR_DIR": str(root / "var"),
           "SENDGRID_API_KEY": None, "COLLECTIONS_PAYLINK_SECRET": None}
    capture = _Capture()
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(capture)
    root_logger.setLevel(logging.DEBUG)
    try:
        with phi_environment(env):
            export_warehouse_path()
            job = defs.resolve_job_def("daily_job")
            with dg.DagsterInstance.ephemeral() as instance:
                result = job.execute_in_process(
                    partition_key=AS_OF.isoformat(), instance=instance, raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}})
                entries = list(instance.all_logs(result.run_id))
    finally:
        root_logger.removeHandler(capture)
        root_logger.setLevel(old_level)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return {"root": root, "landing": root / "landing", "outbox": root / "outbox",
            "serving": root / "serving", "warehouse": root / "warehouse.duckdb",
            "result": result, "entries": entries, "records": capture.records}


@pytest.fixture(scope="session")
def phi_values(phi_run) -> dict[str, set[str]]:
    """The clinic's own personal values, by kind, read from its landing files."""
    import csv

    out: dict[str, set[str]] = {k: set() for k in ("name", "dob", "address", "phone", "email")}
    for path in sorted((phi_run["landing"] / "pm").glob("guarantors*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                for col, kind in (("first_name", "name"), ("last_name", "name"),
                                  ("date_of_birth", "dob"), ("address_line1", "address"),
                                  ("address_line2", "address"), ("phone", "phone"), ("email", "email")):
                    v = (row.get(col) or "").strip()
                    if v:
                        out[kind].add(v)
    return out


def phi_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
