"""The metric definitions published beside the serving files (orchestration/serving/semantic.py):
the SQL each metric becomes, computed on a tiny observations table, and the refusal of what
the export cannot express."""

from __future__ import annotations

import copy

import duckdb
import pytest

from orchestration.serving.semantic import add_metric_definitions, metric_definitions

MANIFEST = {
    "semantic_models": [
        {
            "node_relation": {"alias": "fct_scorecard_observations"},
            "measures": [
                {"name": "kept", "agg": "sum", "expr": "case when kpi = 'kept' then numerator end"},
                {"name": "due", "agg": "sum", "expr": "case when kpi = 'kept' then denominator end"},
                {"name": "days", "agg": "median", "expr": "case when kpi = 'days' then measure end"},
            ],
        }
    ],
    "metrics": [
        {
            "name": "kept_rate",
            "label": "Kept",
            "type": "ratio",
            "description": "Kept\n÷ due.",
            "type_params": {"numerator": {"name": "kept"}, "denominator": {"name": "due"}},
        },
        {"name": "kept", "label": "Kept (n)", "type": "simple", "type_params": {"measure": {"name": "kept"}}},
        {"name": "due", "label": "Due (n)", "type": "simple", "type_params": {"measure": {"name": "due"}}},
        {"name": "days", "label": "Days", "type": "simple", "type_params": {"measure": {"name": "days"}}},
    ],
}


def test_each_metric_is_one_aggregate_that_computes_it():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE fct_scorecard_observations AS SELECT * FROM (VALUES "
        "('kept', 1, 1, NULL), ('kept', 0, 1, NULL), ('kept', 1, 1, NULL), ('kept', 0, 0, NULL), "
        "('days', NULL, NULL, 3), ('days', NULL, NULL, 10)) AS t(kpi, numerator, denominator, measure)"
    )
    n = add_metric_definitions(con, MANIFEST)
    rows = con.execute("SELECT metric, description, sql_expression FROM metric_definitions ORDER BY metric").fetchall()
    assert n == 4 and [r[0] for r in rows] == ["days", "due", "kept", "kept_rate"]
    assert rows[3][1] == "Kept ÷ due."  # one line, as a BI tool shows it
    got = {m: con.execute(f"SELECT {sql} FROM fct_scorecard_observations").fetchall()[0][0] for m, _, sql in rows}
    assert got == {"days": 6.5, "due": 3, "kept": 2, "kept_rate": pytest.approx(2 / 3)}
    # a zero denominator gives null, as MetricFlow's ratio does
    assert con.execute(
        f"SELECT {dict((m, s) for m, _, s in rows)['kept_rate']} FROM fct_scorecard_observations WHERE denominator = 0"
    ).fetchall() == [(None,)]


@pytest.mark.parametrize("change", ["derived", "filtered", "percentile"])
def test_what_the_export_cannot_express_is_refused(change):
    manifest = copy.deepcopy(MANIFEST)
    if change == "derived":
        manifest["metrics"].append({"name": "x", "type": "derived", "type_params": {}})
    elif change == "filtered":
        manifest["metrics"][0]["type_params"]["numerator"]["filter"] = {"where_filters": ["x"]}
    else:
        manifest["semantic_models"][0]["measures"][2].update(agg="percentile", agg_params={"percentile": 0.9})
    with pytest.raises(ValueError):
        metric_definitions(manifest)
