"""orchestration/core/settings.py: the ingest step's DuckDB memory limit is three quarters of
the writers' cap (the raw gates' frames share the process), in DuckDB's own units."""

from __future__ import annotations

from orchestration.core.settings import ingest_memory_limit, share_of_memory_limit


def test_a_share_of_a_limit_in_duckdb_units():
    assert share_of_memory_limit("2GB", 0.75) == "1500MB"
    assert share_of_memory_limit("1.5 GiB", 0.5) == "805MB"  # 1.5 * 2**30 / 2 bytes
    assert share_of_memory_limit("4000mb", 0.25) == "1000MB"
    assert share_of_memory_limit("80%", 0.75) == "80%"  # not a size: left as it is


def test_the_ingest_limit_follows_the_writers_cap(monkeypatch):
    monkeypatch.delenv("COLLECTIONS_DUCKDB_INGEST_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("COLLECTIONS_DUCKDB_MEMORY_LIMIT", raising=False)
    assert ingest_memory_limit() == "1500MB"
    monkeypatch.setenv("COLLECTIONS_DUCKDB_MEMORY_LIMIT", "4GB")
    assert ingest_memory_limit() == "3000MB"
    monkeypatch.setenv("COLLECTIONS_DUCKDB_INGEST_MEMORY_LIMIT", "1GB")
    assert ingest_memory_limit() == "1GB"
