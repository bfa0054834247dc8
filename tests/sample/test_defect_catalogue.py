"""defect_catalogue: every listed defect file is written, and the catalogue is consistent."""

from __future__ import annotations

from orchestration.landing.contract import CSV_BY_NAME
from orchestration.sample.defect_catalogue import DEFECT_FILES, DEFECTS


def test_every_defect_file_is_written(sample_clinic):
    root, _ = sample_clinic
    for f in DEFECT_FILES:
        assert (root / f).exists(), f


def test_catalogue_names_known_kinds_and_columns():
    for d in DEFECTS:
        assert d["kind"] == "era" or d["kind"] in CSV_BY_NAME, d
        if d["kind"] != "era" and d["column"]:
            assert CSV_BY_NAME[d["kind"]].column(d["column"]), d
