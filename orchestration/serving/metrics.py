"""The semantic layer's command line: MetricFlow's `mf` on this project's warehouse, offline.

    python -m orchestration.serving.metrics list metrics
    python -m orchestration.serving.metrics query --metrics recovery_rate --group-by metric_time__month
    python -m orchestration.serving.metrics validate-configs

Every `mf` command and option works (docs/metrics.md). What this adds to a bare `mf`:
- no outbound call: `mf` asks pypi.org for a newer version on every start (dbt-metricflow's
  UpdateChecker); the pipeline makes no call beyond the machine, so the check is replaced by one
  that finds nothing;
- the project's dbt profile (dbt_project/profiles.yml, target duckdb) on the warehouse the
  pipeline uses (COLLECTIONS_WAREHOUSE_PATH, default ./var/warehouse.duckdb), from any folder;
- plain progress lines on stderr instead of `mf`'s animated spinners (halo), so stdout holds only
  the answer (a table, or the CSV with --csv) and a log or a pipe reads cleanly;
- a fresh semantic manifest (dbt_project/target/semantic_manifest.json, written by `dbt parse`
  when the project changed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from orchestration.core.settings import DBT_PROJECT_DIR, export_warehouse_path


class _NoUpdateCheck:
    """Stands in for update_checker.UpdateChecker: reports that no update was found."""

    def check(self, package_name: str, package_version: str) -> None:
        return None


class _Progress:
    """Stands in for halo.Halo: prints the outcome of a step on stderr, without animation."""

    def __init__(self, text: str = "", **_: object) -> None:
        self.text = text

    def start(self, text: str | None = None) -> _Progress:
        return self

    def stop(self) -> _Progress:
        return self

    def _line(self, mark: str, text: str | None) -> _Progress:
        print(f"{mark} {text or self.text}", file=sys.stderr)
        return self

    def succeed(self, text: str | None = None) -> _Progress:
        return self._line("ok:", text)

    def fail(self, text: str | None = None) -> _Progress:
        return self._line("failed:", text)

    def warn(self, text: str | None = None) -> _Progress:
        return self._line("warning:", text)

    def info(self, text: str | None = None) -> _Progress:
        return self._line("info:", text)


def run_mf(args: Sequence[str]) -> int:
    """Run the `mf` CLI in this process with `args`; returns its exit code."""
    from orchestration.warehouse.project import ensure_manifest

    warehouse = export_warehouse_path()
    asks_help = any(a in ("--help", "-h", "--version") for a in args)
    if not warehouse.exists() and not asks_help:  # dbt would make an empty one: every answer would fail
        print(
            f"error: no warehouse at {warehouse}: run `make demo` (or the daily job) first, or set "
            "COLLECTIONS_WAREHOUSE_PATH",
            file=sys.stderr,
        )
        return 2
    ensure_manifest()
    os.environ["DBT_PROJECT_DIR"] = str(DBT_PROJECT_DIR)
    os.environ["DBT_PROFILES_DIR"] = str(DBT_PROJECT_DIR)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

    import dbt_metricflow.cli.main as mf_cli

    mf_cli.UpdateChecker = _NoUpdateCheck  # read by name when `mf` starts: no pypi.org call
    mf_cli.Halo = _Progress
    try:
        mf_cli.cli.main(args=list(args), prog_name="mf", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_mf(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
