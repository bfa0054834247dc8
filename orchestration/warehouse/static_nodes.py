"""The dbt nodes a daily `dbt build` need not rebuild when their definition has not changed.

A staging view is a stored query: the raw rows behind it change every day, the view does not,
so creating it again each run (and each seed table, and the time spine, with the tests that
read only those tables) only re-does what is already there (docs/benchmarks.md, "Fewer dbt
nodes"). These *static* nodes are
  - every view (the staging models);
  - every seed, and every table model that reads no other node and nothing that changes by the
    run (no var, env var, query at compile time or clock: MetricFlow's time spine);
  - every test whose parents are all static tables (the seeds' and the time spine's rules).
The tests of the views are NOT static: the rows they read change daily, so they run in every
build and still skip the children of a failing view (dbt build).

After a whole build that succeeded, the daily job records in the warehouse
(`ops.dbt_static_nodes`) a hash of the static nodes' definitions (`definition_hash`) and a
fingerprint of each of their relations as built (a view's stored SQL, a table's rows). The next
run leaves them out of `dbt build` only when the hash is the same, every relation exists and has
the recorded fingerprint (`skip_static`): a new warehouse, a changed definition (model SQL,
config, seed file, a macro it calls, dbt's version), a warehouse built since by another code
version or by hand, or a run of a subset of the assets builds them as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

RECORD_TABLE = "ops.dbt_static_nodes"
# what makes a node's build depend on more than its definition (compile-time values)
RUN_DEPENDENT = (
    "var(",
    "env_var(",
    "run_query(",
    "statement(",
    "run_started_at",
    "invocation_id",
    "modules.datetime",
    "current_date",
    "current_timestamp",
    "now()",
)


@dataclass(frozen=True)
class StaticNodes:
    names: tuple[str, ...]  # dbt node names, the `--exclude` of a build that skips them
    relations: Mapping[str, str]  # "schema.alias" -> "view" | "table", of the static models and seeds
    assets: tuple[Mapping[str, Any], ...]  # the static models and seeds (manifest nodes); tests: `names`
    definition_hash: str


@dataclass(frozen=True)
class Recorded:
    definition_hash: str
    relations: Mapping[str, str | None]
    run_id: str | None


def _macro_closure(manifest: Mapping[str, Any], macro_ids: Sequence[str]) -> dict[str, str]:
    macros = manifest.get("macros", {})
    seen: dict[str, str] = {}
    todo = list(macro_ids)
    while todo:
        uid = todo.pop()
        if uid in seen or uid not in macros:
            continue
        m = macros[uid]
        seen[uid] = m.get("macro_sql", "")
        todo.extend((m.get("depends_on") or {}).get("macros", []))
    return seen


def _materialization_macros(manifest: Mapping[str, Any], materialized: set[str]) -> list[str]:
    return sorted(
        uid
        for uid, m in manifest.get("macros", {}).items()
        if any(m.get("name", "").startswith(f"materialization_{mat}_") for mat in materialized)
    )


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def _run_dependent(node: Mapping[str, Any], macros: Mapping[str, str]) -> bool:
    """A compile-time value in the node's Jinja or in a macro it calls (the SQL itself may name
    a column `run_started_at`)."""
    text = "\n".join([*_JINJA.findall(node.get("raw_code", "")), *macros.values()])
    return any(token in text for token in RUN_DEPENDENT)


def _node_part(node: Mapping[str, Any], macros: Mapping[str, str]) -> dict[str, Any]:
    return {
        "unique_id": node["unique_id"],
        "checksum": (node.get("checksum") or {}).get("checksum"),
        "raw_code": node.get("raw_code", ""),
        "config": node.get("config", {}),
        "relation": [node.get("schema"), node.get("alias")],
        "depends_on": sorted((node.get("depends_on") or {}).get("nodes", [])),
        "test_metadata": node.get("test_metadata"),
        "macros": macros,
    }


def static_nodes(manifest: Mapping[str, Any]) -> StaticNodes:
    """The static nodes of a dbt manifest (parsed manifest.json) and the hash of their
    definitions. Pure."""
    nodes = manifest["nodes"]
    parts: list[dict[str, Any]] = []
    names: list[str] = []
    relations: dict[str, str] = {}
    assets: list[Mapping[str, Any]] = []
    static_tables: set[str] = set()
    for uid, node in sorted(nodes.items()):
        rtype = node["resource_type"]
        materialized = (node.get("config") or {}).get("materialized")
        macros = _macro_closure(manifest, (node.get("depends_on") or {}).get("macros", []))
        if rtype == "seed":
            kind = "table"
        elif rtype == "model" and materialized == "view":
            kind = "view"
        elif rtype == "model" and materialized == "table" and not (node.get("depends_on") or {}).get("nodes"):
            kind = "table"
        else:
            continue
        if _run_dependent(node, macros):
            continue
        if kind == "table":
            static_tables.add(uid)
        names.append(node["name"])
        relations[f"{node['schema']}.{node['alias']}"] = kind
        assets.append(node)
        parts.append(_node_part(node, macros))
    for _uid, node in sorted(nodes.items()):
        parents = (node.get("depends_on") or {}).get("nodes", [])
        if node["resource_type"] != "test" or not parents or not set(parents) <= static_tables:
            continue
        macros = _macro_closure(manifest, (node.get("depends_on") or {}).get("macros", []))
        if _run_dependent(node, macros):
            continue
        names.append(node["name"])
        parts.append(_node_part(node, macros))
    materialized = {(n.get("config") or {}).get("materialized") or "seed" for n in assets}
    engine = {
        "dbt_version": (manifest.get("metadata") or {}).get("dbt_version"),
        "adapter_type": (manifest.get("metadata") or {}).get("adapter_type"),
        "materializations": _macro_closure(manifest, _materialization_macros(manifest, materialized)),
    }
    blob = json.dumps({"engine": engine, "nodes": parts}, sort_keys=True, default=str)
    return StaticNodes(
        names=tuple(names),
        relations=relations,
        assets=_topological(assets),
        definition_hash=hashlib.sha256(blob.encode()).hexdigest(),
    )


def _topological(nodes: list[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """Parents before children (a seed before the view that reads it): Dagster takes a
    multi-asset's materializations only in that order."""
    ids = {n["unique_id"] for n in nodes}
    done: set[str] = set()
    out: list[Mapping[str, Any]] = []
    todo = sorted(nodes, key=lambda n: n["unique_id"])
    while todo:
        ready = [n for n in todo if set((n.get("depends_on") or {}).get("nodes", [])) & ids <= done]
        if not ready:
            raise ValueError("a cycle among the static nodes")
        out += ready
        done |= {n["unique_id"] for n in ready}
        todo = [n for n in todo if n["unique_id"] not in done]
    return tuple(out)


@lru_cache(maxsize=4)
def _static_nodes_of(path: str, mtime_ns: int) -> StaticNodes:
    return static_nodes(json.loads(Path(path).read_text()))


def static_nodes_of(manifest_path: Path) -> StaticNodes:
    """static_nodes of the manifest file (parsed once per version of the file)."""
    return _static_nodes_of(str(manifest_path), Path(manifest_path).stat().st_mtime_ns)


def skip_static(
    static: StaticNodes, recorded: Recorded | None, live: Mapping[str, str | None], *, subset: bool
) -> bool:
    """Whether this build may leave the static nodes out: a whole build (not a subset of the
    assets), the definitions hashed as recorded after the last whole build that succeeded, and
    every static relation present with the fingerprint it had then. Pure."""
    if subset or recorded is None or not static.names:
        return False
    if recorded.definition_hash != static.definition_hash:
        return False
    return all(live.get(r) is not None and live.get(r) == recorded.relations.get(r) for r in static.relations)


def build_args(static: StaticNodes, skip: bool) -> list[str]:
    """`dbt build`'s arguments. Leaving the static nodes out needs indirect selection `empty`:
    dbt's default (eager) would also leave out every test of an excluded view (its rules,
    which must run every day); the whole project is still selected directly (tests included).
    One `--exclude` value, space-separated: dagster-dbt takes one value per flag."""
    if not skip:
        return ["build"]
    return ["build", "--exclude", " ".join(static.names), "--indirect-selection", "empty"]


# --- the warehouse side (I/O) -------------------------------------------------------------------


def relation_fingerprints(con: duckdb.DuckDBPyConnection, relations: Mapping[str, str]) -> dict[str, str | None]:
    """Each relation as it is now: a view's stored SQL (md5), a table's row count and hash of its
    rows; None when it does not exist, is not of that kind, or is a view that no longer binds."""
    views = {
        f"{s}.{n}": sql
        for s, n, sql in con.execute(
            "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
    }
    tables = {
        f"{s}.{n}"
        for s, n in con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
    }
    out: dict[str, str | None] = {}
    for rel, kind in relations.items():
        if kind == "view":
            sql = views.get(rel)
            out[rel] = None if sql is None or not _binds(con, rel) else hashlib.md5(sql.encode()).hexdigest()
        elif rel in tables:
            schema, name = rel.split(".", 1)
            n, h = con.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{schema}"."{name}" AS t').fetchone()
            out[rel] = f"{n}:{h}"
        else:
            out[rel] = None
    return out


def _binds(con: duckdb.DuckDBPyConnection, rel: str) -> bool:
    """The view still reads what it names (a column or table it selects may be gone)."""
    schema, name = rel.split(".", 1)
    try:
        con.execute(f'SELECT * FROM "{schema}"."{name}" LIMIT 0').fetchall()
    except duckdb.Error:
        return False
    return True


def read_recorded(con: duckdb.DuckDBPyConnection) -> Recorded | None:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' AND table_name = 'dbt_static_nodes'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(f"SELECT definition_hash, relations, run_id FROM {RECORD_TABLE}").fetchone()
    if row is None:
        return None
    return Recorded(definition_hash=row[0], relations=json.loads(row[1]), run_id=row[2])


def plan_static_build(
    con: duckdb.DuckDBPyConnection, static: StaticNodes, *, subset: bool
) -> tuple[bool, Recorded | None]:
    """(skip, the record it was decided on): skip_static on this warehouse."""
    if subset:
        return False, None
    recorded = read_recorded(con)
    live = relation_fingerprints(con, static.relations) if recorded is not None else {}
    return skip_static(static, recorded, live, subset=subset), recorded


def record_static_build(con: duckdb.DuckDBPyConnection, static: StaticNodes, run_id: str | None) -> None:
    """After a whole build that succeeded: the definitions and the relations as built."""
    live = relation_fingerprints(con, static.relations)
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(
        f"CREATE OR REPLACE TABLE {RECORD_TABLE} AS SELECT CAST(? AS VARCHAR) AS definition_hash, "
        "CAST(? AS VARCHAR) AS relations, CAST(? AS VARCHAR) AS run_id, "
        "current_timestamp::TIMESTAMP AS recorded_at",
        [static.definition_hash, json.dumps(live, sort_keys=True), run_id],
    )
