"""The semantic layer in the serving folder: what a BI tool needs to compute the metrics without
the warehouse (docs/metrics.md, "Metrics without the warehouse").

metrics.duckdb (private, 0600: the observations carry guarantor and encounter ids) holds
- marts.fct_scorecard_observations and marts.metricflow_time_spine, copied from the warehouse
  under the same schema and names, so MetricFlow's SQL runs on the copy attached as `warehouse`
  (`ATTACH 'metrics.duckdb' AS warehouse (READ_ONLY)`; the relation names in the manifest);
- main.metric_definitions: one row per metric with its label, description, type and a SQL
  aggregate over the observations (`sql_expression`), for tools that do not speak MetricFlow:
  `SELECT week_ending, <sql_expression> FROM marts.fct_scorecard_observations GROUP BY 1`.
metrics_semantic_manifest.json, beside it: MetricFlow's semantic manifest (dbt parse's
target/semantic_manifest.json), for tools that do (mf, the dbt Semantic Layer's clients).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from orchestration.core.settings import DBT_PROJECT_DIR

SEMANTIC_MANIFEST = DBT_PROJECT_DIR / "target" / "semantic_manifest.json"
SERVED_MANIFEST = "metrics_semantic_manifest.json"

# MetricFlow's aggregations as DuckDB SQL (the serving files are DuckDB)
_AGG = {
    "sum": "sum({})",
    "median": "median({})",
    "count": "count({})",
    "min": "min({})",
    "max": "max({})",
    "average": "avg({})",
    "count_distinct": "count(DISTINCT {})",
}


def load_manifest(path: Path = SEMANTIC_MANIFEST) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing: run `make prepare` (dbt parse writes it)") from None


def metric_definitions(manifest: dict) -> list[dict]:
    """Each metric as one SQL aggregate over its semantic model's table (DuckDB dialect).

    Simple metrics: the measure's aggregation of its expression; ratio metrics: numerator ÷
    denominator as MetricFlow computes them (a double division, null when the denominator is 0).
    Other metric types, filters and offsets are not in this project; they raise, so a new one
    cannot be published with a wrong SQL."""
    measures = {}
    for model in manifest["semantic_models"]:
        for m in model["measures"]:
            measures[m["name"]] = (model["node_relation"]["alias"], m)
    by_name = {m["name"]: m for m in manifest["metrics"]}

    def simple(name: str) -> tuple[str, str]:
        metric = by_name[name]
        if metric["type"] != "simple" or metric.get("filter"):
            raise ValueError(f"metric {name}: only unfiltered simple metrics can be a ratio's input")
        table, measure = measures[metric["type_params"]["measure"]["name"]]
        agg = _AGG.get(measure["agg"])
        if agg is None or measure.get("agg_params") or measure.get("non_additive_dimension"):
            raise ValueError(f"measure {measure['name']}: aggregation {measure['agg']} is not exported")
        return table, agg.format(measure.get("expr") or measure["name"])

    rows = []
    for metric in manifest["metrics"]:
        name, kind, params = metric["name"], metric["type"], metric["type_params"]
        if kind == "simple":
            table, sql = simple(name)
        elif kind == "ratio":
            for side in ("numerator", "denominator"):
                if any(params[side].get(k) for k in ("filter", "offset_window", "offset_to_grain")):
                    raise ValueError(f"metric {name}: a filtered or offset {side} is not exported")
            table, num = simple(params["numerator"]["name"])
            den_table, den = simple(params["denominator"]["name"])
            if den_table != table:
                raise ValueError(f"metric {name}: numerator and denominator on different tables")
            sql = f"CAST({num} AS DOUBLE) / CAST(NULLIF({den}, 0) AS DOUBLE)"
        else:
            raise ValueError(f"metric {name}: type {kind} is not exported")
        rows.append(
            {
                "metric": name,
                "label": metric.get("label"),
                "metric_type": kind,
                "description": " ".join((metric.get("description") or "").split()),
                "table_name": table,
                "sql_expression": sql,
            }
        )
    return sorted(rows, key=lambda r: r["metric"])


def add_metric_definitions(con: duckdb.DuckDBPyConnection, manifest: dict) -> int:
    """Write main.metric_definitions into a serving file being built; returns its row count."""
    rows = metric_definitions(manifest)
    con.execute(
        "CREATE TABLE main.metric_definitions (metric VARCHAR PRIMARY KEY, label VARCHAR, "
        "metric_type VARCHAR, description VARCHAR, table_name VARCHAR, sql_expression VARCHAR)"
    )
    con.executemany("INSERT INTO main.metric_definitions VALUES (?, ?, ?, ?, ?, ?)", [tuple(r.values()) for r in rows])
    return len(rows)


def write_served_manifest(serving_dir: Path, manifest: dict) -> Path:
    """The semantic manifest beside the serving files, replaced atomically."""
    target = serving_dir / SERVED_MANIFEST
    tmp = serving_dir / f".{SERVED_MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, target)
    return target
