"""Name the failing rows of a failed `model_rules` dbt test in its Dagster check result.

A model's rule tests are one dbt test (dbt_project/tests/generic/model_rules.sql, docs/dbt-tests.md)
whose failing rows are (`rule_name`, `failing_key`). dbt reports only how many rows failed; after
the build (dbt holds the warehouse file while it runs) this module runs the test's compiled query
again and puts the rules and keys in the check's description, which the Dagster UI and the daily
job's summary (orchestration/run.py `summary_lines`) print. Keys are record ids, never names or
amounts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb

RULES_TEST = "model_rules"
SHOWN = 10  # keys listed per rule; the count says how many more


def is_rules_check(event) -> bool:
    return (
        isinstance(event, dg.AssetCheckResult)
        and not event.passed
        and (event.check_name or "").startswith(RULES_TEST + "_")
    )


def compiled_query(target: Path, manifest: Path, test_name: str) -> str | None:
    """The SQL dbt ran for the test (target/<invocation>/compiled/<project>/<yml path>/<name>.sql)."""
    nodes = json.loads(Path(manifest).read_text())["nodes"].values()
    for n in nodes:
        if n["resource_type"] == "test" and n["name"] == test_name:
            sql = (
                Path(target)
                / "compiled"
                / n["package_name"]
                / n["original_file_path"]
                / f"{n.get('alias') or n['name']}.sql"
            )
            return sql.read_text() if sql.is_file() else None
    return None


def describe(rows: list[tuple[str, str | None, int]]) -> str:
    """One line per rule from (rule, key, the rule's failing rows):
    `rule <name>: <n> failing row(s): key, key, … (+k more)`."""
    by_rule: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, int] = {}
    for rule, key, total in rows:
        by_rule[rule].append("(no key)" if key is None else str(key))
        totals[rule] = total
    lines = []
    for rule in sorted(by_rule):
        keys = sorted(by_rule[rule])[:SHOWN]
        more = f" (+{totals[rule] - len(keys)} more)" if totals[rule] > len(keys) else ""
        lines.append(f"rule {rule}: {totals[rule]} failing row(s): {', '.join(keys)}{more}")
    return "\n".join(lines)


def failing_rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[str, str | None, int]]:
    """The first SHOWN keys of each failing rule (in key order) and the rule's count."""
    return con.execute(f"""
        SELECT rule_name, failing_key, total FROM (
            SELECT rule_name, failing_key, count(*) OVER (PARTITION BY rule_name) AS total,
                   row_number() OVER (PARTITION BY rule_name ORDER BY failing_key NULLS LAST) AS n
            FROM ({query}) AS failing) AS ranked
        WHERE n <= {SHOWN}""").fetchall()


def name_failing_rows(event: dg.AssetCheckResult, warehouse: Path, target: Path, manifest: Path) -> dg.AssetCheckResult:
    """The check result with its failing rules and keys in `description` (as it was if the
    query cannot be read back: the check still fails)."""
    try:
        query = compiled_query(target, manifest, event.check_name)
        if query is None:
            return event
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            text = describe(failing_rows(con, query))
        finally:
            con.close()
    except (OSError, duckdb.Error, KeyError, ValueError) as exc:
        return event._replace(description=f"failing rows could not be read back: {type(exc).__name__}")
    return event._replace(description=text or event.description)
