"""The dbt project and its manifest.

`dbt parse` costs several seconds, so the manifest is rebuilt only when a file of the dbt
project is newer than it (`ensure_manifest`); the make targets, tests and CI call it before
loading the Dagster definitions (`DbtProject.prepare_if_dev` acts only under `dagster dev`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION

from orchestration.core.settings import DBT_PROJECT_DIR, export_warehouse_path

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))  # the venv's dbt, beside its python


def dbt_args(command: str, target: Path, *extra: str, project: Path = DBT_PROJECT_DIR, quiet: bool = True) -> list[str]:
    """The arguments of `dbt <command>` on a dbt project (this one unless told), quiet unless
    told, writing its artifacts and log into `target` (without the executable: DBT_EXECUTABLE
    for a subprocess, none for dbtRunner)."""
    return [
        command,
        *(["--quiet"] if quiet else []),
        *extra,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]


MANIFEST = dbt_project.manifest_path
PARTIAL_PARSE = "partial_parse.msgpack"


class DbtCli(DbtCliResource):
    """dagster-dbt's resource, without the in-process dbt adapter it builds before each command.

    That adapter (dbt-core imported and the profile loaded inside the Dagster process, ~2-3 s)
    only serves metadata queries made during the run (`fetch_row_counts`, column metadata),
    which this project does not make: `dbt build` itself runs in its own process as always.
    """

    def _initialize_dbt_core_adapter(self, args):  # dagster-dbt 0.29 (pinned)
        return None

    @property
    def _cli_version(self):  # dagster-dbt 0.29 (pinned)
        """The installed dbt-core's version, read in this process.

        dagster-dbt asks `dbt --version` in a subprocess before every command (to tell dbt-core
        from dbt Fusion): that imports every adapter plugin (~2 s of CPU) and asks the package
        index for the latest version (a network call, one-second timeout, from a job that holds
        PHI). `dbt_executable` is this environment's dbt, so its version is dbt-core's.
        """
        return DBT_PYTHON_VERSION


# dbt writes target/<invocation>/dbt.log at debug level by default: every SQL statement and
# connection event (~9,000 JSON lines a daily run), ~10 % of `dbt build`'s CPU. At info level it
# keeps each node's start, result and timing and every warning or error (~900 lines); for the
# SQL, `target/<invocation>/run/` holds what was executed, or run dbt with --log-level-file debug.
# --no-write-json: no manifest.json (written twice per build, ~MBs), run_results.json,
# semantic_manifest.json or graph.gpickle per run: nothing reads them (Dagster takes each node's
# result from dbt's event stream and the manifest from `dbt parse`'s target/manifest.json).
# partial_parse.msgpack is still written (keep_partial_parse).
DBT_FLAGS = ["--log-level-file", "info", "--no-write-json"]


def dbt_resource() -> DbtCli:
    return DbtCli(
        project_dir=dbt_project,
        profiles_dir=dbt_project.profiles_dir,
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
        global_config_flags=DBT_FLAGS,
    )


_ENV_VAR = re.compile(r"""\{\{\s*env_var\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)\s*\}\}""")


def _render(value):
    """The profile's `{{ env_var('NAME', 'default') }}` values as dbt renders them."""
    if isinstance(value, dict):
        return {k: _render(v) for k, v in value.items()}
    if isinstance(value, str):
        return _ENV_VAR.sub(lambda m: os.environ.get(m[1], m[2] or ""), value)
    return value


def duckdb_profile() -> dict:
    """The `duckdb` output of dbt_project/profiles.yml, its env_var() values rendered from this
    environment (path, settings such as memory_limit): what dbt connects with."""
    import yaml

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["collections"]["outputs"]["duckdb"]
    return _render(profile)


SOURCE_DIRS = ("models", "macros", "seeds", "tests")


def _newest_source_mtime() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for d in SOURCE_DIRS:
        files += [p for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files)


# written by `ensure_manifest`'s parse next to the manifest: its size and mtime then. Any other
# dbt command run in the project (`dbt build` by hand, `dagster dev`) rewrites
# target/manifest.json with its own flags and vars; the stamp no longer matches and the next
# `ensure_manifest` parses again, so a job or a test never loads a manifest it did not make.
PARSE_STAMP = ".manifest.parsed"


def _stamp_of(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def manifest_is_fresh() -> bool:
    """The manifest is the one `ensure_manifest` parsed, and no file of the project is newer."""
    try:
        stamp = (MANIFEST.parent / PARSE_STAMP).read_text().strip()
        return stamp == _stamp_of(MANIFEST) and MANIFEST.stat().st_mtime >= _newest_source_mtime()
    except OSError:
        return False


# moved into target/ in this order, the manifest last; then the stamp (PARSE_STAMP) says it is ours
PARSE_ARTIFACTS = ("semantic_manifest.json", PARTIAL_PARSE, "manifest.json")


def ensure_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files.

    dbt writes target/manifest.json in place, so a Dagster process loading the definitions at
    that moment would read half a file. The parse writes into a folder of its own and its
    artifacts replace the project's atomically; a lock makes concurrent callers parse once."""
    if not force and manifest_is_fresh():
        return MANIFEST
    target = MANIFEST.parent
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not manifest_is_fresh():
            _parse_into(target)
    return MANIFEST


def _parse_into(target: Path) -> None:
    export_warehouse_path()  # the same profile as the daily run, so dbt's partial parse holds
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    work = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    try:
        if (target / PARTIAL_PARSE).is_file():
            shutil.copyfile(target / PARTIAL_PARSE, work / PARTIAL_PARSE)
        subprocess.run(
            [DBT_EXECUTABLE, *dbt_args("parse", work)],
            check=True,
            env=env,
            cwd=DBT_PROJECT_DIR,
        )
        for name in PARSE_ARTIFACTS:
            if (work / name).is_file():
                os.replace(work / name, target / name)
        (work / PARSE_STAMP).write_text(_stamp_of(MANIFEST) + "\n")
        os.replace(work / PARSE_STAMP, target / PARSE_STAMP)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# each warehouse path's last parse, by a hash of the path: dbt reuses a parse only for the profile
# it was made with, and the profile holds the warehouse path, so two clinics on one machine run
# in turn (orchestration/core/settings.py `folder_env`) re-parsed in full on every run (~3.5 s)
SAVED_PARSES = "partial_parses"
KEEP_SAVED_PARSES = 8  # the most recently used paths


def saved_parse_of(warehouse: Path, target: Path | None = None) -> Path:
    """Where the last parse of `dbt build` on this warehouse path is kept."""
    key = hashlib.sha256(str(Path(warehouse)).encode()).hexdigest()[:16]
    return (target or MANIFEST.parent) / SAVED_PARSES / f"{key}.msgpack"


def _replace_with(src: Path, dst: Path) -> None:
    """dst becomes a copy of src atomically (readers see the old or the new file); on an error
    dst is left as it was: only a cache, the next build parses in full."""
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except OSError:
        tmp.unlink(missing_ok=True)


def restore_partial_parse(warehouse: Path, target: Path | None = None) -> None:
    """Before a build: the last parse made on this warehouse path becomes the project's
    `target/partial_parse.msgpack`, which dagster-dbt copies into the build's own folder. None
    kept for the path: the project's file stays (dbt parses in full if its profile differs).
    A build pointed at another saved parse (DBT_PARTIAL_PARSE_FILE_PATH: the tests' own) is
    left alone."""
    if os.environ.get("DBT_PARTIAL_PARSE_FILE_PATH"):
        return
    target = target or MANIFEST.parent
    saved = saved_parse_of(warehouse, target)
    if saved.is_file():
        _replace_with(saved, target / PARTIAL_PARSE)
        os.utime(saved)  # recently used: kept by the pruning below


def keep_partial_parse(run_target: Path, warehouse: Path, target: Path | None = None) -> None:
    """Keep the parse state of the last `dbt build` as the project's and as its warehouse
    path's, so the next build on that path reuses it (restore_partial_parse).

    dbt skips re-parsing (~3 s of `dbt build`) only when `target/partial_parse.msgpack` was
    written with the same profile, and the profile includes the warehouse path. dagster-dbt
    copies that file into each invocation's own target folder but never back, so a file made by
    `dbt parse` with another warehouse path (a test, `make` with other settings) meant a full
    parse on every run. Replaced atomically: concurrent builds read the old or the new file.
    The saved parses of all but the KEEP_SAVED_PARSES most recently used paths are removed.
    A build pointed at another saved parse (DBT_PARTIAL_PARSE_FILE_PATH: the tests' own) leaves
    the project's alone.
    """
    if os.environ.get("DBT_PARTIAL_PARSE_FILE_PATH"):
        return
    src = Path(run_target) / PARTIAL_PARSE
    if not src.is_file():
        return
    target = target or MANIFEST.parent
    _replace_with(src, target / PARTIAL_PARSE)
    _replace_with(src, saved_parse_of(warehouse, target))
    saved = sorted((target / SAVED_PARSES).glob("*.msgpack"), key=_mtime, reverse=True)
    for old in saved[KEEP_SAVED_PARSES:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def prune_target(keep: int = 5, target: Path | None = None) -> None:
    """Each dagster-dbt invocation writes a folder under target/; keep the newest few (the saved
    parses' folder is not one)."""
    target = target or DBT_PROJECT_DIR / "target"
    if not target.is_dir():
        return
    runs = sorted(
        (
            p
            for p in target.iterdir()
            if p.is_dir() and p.name not in ("compiled", "run", SAVED_PARSES) and p.name[0] != "."
        ),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
