"""Dagster's SQLite event log, kept open between events.

The stock `SqliteEventLogStorage` opens a new engine for every event and closes it after the
commit; closing the last connection of a WAL database checkpoints and fsyncs it. The daily job
records ~1,000 events (every dbt model and test is an asset event or a check result), and that
open-commit-close cycle was more than half of the job's wall time (docs/benchmarks.md).

This subclass keeps one connection per database file (a run's shard or the index) for the life
of the process, guarded by the storage's own lock as before, with `synchronous=NORMAL` in WAL
mode: a commit no longer waits for the disk, and a power cut can lose at most the last few
events of a run's log, never corrupt it (https://www.sqlite.org/wal.html). Same files, same
schema: the webserver and the daemon read them as usual. Configured in orchestration/core/dagster.yaml.
It also remembers which tables exist instead of opening a connection to ask on every event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

OPEN_SHARDS = 8  # the index plus the few runs a process touches at once; older ones are closed


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    def has_table(self, table_name: str) -> bool:
        """The stock check opens a new engine and connection per call, and Dagster calls it for
        every asset event and every check planned or evaluated (~900 times in a daily run, ~5 %
        of the job's wall). A table, once there, stays (migrations only add): remember it."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _pragmas)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # one connection per file, used by one thread at a time
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()
