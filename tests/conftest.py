"""Shared fixtures. The dbt manifest is built once per session (dbt parse costs seconds).

The session's sample clinic and its first daily run (`clinic`, `first_run`) live here: the e2e
modules read that run's outputs, and tests/reliability/test_phi.py scans the same run's logs,
event log, metadata and files (`first_run_capture`) — one real run for all of them.

Parallel runs (pytest-xdist, `-n auto --dist loadfile` in pyproject.toml): a module runs on one
worker; the long modules are handed out first (`SCHEDULE`).
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
# `--dist loadfile`: a module's tests run on one worker, in order (its fixtures are built once).
# The modules of the session clinic (its first run, the shared re-run) are one unit of work
# (`SessionClinicScheduling`), so the clinic's first run is made once per session, not once per
# worker. (pytest-xdist 3.8's `--dist loadgroup` would do it with marks, but it groups by
# rewriting `item._nodeid`, which pytest 9 no longer reads: the marks are silently ignored.)
# Units are handed out in SCHEDULE's order, then the others in collection order; each worker
# takes the next unit when it is nearly idle (a worker given a one-test module is given the
# next unit at once: hence the quick module after the backfill).
CLINIC_MODULES = (
    "tests/e2e/test_placement_outputs.py", "tests/e2e/test_daily_job.py", "tests/e2e/test_gates_block.py",
    "tests/e2e/test_outreach.py", "tests/e2e/test_moves_e2e.py", "tests/e2e/test_serving_outputs.py",
    "tests/reliability/test_phi.py",
)
SCHEDULE = (
    "tests/e2e/test_backfill.py",                # one test, 15 runs of the daily job
    *CLINIC_MODULES,                             # the session clinic's first run + re-run + 8 runs
    "tests/policy/test_policy.py",               # quick: queued behind the backfill
    "tests/reliability/test_crash_rerun.py",     # 4 runs killed or re-run, one in parallel
    "tests/actions/placement/test_final_notice_scenario.py", "tests/warehouse/test_settlements.py",
    "tests/warehouse/test_segments_cadence.py", "tests/warehouse/test_servicing.py",
    "tests/warehouse/test_placement_queues_scorecard.py", "tests/warehouse/test_balances.py",
    "tests/warehouse/test_moves.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SessionClinicScheduling(LoadFileScheduling):
        """`--dist loadfile`, with the session clinic's modules as one unit."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "session-clinic" if module in CLINIC_MODULES else module

    return SessionClinicScheduling(config, log)


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules of SCHEDULE first, in its order; a module's tests stay together, in order."""
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        first_seen.setdefault(_module(item), i)

    def rank(indexed: tuple[int, pytest.Item]) -> tuple[int, int, int]:
        i, item = indexed
        module = _module(item)
        order = SCHEDULE.index(module) if module in SCHEDULE else len(SCHEDULE)
        return order, first_seen[module], i

    items[:] = [item for _, item in sorted(enumerate(items), key=rank)]


# ------------------------------------------------------------------------- no outbound network
def pytest_configure(config: pytest.Config) -> None:
    """Every process of the session (this one, the xdist workers, the daily jobs and dbt they
    start) refuses and logs any socket call that would leave the machine (tests/netguard)."""
    from tests import netguard

    if os.environ.get(netguard.LOG_VAR):          # an xdist worker: guarded since it started
        return
    import tempfile

    log = Path(tempfile.gettempdir()) / f"collections-netguard-{os.getpid()}.log"
    log.unlink(missing_ok=True)
    netguard.install(log)
    config._netguard_log = log                    # removed by pytest_unconfigure


def pytest_unconfigure(config: pytest.Config) -> None:
    log = getattr(config, "_netguard_log", None)
    if log is not None:
        log.unlink(missing_ok=True)


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The project's manifest, parsed again only when the project changed, and the tests' own
    saved parse (tests/dbt_parse_cache.py); pytest-xdist workers take turns (one `dbt parse`
    writes target/)."""
    from orchestration.warehouse.project import DBT_PROJECT_DIR, ensure_manifest
    from tests.dbt_parse_cache import source_parse

    import hashlib
    import tempfile

    name = hashlib.sha1(str(DBT_PROJECT_DIR).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"collections-dbt-parse-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            manifest = ensure_manifest()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    source_parse()
    return manifest


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
    from orchestration.core.settings import folder_env

    env = {**folder_env(root), "SENDGRID_API_KEY": None, "COLLECTIONS_PAYLINK_SECRET": None}
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
    console logger at DEBUG) and every Dagster event-log entry kept for the PHI scan, and the
    outbound network calls it attempted (tests/netguard: none may leave the machine)."""
    from tests import netguard
    from tests.e2e.conftest import run_daily

    capture, entries = _Capture(), []
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(capture)
    root_logger.setLevel(logging.DEBUG)
    start = netguard.mark()
    try:
        result = run_daily(run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}, logs=entries)
    finally:
        root_logger.removeHandler(capture)
        root_logger.setLevel(old_level)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return {"result": result, "entries": entries, "records": capture.records, "outbound": netguard.attempts(start)}


@pytest.fixture(scope="session")
def first_run(first_run_capture):
    """The daily job once on the session's clinic (shared by the e2e modules and test_phi)."""
    return first_run_capture["result"]
