"""Shared fixtures. The dbt manifest is built once per session (dbt parse costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    from orchestration.warehouse.project import ensure_manifest
    return ensure_manifest()


@pytest.fixture
def collections_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every path of OUTPUTS.md pointed into a fresh temporary folder."""
    paths = {
        "landing": tmp_path / "landing", "warehouse": tmp_path / "warehouse.duckdb",
        "outbox": tmp_path / "outbox", "serving": tmp_path / "serving",
    }
    paths["landing"].mkdir()
    for key, env in (("landing", "COLLECTIONS_LANDING_DIR"), ("warehouse", "COLLECTIONS_WAREHOUSE_PATH"),
                     ("outbox", "COLLECTIONS_OUTBOX_DIR"), ("serving", "COLLECTIONS_SERVING_DIR")):
        monkeypatch.setenv(env, str(paths[key]))
    monkeypatch.delenv("COLLECTIONS_POLICY_PATH", raising=False)
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return paths
