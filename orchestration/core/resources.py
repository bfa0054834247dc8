"""The one Dagster resource the Python assets share: where things are, and the policy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.core.partitions import check_policy
from orchestration.core.settings import Paths, duckdb_memory_limit
from orchestration.policy.policy import Policy, load_policy

# Every DuckDB writer runs in this pool (limit 1): DuckDB allows one writing process.
WAREHOUSE_POOL = "duckdb_warehouse"


class CollectionsResource(dg.ConfigurableResource):
    """Paths from the environment (settings.Paths) and the validated policy.

    A bad policy stops the step when it starts (`partitions.check_policy`); the daily job's
    resource (`definitions.DailyRunResource`) also checks the keys there."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        check_policy(self.paths.policy)

    @property
    def paths(self) -> Paths:
        return Paths.from_env()

    def policy(self) -> Policy:
        return load_policy(self.paths.policy)

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the warehouse file (never held across a dbt call)."""
        path = self.paths.warehouse
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), config={"memory_limit": duckdb_memory_limit()})
        owner_only(path)
        try:
            yield con
        finally:
            con.close()


def owner_only(path: Path) -> None:
    """The warehouse holds personal data: mode 0600 (its write-ahead log too, when there)."""
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            if p.stat().st_mode & 0o077:
                p.chmod(0o600)
        except FileNotFoundError:
            pass
