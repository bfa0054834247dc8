"""The layers of the Python package (docs/architecture.md, "Layers") and what loading the code
location may do: nothing that a bad policy can break, no change to the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_layers_contract_holds():
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "0 broken" in proc.stdout


_LOAD_AND_RUN = """
import json, os
import dagster as dg
before = dict(os.environ)
from orchestration.definitions import defs
from orchestration.core.partitions import CLINIC_TZ
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
job = defs.resolve_job_def("daily_job")
with dg.DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(partition_key="2026-11-20", instance=instance, raise_on_error=False,
                                    run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
    messages = [e.message or "" for e in instance.all_logs(result.run_id)] + \\
               [str(e.event_specific_data) for e in result.all_events if e.is_failure]
print(json.dumps({"tz": CLINIC_TZ, "changed": changed, "success": result.success,
                  "policy_error": [m for m in messages if "fix the policy file" in m][:1]}))
"""


def _load_and_run(policy_text: str, tmp_path: Path, env: dict) -> dict:
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text)
    run_env = {**os.environ, **{k: str(v) for k, v in env.items()}, "COLLECTIONS_POLICY_PATH": str(policy)}
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_RUN], cwd=REPO, env=run_env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_bad_policy_fails_the_run_not_the_code_location(tmp_path, collections_env, dbt_manifest):
    default = (REPO / "orchestration" / "policy" / "default_policy.yaml").read_text()
    bad = default.replace("timezone: America/Chicago", "timezone: America/Chicago\n  bogus_key: 1", 1)
    assert bad != default
    env = {
        "COLLECTIONS_LANDING_DIR": collections_env["landing"],
        "COLLECTIONS_WAREHOUSE_PATH": collections_env["warehouse"],
        "COLLECTIONS_OUTBOX_DIR": collections_env["outbox"],
        "COLLECTIONS_SERVING_DIR": collections_env["serving"],
        "COLLECTIONS_VAR_DIR": tmp_path / "var",
        "DAGSTER_HOME": tmp_path / "dagster_home",
    }
    out = _load_and_run(bad, tmp_path, env)
    assert out["tz"] == "America/Chicago"  # read from the file alone
    assert out["changed"] == []  # importing the code location changes no variable
    assert out["success"] is False
    assert out["policy_error"], "the run's failure names the policy"
    assert not collections_env["warehouse"].exists()  # stopped before anything was read

    out = _load_and_run("clinic: [not yaml", tmp_path, env)
    assert out["tz"] == "UTC" and out["success"] is False and out["policy_error"]
