"""Loading the code location stays light: the heavy libraries of single steps are imported by
those steps (issue 7: every daily run, sensor tick and `dagster dev` reload pays this import)."""

import json
import subprocess
import sys

# imported inside the steps that use them (PDFs, email, GE gates, data frames), never at load
DEFERRED = (
    "reportlab",
    "qrcode",
    "PIL",
    "sendgrid",
    "great_expectations",
    "holidays",
    "matplotlib",
    "pandas",
    "pyarrow",
    "numpy",
)


def test_code_location_import_defers_step_libraries(dbt_manifest):
    code = (
        "import json, sys; import orchestration.definitions; "
        f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
