"""The print vendor's hand-off manifests of a ``statements/`` folder (statements, and the move
letters under ``statements/letters/``).

A batch's manifest is written last and atomically: it is the hand-off. A manifest that left is
never changed: the first batch of a date writes ``manifest.csv``, a later one (a re-run that
finds touches to mail) ``manifest_0002.csv``, ``manifest_0003.csv``… (:func:`next_manifest`).
``ledger.find_handed_off`` reads them all (``statements/**/manifest*.csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..files import atomic_write, csv_bytes


def manifests(out_dir: str | Path) -> list[Path]:
    """The batch manifests of a folder: manifest.csv, then manifest_0002.csv, … in order."""
    return sorted(Path(out_dir).glob("manifest*.csv"), key=lambda p: (p.name != "manifest.csv", p.name))


def next_manifest(out_dir: str | Path) -> Path:
    """Where the next batch's manifest goes: manifest.csv, else the next manifest_<nnnn>.csv."""
    out = Path(out_dir)
    taken = {p.name for p in manifests(out)}
    if "manifest.csv" not in taken:
        return out / "manifest.csv"
    n = 2
    while f"manifest_{n:04d}.csv" in taken:
        n += 1
    return out / f"manifest_{n:04d}.csv"


def read_manifest(out_dir: str | Path) -> list[dict]:
    """The rows of every manifest of the folder (every file that left)."""
    rows: list[dict] = []
    for p in manifests(out_dir):
        with p.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def write_manifest(path: str | Path, columns: tuple[str, ...], rows: Iterable[Mapping]) -> Path:
    """Write a batch's manifest atomically; never overwrites one that left."""
    return atomic_write(path, csv_bytes(columns, rows))
