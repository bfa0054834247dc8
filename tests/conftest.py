"""Shared fixtures. The dbt manifest is built once per session (dbt parse costs seconds).

The session's sample clinic and its first daily run (`clinic`, `first_run`) live here: the e2e
modules read that run's outputs, and tests/reliability/test_phi.py scans the same run's logs,
event log, metadata and files (`first_run_capture`) — one real run for all of them.

Parallel runs (pytest-xdist, `-n auto --dist loadfile` in pyproject.toml): a module runs on one
worker; the long modules are handed out first (marks `slow(runs=N)` and `session_clinic`).
"""

from __future__ import annotations

import ast
import fcntl
import functools
import logging
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# ------------------------------------------------------------------ scheduling (pytest-xdist)
# `--dist loadfile`: a module's tests run on one worker, in order (its fixtures are built once).
# Two marks, set in each module's `pytestmark`, drive the schedule (no list of paths here):
# * `session_clinic`: the module reads the session clinic's first run (`first_run`); all such
#   modules are one unit of work (`SessionClinicScheduling`), so that run is made once per
#   session, not once per worker. (pytest-xdist 3.8's `--dist loadgroup` would do it with
#   marks, but it groups by rewriting `item._nodeid`, which pytest 9 no longer reads.)
# * `slow(runs=N)`: the module makes about N daily-job / dbt runs; units are handed out
#   heaviest first (a unit weighs what its modules do together), then in collection order,
#   each worker taking the next unit when it is nearly idle.
# The xdist controller schedules by node id before any test module is imported, so the marks
# are read from the modules' source (`module_marks`).
SESSION_CLINIC = "session-clinic"
CLINIC_FIXTURES = frozenset({"clinic", "first_run", "first_run_capture", "first_run_warehouse", "rerun"})


def module_marks(module: str) -> dict[str, dict]:
    """The marks of a test module's `pytestmark` (name -> keyword arguments), from its source."""
    return _module_marks(module)


@functools.cache
def _module_marks(module: str) -> dict[str, dict]:
    path = REPO / module
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return {}
    marks: dict[str, dict] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            for sub in ast.walk(node.value):
                call = sub if isinstance(sub, ast.Call) else None
                attr = call.func if call is not None else sub
                if isinstance(attr, ast.Attribute) and getattr(attr.value, "attr", None) == "mark":
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords} if call else {}
                    marks.setdefault(attr.attr, {}).update(kwargs)
    return marks


def _unit(module: str) -> str:
    return SESSION_CLINIC if "session_clinic" in module_marks(module) else module


def _runs(module: str) -> int:
    return int(module_marks(module).get("slow", {}).get("runs", 0))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SessionClinicScheduling(LoadFileScheduling):
        """`--dist loadfile`, with the session clinic's modules as one unit."""

        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid.split("::", 1)[0])

    return SessionClinicScheduling(config, log)


def _session_clinic_fixtures(item: pytest.Item) -> set[str]:
    """The session clinic's fixtures the item uses (not a module's own fixture of the same name)."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs if info is not None else {}
    return {
        name
        for name in CLINIC_FIXTURES & set(defs)
        if defs[name][-1].func.__module__ in ("tests.conftest", "tests.e2e.conftest")
    }


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Heaviest units first (`slow(runs=N)`); a unit's modules and a module's tests stay
    together, in collection order."""
    first_seen: dict[str, int] = {}
    weight: dict[str, int] = {}
    weighed: set[str] = set()
    for i, item in enumerate(items):
        module = _module(item)
        uses = _session_clinic_fixtures(item)
        if uses and "session_clinic" not in module_marks(module):
            raise pytest.UsageError(
                f"{module} uses {sorted(uses)}: add pytest.mark.session_clinic to its "
                "pytestmark, or its worker makes the clinic's first run a second time"
            )
        unit = _unit(module)
        first_seen.setdefault(unit, i)
        weight.setdefault(unit, 0)
        if module not in weighed:  # a unit's modules run on one worker, in turn: their runs add up
            weighed.add(module)
            weight[unit] += _runs(module)

    def rank(indexed: tuple[int, pytest.Item]) -> tuple[int, int, int]:
        i, item = indexed
        unit = _unit(_module(item))
        return -weight[unit], first_seen[unit], i

    items[:] = [item for _, item in sorted(enumerate(items), key=rank)]


# ------------------------------------------------------------------------- no outbound network
def pytest_configure(config: pytest.Config) -> None:
    """Every process of the session (this one, the xdist workers, the daily jobs and dbt they
    start) refuses and logs any socket call that would leave the machine (tests/netguard)."""
    from tests import netguard

    if os.environ.get(netguard.LOG_VAR):  # an xdist worker: guarded since it started
        return
    import tempfile

    log = Path(tempfile.gettempdir()) / f"collections-netguard-{os.getpid()}.log"
    log.unlink(missing_ok=True)
    netguard.install(log)
    config._netguard_log = log  # removed by pytest_unconfigure


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
    import hashlib
    import tempfile

    from orchestration.warehouse.project import DBT_PROJECT_DIR, ensure_manifest
    from tests.dbt_parse_cache import source_parse

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
    """Every path of docs/outputs.md ("Running it") pointed into a fresh temporary folder."""
    paths = {
        "landing": tmp_path / "landing",
        "warehouse": tmp_path / "warehouse.duckdb",
        "outbox": tmp_path / "outbox",
        "serving": tmp_path / "serving",
    }
    paths["landing"].mkdir()
    for key, env in (
        ("landing", "COLLECTIONS_LANDING_DIR"),
        ("warehouse", "COLLECTIONS_WAREHOUSE_PATH"),
        ("outbox", "COLLECTIONS_OUTBOX_DIR"),
        ("serving", "COLLECTIONS_SERVING_DIR"),
    ):
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
def first_run_capture(clinic, tmp_path_factory):
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
    # the warehouse as the run left it, before any module changes the live one (`first_run_warehouse`)
    copy = tmp_path_factory.mktemp("first_run_warehouse") / "warehouse.duckdb"
    shutil.copy2(os.environ["COLLECTIONS_WAREHOUSE_PATH"], copy)
    return {
        "result": result,
        "entries": entries,
        "records": capture.records,
        "outbound": netguard.attempts(start),
        "warehouse": copy,
    }


@pytest.fixture(scope="session")
def first_run_warehouse(first_run_capture) -> Path:
    """A copy of the warehouse as the first run left it, made right after it: the live one
    changes later in the session (the `rerun` rebuilds its marts from a ledger that holds the
    day's sends). Read it, or copy it again before writing (test_gates_block's `run_stage`)."""
    return first_run_capture["warehouse"]


@pytest.fixture(scope="session")
def first_run(first_run_capture):
    """The daily job once on the session's clinic (shared by the e2e modules and test_phi)."""
    return first_run_capture["result"]
