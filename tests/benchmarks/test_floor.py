"""The models floor's statement order (benchmarks/floor.py model_statements), on a made-up
manifest: an ephemeral model is inlined in its reader, so its parents come before the reader."""

from benchmarks.floor import model_statements


def _model(name: str, materialized: str, deps: list[str]) -> tuple[str, dict]:
    uid = f"model.p.{name}"
    return uid, {
        "resource_type": "model",
        "name": name,
        "relation_name": f'"w"."s"."{name}"',
        "compiled_code": f"select 1 as {name}",
        "config": {"materialized": materialized},
        "depends_on": {"nodes": [f"model.p.{d}" for d in deps]},
    }


def test_ephemeral_models_are_inlined_after_their_parents():
    # sorted by id, "a_reader" comes first: only the ephemeral's parents order "z_parent" first
    nodes = dict(
        [
            _model("a_reader", "table", ["m_ephemeral"]),
            _model("m_ephemeral", "ephemeral", ["z_parent", "y_view"]),
            _model("z_parent", "table", []),
            _model("y_view", "view", []),
        ]
    )
    nodes["test.p.t"] = {"resource_type": "test", "depends_on": {"nodes": ["model.p.a_reader"]}}
    statements = model_statements({"nodes": nodes})
    names = [n for n, _ in statements]
    assert names == ["z_parent", "y_view", "a_reader"]  # the ephemeral model is no statement
    assert statements[1][1] == 'CREATE OR REPLACE VIEW "w"."s"."y_view" AS (\nselect 1 as y_view\n)'
    assert statements[2][1].startswith('CREATE OR REPLACE TABLE "w"."s"."a_reader" AS')
