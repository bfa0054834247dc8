"""dbt's partial parse for the many warehouse files of the tests.

dbt keeps the parsed project in ``partial_parse.msgpack`` and reuses it only when the
profile's connection settings are the ones it was parsed with: their hash includes the
DuckDB ``path``. A production installation has one warehouse path, so every run after the
first partial-parses (~3 s). The tests use a new warehouse file almost every time, so every
``dbt build`` of a test re-parsed the whole project from scratch (~7-10 s more each, a few
minutes over the suite).

``partial_parse_env(warehouse)`` returns ``{"DBT_PARTIAL_PARSE_FILE_PATH": <file>}``: a copy of
the tests' own saved parse (``source_parse()``) whose profile hash is recomputed for that
warehouse path (dbt's own computation: the sorted ``connection_info()`` of the DuckDB
credentials, pretty-printed, sha256). dbt then does what it does on an installation's second
run: it checks every project file against the saved parse and re-parses what changed. The
copy is only made when the warehouse's DuckDB database name (the file's stem, written into
every node of the manifest) is the one the project was parsed with; otherwise the dict is
empty and dbt parses in full, as before.

The tests' saved parse is their own, never the project's ``target/partial_parse.msgpack``:
that one is whatever the last daily run left (``make demo`` with another warehouse path or
memory limit in the shell, an older checkout), so a test depending on it failed or ran slow
after a demo. ``source_parse()`` runs ``dbt parse`` once for the project's contents (a
canonical ``warehouse.duckdb`` path, dbt's own parse state) into a folder of the temporary
directory named by a hash of the project's files, dbt's version and the profile's rendered
settings; later sessions reuse it, pytest-xdist workers take turns making it.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import pprint
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from orchestration.core.settings import DBT_PROJECT_DIR

ENV_VAR = "DBT_PARTIAL_PARSE_FILE_PATH"
PARSE_FILE = "partial_parse.msgpack"

_lock = threading.Lock()
_state: dict = {}


def _project_key() -> str:
    """A hash of what a parse depends on: the project's files, dbt's version, the profile."""
    from dbt.version import __version__

    from orchestration.warehouse.project import SOURCE_DIRS, duckdb_profile

    h = hashlib.sha256(f"{__version__}\n{sys.executable}\n".encode())
    h.update(json.dumps({k: v for k, v in duckdb_profile().items() if k != "path"}, sort_keys=True).encode())
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for d in SOURCE_DIRS:
        files += sorted(p for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file())
    for f in files:
        h.update(f"{f.relative_to(DBT_PROJECT_DIR)}\n".encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def source_parse() -> Path:
    """The tests' saved parse of the project (made once per project contents, see above)."""
    folder = Path(tempfile.gettempdir()) / f"collections-dbt-parse-{_project_key()}"
    target = folder / PARSE_FILE
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be making it
        if not target.is_file():
            work = Path(tempfile.mkdtemp(prefix="parse-", dir=folder))
            env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
            env.update(
                {
                    "COLLECTIONS_WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
                    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                }
            )
            from orchestration.warehouse.project import DBT_EXECUTABLE, dbt_args

            subprocess.run(
                [DBT_EXECUTABLE, *dbt_args("parse", work)],
                env=env,
                cwd=DBT_PROJECT_DIR,
                check=True,
                timeout=600,
            )
            os.replace(work / PARSE_FILE, target)
            shutil.rmtree(work, ignore_errors=True)
    return target


def _source() -> tuple[bytes, str, str] | None:
    """The tests' saved parse (read once per process), its profile hash and database."""
    if "source" not in _state:
        import msgpack

        found = None
        source = source_parse()
        if source.is_file():
            data = source.read_bytes()
            doc = msgpack.unpackb(data, raw=False, strict_map_key=False)
            checksum = doc["state_check"]["profile_hash"]["checksum"]
            databases = {n.get("database") for n in doc["nodes"].values()}
            if len(databases) == 1 and data.count(checksum.encode()) == 1:
                found = (data, checksum, databases.pop())
        _state["source"] = found
        _state["dir"] = Path(tempfile.mkdtemp(prefix="dbt-partial-parse-"))
        atexit.register(shutil.rmtree, _state["dir"], True)
    return _state["source"]


def _profile_hash(warehouse: Path) -> tuple[str, str]:
    """(sha256 of the profile's connection info, DuckDB database name), as dbt computes them."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    from orchestration.warehouse.project import duckdb_profile

    fields = {k: v for k, v in duckdb_profile().items() if k not in ("type", "threads", "path")}
    creds = DuckDBCredentials.from_dict({**fields, "path": str(warehouse)})
    keys = sorted(creds.connection_info())
    return hashlib.sha256(pprint.pformat(keys).encode()).hexdigest(), dict(keys)["database"]


def partial_parse_env(warehouse: str | os.PathLike) -> dict[str, str]:
    """{DBT_PARTIAL_PARSE_FILE_PATH: a saved parse valid for this warehouse path}, or {}."""
    warehouse = Path(warehouse)
    with _lock:
        source = _source()
        if source is None:
            return {}
        data, checksum, database = source
        target = _state["dir"] / (hashlib.sha1(str(warehouse).encode()).hexdigest() + ".msgpack")
        if not target.exists():
            new, db = _profile_hash(warehouse)
            if db != database:
                return {}
            target.write_bytes(data.replace(checksum.encode(), new.encode()))
        return {ENV_VAR: str(target)}


@contextmanager
def partial_parse_for(warehouse: str | os.PathLike):
    """Point dbt (a subprocess started in the block, or dbt in this process) at the saved parse."""
    env = partial_parse_env(warehouse)
    old = os.environ.get(ENV_VAR)
    os.environ.pop(ENV_VAR, None)
    os.environ.update(env)
    try:
        yield env
    finally:
        if old is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old
