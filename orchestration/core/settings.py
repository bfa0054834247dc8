"""Where things live: every path comes from an environment variable, with defaults under ./var/.

| variable                      | default                  |
|-------------------------------|--------------------------|
| COLLECTIONS_LANDING_DIR       | ./var/landing            |
| COLLECTIONS_WAREHOUSE_PATH    | ./var/warehouse.duckdb   |
| COLLECTIONS_OUTBOX_DIR        | ./var/outbox             |
| COLLECTIONS_SERVING_DIR       | ./var/serving            |
| COLLECTIONS_POLICY_PATH       | ./var/policy.yaml if it exists, else the shipped default |
| COLLECTIONS_DUCKDB_MEMORY_LIMIT | 2GB (see below)        |
| COLLECTIONS_DBT_THREADS       | 2, or 1 from 500,000 guarantors (see below) |

COLLECTIONS_DUCKDB_MEMORY_LIMIT is DuckDB's memory cap in the loaders and in dbt: it spills to
disk past it (DuckDB's own default is 80 % of RAM).

COLLECTIONS_DBT_THREADS is how many models the daily job's `dbt build` runs at once; unset, the
job chooses by clinic size (orchestration/warehouse/threads.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestration.policy.policy import DEFAULT_POLICY_PATH

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


def _var_dir() -> Path:
    return Path(os.environ.get("COLLECTIONS_VAR_DIR", Path.cwd() / "var"))


@dataclass(frozen=True)
class Paths:
    landing: Path
    warehouse: Path
    outbox: Path
    serving: Path
    policy: Path

    @classmethod
    def from_env(cls) -> Paths:
        var = _var_dir()
        env = os.environ.get
        policy = env("COLLECTIONS_POLICY_PATH")
        if not policy:
            policy = var / "policy.yaml" if (var / "policy.yaml").exists() else DEFAULT_POLICY_PATH
        return cls(
            landing=Path(env("COLLECTIONS_LANDING_DIR") or var / "landing").resolve(),
            warehouse=Path(env("COLLECTIONS_WAREHOUSE_PATH") or var / "warehouse.duckdb").resolve(),
            outbox=Path(env("COLLECTIONS_OUTBOX_DIR") or var / "outbox").resolve(),
            serving=Path(env("COLLECTIONS_SERVING_DIR") or var / "serving").resolve(),
            policy=Path(policy).resolve(),
        )


def folder_env(root: str | os.PathLike) -> dict[str, str]:
    """The environment that puts one installation under `root`: landing/, warehouse.duckdb,
    outbox/, serving/ and var/ (benchmarks, tests and a second clinic on one machine)."""
    root = Path(root)
    return {
        "COLLECTIONS_LANDING_DIR": str(root / "landing"),
        "COLLECTIONS_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "COLLECTIONS_OUTBOX_DIR": str(root / "outbox"),
        "COLLECTIONS_SERVING_DIR": str(root / "serving"),
        "COLLECTIONS_VAR_DIR": str(root / "var"),
    }


def duckdb_memory_limit() -> str:
    """DuckDB's memory_limit for the warehouse's writers (dbt's profile reads the same variable)."""
    return os.environ.get("COLLECTIONS_DUCKDB_MEMORY_LIMIT", "2GB")


def dbt_threads_override() -> str | None:
    """COLLECTIONS_DBT_THREADS as set, or None: the daily job then chooses (warehouse/threads.py)."""
    return os.environ.get("COLLECTIONS_DBT_THREADS") or None


def export_warehouse_path() -> Path:
    """dbt's profile reads COLLECTIONS_WAREHOUSE_PATH; make it the same file the loaders use."""
    path = Paths.from_env().warehouse
    os.environ["COLLECTIONS_WAREHOUSE_PATH"] = str(path)
    return path
