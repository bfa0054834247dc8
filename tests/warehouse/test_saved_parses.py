"""Each warehouse path's last dbt parse is kept and put back before its next build
(orchestration/warehouse/project.py): two clinics on one machine, run in turn, each
partial-parse instead of re-parsing the whole project on every run."""

from __future__ import annotations

import os

import pytest

from orchestration.warehouse.project import (
    KEEP_SAVED_PARSES,
    PARTIAL_PARSE,
    SAVED_PARSES,
    keep_partial_parse,
    prune_target,
    restore_partial_parse,
    saved_parse_of,
)


@pytest.fixture(autouse=True)
def _no_tests_parse(monkeypatch):
    monkeypatch.delenv("DBT_PARTIAL_PARSE_FILE_PATH", raising=False)


def _build(tmp_path, name: str, content: bytes):
    """A build's own target folder holding the parse dbt wrote."""
    run = tmp_path / name
    run.mkdir()
    (run / PARTIAL_PARSE).write_bytes(content)
    return run


def test_each_path_gets_its_own_parse_back(tmp_path):
    target = tmp_path / "target"
    a, b = tmp_path / "clinic_a" / "warehouse.duckdb", tmp_path / "clinic_b" / "warehouse.duckdb"
    keep_partial_parse(_build(tmp_path, "run1", b"parse of a"), a, target)
    assert (target / PARTIAL_PARSE).read_bytes() == b"parse of a"
    keep_partial_parse(_build(tmp_path, "run2", b"parse of b"), b, target)
    assert (target / PARTIAL_PARSE).read_bytes() == b"parse of b"
    assert saved_parse_of(a, target) != saved_parse_of(b, target)

    restore_partial_parse(a, target)  # clinic a's turn again
    assert (target / PARTIAL_PARSE).read_bytes() == b"parse of a"
    restore_partial_parse(tmp_path / "new" / "warehouse.duckdb", target)  # none kept: as it is
    assert (target / PARTIAL_PARSE).read_bytes() == b"parse of a"
    restore_partial_parse(b, target)
    assert (target / PARTIAL_PARSE).read_bytes() == b"parse of b"
    assert not list(target.glob(".*.tmp")) and not list((target / SAVED_PARSES).glob(".*.tmp"))


def test_a_build_without_a_parse_and_the_tests_own_parse_change_nothing(tmp_path, monkeypatch):
    target = tmp_path / "target"
    w = tmp_path / "warehouse.duckdb"
    empty = tmp_path / "empty"
    empty.mkdir()
    keep_partial_parse(empty, w, target)  # dbt failed before writing one
    assert not (target / PARTIAL_PARSE).exists()
    keep_partial_parse(_build(tmp_path, "run1", b"kept"), w, target)
    monkeypatch.setenv("DBT_PARTIAL_PARSE_FILE_PATH", str(tmp_path / "tests.msgpack"))
    keep_partial_parse(_build(tmp_path, "run2", b"the tests'"), tmp_path / "other.duckdb", target)
    restore_partial_parse(tmp_path / "other.duckdb", target)
    assert (target / PARTIAL_PARSE).read_bytes() == b"kept"
    assert len(list((target / SAVED_PARSES).iterdir())) == 1


def test_only_the_most_recently_used_paths_are_kept(tmp_path):
    target = tmp_path / "target"
    paths = [tmp_path / f"clinic_{i}" / "warehouse.duckdb" for i in range(KEEP_SAVED_PARSES + 3)]
    old, new = paths[:KEEP_SAVED_PARSES], paths[KEEP_SAVED_PARSES:]
    for i, w in enumerate(old):
        keep_partial_parse(_build(tmp_path, f"run{i}", f"parse {i}".encode()), w, target)
        os.utime(saved_parse_of(w, target), (1_000_000 + i, 1_000_000 + i))  # one second apart
    restore_partial_parse(old[0], target)  # the oldest, used again: now the most recent
    for i, w in enumerate(new):
        keep_partial_parse(_build(tmp_path, f"new{i}", f"new {i}".encode()), w, target)
    kept = {p.name for p in (target / SAVED_PARSES).iterdir()}
    assert len(kept) == KEEP_SAVED_PARSES
    assert {saved_parse_of(w, target).name for w in [old[0], *new]} <= kept
    assert not {saved_parse_of(w, target).name for w in old[1:4]} & kept  # the least recently used went


def test_pruning_the_build_folders_keeps_the_saved_parses(tmp_path):
    target = tmp_path / "target"
    keep_partial_parse(_build(tmp_path, "run", b"p"), tmp_path / "w.duckdb", target)
    for i in range(7):
        (target / f"warehouse_dbt-{i}").mkdir()
        os.utime(target / f"warehouse_dbt-{i}", (2_000_000_000 + i, 2_000_000_000 + i))
    prune_target(keep=5, target=target)
    assert (target / SAVED_PARSES).is_dir() and len(list((target / SAVED_PARSES).iterdir())) == 1
    assert sorted(p.name for p in target.iterdir() if p.name.startswith("warehouse_dbt-")) == [
        f"warehouse_dbt-{i}" for i in range(2, 7)
    ]
