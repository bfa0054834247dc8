"""One generated clinic (1,500 guarantors, seed 11, with every defect) shared by the tests of
tests/sample that read a whole landing zone; the tests of single modules build their own inputs."""

from __future__ import annotations

import pytest

from orchestration.sample.generator import generate
from tests.sample.landing_reader import AS_OF, N


@pytest.fixture(scope="session")
def sample_clinic(tmp_path_factory):
    """(landing root, the summary `generate` returned)."""
    out = tmp_path_factory.mktemp("clinic") / "landing"
    summary = generate(out, guarantors=N, seed=11, as_of=AS_OF, defects=True)
    return out, summary
