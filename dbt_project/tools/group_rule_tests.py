"""Rewrite the rule tests of the project's .yml files as one `model_rules` test per model.

dbt pays a fixed cost per node (docs/benchmarks.md); a model's `not_null`, `unique`,
`accepted_values`, `relationships` and `columns_not_null` tests become rules of one
`model_rules_<model>` test (tests/generic/model_rules.sql), each rule named as the test it
replaces, so no assertion is lost and a failure still names it. A test with `severity: warn`
goes into `model_rules_<model>_warn`. `relationships` rules go into
`model_rules_<model>_relationships`: a test that reads another model blocks only the children
of both (dbt build), so they stay out of the test that gates every child of the model.
Idempotent: run it again after adding tests the old way.

    .venv/bin/python dbt_project/tools/group_rule_tests.py        # rewrites the .yml files

docs/dbt-tests.md lists the mapping from the former tests to the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

PROJECT = Path(__file__).resolve().parents[1]
KINDS = ("not_null", "unique", "accepted_values", "relationships")


def _flow(items):
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def rule_name(kind: str, column: str) -> str:
    """`<kind>_<column>`: unique within the model, whose name the test carries."""
    return f"{kind}_{column}"


def _parse_column_test(test) -> tuple[str, dict, dict]:
    if isinstance(test, str):
        return test, {}, {}
    ((kind, body),) = test.items()
    body = body or {}
    return kind, dict(body.get("arguments") or {}), dict(body.get("config") or {})


def group_model(node: CommentedMap) -> None:
    model = node["name"]
    rules = {"error": [], "warn": [], "relationships": []}
    key = None
    for col in node.get("columns") or []:
        tests = col.get("data_tests")
        if not tests:
            continue
        keep = []
        for t in tests:
            kind, args, config = _parse_column_test(t)
            if kind not in KINDS:
                keep.append(t)
                continue
            name = rule_name(kind, col["name"])
            if kind in ("not_null", "unique"):
                rule = CommentedMap([("name", name), (kind, col["name"])])
                if kind == "unique" and key is None:
                    key = col["name"]
            else:
                body = CommentedMap([("column", col["name"])])
                for k, v in args.items():
                    body[k] = _flow(list(v)) if isinstance(v, list) else v
                body.fa.set_flow_style()
                rule = CommentedMap([("name", name), (kind, body)])
            rule.fa.set_flow_style()
            severity = config.pop("severity", "error")
            if config:
                raise SystemExit(f"{model}.{col['name']} {kind}: config {config} not supported by model_rules")
            if kind == "relationships" and severity == "error":
                severity = "relationships"
            rules[severity].append(rule)
        if keep:
            col["data_tests"] = keep
        else:
            del col["data_tests"]
    model_tests = node.get("data_tests") or []
    keep = []
    for t in model_tests:
        if isinstance(t, dict) and t.get("test_name") == "columns_not_null":
            for c in t["arguments"]["column_names"]:
                rule = CommentedMap([("name", rule_name("not_null", c)), ("not_null", c)])
                rule.fa.set_flow_style()
                rules["error"].append(rule)
        elif isinstance(t, dict) and t.get("test_name") == "model_rules":
            group = next((g for g in ("warn", "relationships") if t["name"].endswith("_" + g)), "error")
            rules[group] = list(t["arguments"]["rules"]) + rules[group]
            key = key or t["arguments"].get("key")
        else:
            keep.append(t)
    for severity, items in rules.items():
        if not items:
            continue
        test_name = f"model_rules_{model}" + ("" if severity == "error" else f"_{severity}")
        args = CommentedMap()
        if key:
            args["key"] = key
        args["rules"] = CommentedSeq(items)
        test = CommentedMap([("name", test_name), ("test_name", "model_rules"), ("arguments", args)])
        if severity == "warn":
            test["config"] = CommentedMap([("severity", "warn")])
        keep.append(test)
    if keep:
        node["data_tests"] = keep
        # data_tests right after description, as the files have them
        if "columns" in node:
            items = list(node.items())
            node.clear()
            order = [k for k, _ in items if k not in ("data_tests", "columns")] + ["data_tests", "columns"]
            for k in order:
                node[k] = dict(items)[k]
    elif "data_tests" in node:
        del node["data_tests"]


def main(argv: list[str]) -> int:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # one rule per line
    yaml.indent(mapping=2, sequence=4, offset=2)
    files = sorted((PROJECT / "models").rglob("_*.yml")) + sorted((PROJECT / "seeds").glob("_*.yml"))
    for f in files:
        doc = yaml.load(f.read_text())
        nodes = (doc.get("models") or []) + (doc.get("seeds") or [])
        if not nodes:
            continue
        for node in nodes:
            group_model(node)
        with f.open("w") as out:
            yaml.dump(doc, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
