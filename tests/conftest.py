"""Shared fixtures. The dbt manifest is built once per session (dbt parse costs seconds).

The session's sample clinic and its first daily run (`clinic`, `first_run`) live here: the e2e
modules read that run's outputs, and tests/reliability/test_phi.py scans the same run's logs,
event log, metadata and files (`first_run_capture`) — one real run for all of them.

Parallel runs (pytest-xdist, `-n 2 --dist loadgroup` in pyproject.toml): every test is put in
the xdist group of its module (a module's fixtures are built once, on one worker), the modules
sharing the session clinic in one group, and the groups are sent longest first (`SCHEDULE`).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# ------------------------------------------------------------------ scheduling (pytest-xdist)
# Modules that use the session clinic and its first run: one group, so the run is made once.
CLINIC_GROUP = "clinic"
CLINIC_MODULES = (
    "tests/e2e/test_daily_job.py", "tests/e2e/test_gates_block.py", "tests/e2e/test_moves_e2e.py",
    "tests/e2e/test_outreach.py", "tests/e2e/test_serving_outputs.py", "tests/e2e/test_placement_outputs.py",
    "tests/reliability/test_phi.py",
)
# Groups sent first, longest first (seconds of one group on a quiet 2-core machine, -n 2); the
# other modules follow in collection order. Dynamic: a worker takes the next group when free.
SCHEDULE = (
    CLINIC_GROUP,
    "tests/e2e/test_backfill.py",
    "tests/reliability/test_crash_rerun.py",
)


def _group(item: pytest.Item) -> str:
    module = item.nodeid.split("::", 1)[0]
    return CLINIC_GROUP if module in CLINIC_MODULES else module


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group every test by module (the clinic modules together) and put the long groups first;
    a module's tests stay together and in their order."""
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        group = _group(item)
        first_seen.setdefault(group, i)
        item.add_marker(pytest.mark.xdist_group(group))

    def rank(indexed: tuple[int, pytest.Item]) -> tuple[int, int, int]:
        i, item = indexed
        group = _group(item)
        order = SCHEDULE.index(group) if group in SCHEDULE else len(SCHEDULE)
        return order, first_seen[group], i

    items[:] = [item for _, item in sorted(enumerate(items), key=rank)]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The project's manifest (and saved parse), parsed again only when the project changed;
    pytest-xdist workers take turns (one `dbt parse` writes target/)."""
    from orchestration.warehouse.project import DBT_PROJECT_DIR, ensure_manifest

    import hashlib
    import tempfile

    name = hashlib.sha1(str(DBT_PROJECT_DIR).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"collections-dbt-parse-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return ensure_manifest()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def collections_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every path of OUTPUTS.md pointed into a fresh temporary folder."""
    paths = {
        "landing": tmp_path / "landing", "warehouse": tmp_path / "warehouse.duckdb",
        "outbox": tmp_path / "outbox", "serving": tmp_path / "serving",
    }
    paths["landing"].mkdir()
    for key, env in (("landing", "COLLECTIONS_LANDING_DIR"), ("warehouse", "COLLECTIONS_WAREHOUSE_PATH"),
                     ("outbox", "COLLECTIONS_OUTBOX_DIR"), ("serving", "COLLECTIONS_SERVING_DIR")):
        monkeypatch.setenv(env, str(paths[key]))
    monkeypatch.delenv("COLLECTIONS_POLICY_PATH", raising=False)
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return paths


@pytest.fixture(scope="session")
def clinic(tmp_path_factory, dbt_manifest):
    """A 150-guarantor sample clinic with every defect, and the environment pointed at it for
    the session (no SendGrid key, no pay-link secret: e-mail goes to the outbox, the secret is
    made next to the warehouse)."""
    from orchestration.sample.generator import generate
    from tests.e2e.conftest import AS_OF

    root = tmp_path_factory.mktemp("clinic")
    summary = generate(root / "landing", guarantors=150, seed=11, as_of=AS_OF, defects=True)
    env = {
        "COLLECTIONS_LANDING_DIR": str(root / "landing"),
        "COLLECTIONS_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "COLLECTIONS_OUTBOX_DIR": str(root / "outbox"),
        "COLLECTIONS_SERVING_DIR": str(root / "serving"),
        "COLLECTIONS_VAR_DIR": str(root / "var"),
        "SENDGRID_API_KEY": None, "COLLECTIONS_PAYLINK_SECRET": None,
    }
    old = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    yield {"root": root, "summary": summary}
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
def first_run_capture(clinic):
    """The daily job once on the session's clinic, with every Python log record (DEBUG and up,
    console logger at DEBUG) and every Dagster event-log entry kept for the PHI scan."""
    from tests.e2e.conftest import run_daily

    capture, entries = _Capture(), []
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(capture)
    root_logger.setLevel(logging.DEBUG)
    try:
        result = run_daily(run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}, logs=entries)
    finally:
        root_logger.removeHandler(capture)
        root_logger.setLevel(old_level)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return {"result": result, "entries": entries, "records": capture.records}


@pytest.fixture(scope="session")
def first_run(first_run_capture):
    """The daily job once on the session's clinic (shared by the e2e modules and test_phi)."""
    return first_run_capture["result"]
