"""`python -m orchestration.sample`: one summary line, errors as exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration.sample.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_cli_summary(tmp_path):
    out = tmp_path / "cli"
    p = subprocess.run(
        [sys.executable, "-m", "orchestration.sample", "--out", str(out), "--guarantors", "100", "--seed", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1 and "encounters=" in lines[0] and "era_claims=" in lines[0]


def test_refuses_non_empty_out_with_exit_code_2(tmp_path, capsys):
    out = tmp_path / "x"
    (out / "pm").mkdir(parents=True)
    (out / "pm" / "old.csv").write_text("x\n")
    rc = main(["--out", str(out), "--guarantors", "50"])
    assert rc == 2
    assert "non-empty" in capsys.readouterr().err
    assert (out / "pm" / "old.csv").exists()


def test_unknown_time_zone(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "x"), "--clinic-tz", "Mars/Olympus"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
