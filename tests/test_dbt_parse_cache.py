"""tests/dbt_parse_cache.py: the saved parse it seeds for a warehouse path is the one dbt itself
would save for that path, and dbt takes it (no full re-parse)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import msgpack

from orchestration.core.settings import DBT_PROJECT_DIR
from tests.dbt_parse_cache import ENV_VAR, partial_parse_env, source_parse


def _state_check(path: Path) -> dict:
    return msgpack.unpackb(path.read_bytes(), raw=False, strict_map_key=False)["state_check"]


def _dbt_parse(warehouse: Path, target: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "parse",
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != ENV_VAR},
            **env,
            "COLLECTIONS_WAREHOUSE_PATH": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_dbt_takes_the_seeded_parse_of_a_new_warehouse_path(tmp_path, dbt_manifest):
    warehouse = tmp_path / "site" / "warehouse.duckdb"
    env = partial_parse_env(warehouse)
    assert set(env) == {ENV_VAR}
    seeded = Path(env[ENV_VAR])
    assert partial_parse_env(warehouse) == env  # made once per path
    assert partial_parse_env(tmp_path / "other.duckdb") == {}  # another database name: dbt parses
    assert _state_check(seeded)["profile_hash"] != _state_check(source_parse())["profile_hash"]

    # dbt on its own: a full parse, which saves the profile hash dbt computes for this path
    log = _dbt_parse(warehouse, tmp_path / "full", {})
    assert "Unable to do partial parsing" in log
    assert (
        _state_check(tmp_path / "full" / "partial_parse.msgpack")["profile_hash"]
        == _state_check(seeded)["profile_hash"]
    )

    # with the seeded parse: no full parse
    log = _dbt_parse(warehouse, tmp_path / "seeded", env)
    assert "Unable to do partial parsing" not in log, log


def test_only_the_manifest_our_parse_wrote_counts_as_fresh(tmp_path, monkeypatch, dbt_manifest):
    """A `dbt build` run by hand in the project rewrites target/manifest.json with its own
    flags and vars: the next ensure_manifest parses again instead of loading it."""
    import shutil

    from orchestration.warehouse import project

    assert project.manifest_is_fresh()  # the session's parse left its stamp
    manifest = tmp_path / "target" / "manifest.json"
    manifest.parent.mkdir()
    shutil.copy2(dbt_manifest, manifest)
    stamp = manifest.parent / project.PARSE_STAMP
    stamp.write_text(project._stamp_of(manifest) + "\n")
    monkeypatch.setattr(project, "MANIFEST", manifest)
    assert project.manifest_is_fresh()
    manifest.write_text(manifest.read_text())  # another dbt command wrote it
    assert not project.manifest_is_fresh()
    stamp.unlink()
    assert not project.manifest_is_fresh()
