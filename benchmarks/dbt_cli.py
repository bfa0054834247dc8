"""dbt as the benchmarks start it: a subprocess of the venv's dbt on a given warehouse file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def run_dbt(args: list[str], warehouse: Path, project: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt <args>` (orchestration/warehouse/project.py dbt_args) against `warehouse`, its output
    captured; exits naming the command and the end of its output when dbt fails. The tests'
    saved parse (DBT_PARTIAL_PARSE_FILE_PATH) is not used: a benchmark parses as the job does."""
    from orchestration.core.settings import DBT_PROJECT_DIR
    from orchestration.warehouse.project import DBT_EXECUTABLE

    env = {**os.environ, "COLLECTIONS_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)
    out = subprocess.run(
        [DBT_EXECUTABLE, *args], env=env, cwd=project or DBT_PROJECT_DIR, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args[:2])} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out
