"""Great Expectations 1.x quality gates on the rows a run just loaded into the raw layer.

Suites are reviewed JSON files, one per raw table, in `expectations/<suite>.json`:

    {"name": "raw_guarantors",
     "expectations": [{"type": "expect_column_values_to_not_be_null",
                       "kwargs": {"column": "guarantor_id"},
                       "meta": {"notes": "why this rule exists"},
                       "severity": "critical"}]}

GE has no DuckDB dialect, so the caller queries the run's new rows from DuckDB into a pandas
DataFrame and hands it to `validate_dataframe`. Full-table rules (uniqueness over history,
sums) belong to dbt tests in SQL, not here.

Severity: a failed `critical` expectation makes the suite fail (a blocking check); a failed
`warning` is reported but does not block; `info` is only recorded.

Patient data: outcomes carry counts only. GE is asked for no unexpected values
(`partial_unexpected_count: 0`) and no error message from GE is passed on, since either can
hold row values.

Importing GE takes seconds, so it is imported inside the functions that need it, never at
module import. One ephemeral context (nothing written to disk) serves the whole process.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
SEVERITIES = ("critical", "warning", "info")
# GE computes these and returns counts only: no sample of unexpected values (PHI).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
# kwargs that name a column of the validated frame
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list", "column_set")
_BOUND_KWARGS = ("min_value", "max_value")

_lock = threading.RLock()
_state: dict[str, Any] = {}


@dataclass
class ExpectationOutcome:
    expectation: str  # expectation type, e.g. expect_column_values_to_not_be_null
    column: str | None
    severity: str  # critical | warning | info
    success: bool
    unexpected_count: int | None
    detail: str  # short human text, never a row value


@dataclass
class SuiteResult:
    suite: str
    success: bool  # False iff any critical expectation failed
    rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    def as_metadata(self) -> dict:
        """Small JSON-able summary (for Dagster metadata): counts and the failed expectations."""
        failed = [o for o in self.outcomes if not o.success]
        return {
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "expectations": len(self.outcomes),
            "critical_failures": len(self.critical_failures),
            "warnings": len(self.warnings),
            "failed": [asdict(o) for o in failed],
        }


# ---------------------------------------------------------------------------------------------
# suite files


def _dir(suites_dir: Path | str | None) -> Path:
    return Path(suites_dir) if suites_dir is not None else EXPECTATIONS_DIR


def suite_path(name: str, suites_dir: Path | str | None = None) -> Path:
    """`expectations/<name>.json` (the name is a plain file stem, no path). `suites_dir`
    overrides the folder (default: the repo's `expectations/`)."""
    if not name or Path(name).name != name or name.startswith("."):
        raise ValueError(f"invalid suite name {name!r}")
    return _dir(suites_dir) / f"{name}.json"


def list_suites(suites_dir: Path | str | None = None) -> list[str]:
    return sorted(p.stem for p in _dir(suites_dir).glob("*.json"))


def suite_for_table(table: str) -> str:
    """Suite name of a raw table: 'raw.guarantors' or 'guarantors' -> 'raw_guarantors'."""
    return "raw_" + table.split(".")[-1]


def _read_suite(name: str, suites_dir: Path | str | None = None) -> dict:
    """Parse and structurally check a suite file, without GE (cheap)."""
    path = suite_path(name, suites_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such expectation suite file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ValueError(f"{path}: expected an object with an 'expectations' list")
    if data.get("name") != name:
        raise ValueError(f"{path}: 'name' is {data.get('name')!r}, expected {name!r}")
    for i, exp in enumerate(data["expectations"]):
        where = f"{path}: expectation #{i}"
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise ValueError(f"{where}: needs a string 'type'")
        if not isinstance(exp.get("kwargs", {}), dict):
            raise ValueError(f"{where} ({exp['type']}): 'kwargs' must be an object")
        unknown = set(exp) - {"type", "kwargs", "meta", "notes", "description", "severity"}
        if unknown:
            raise ValueError(f"{where} ({exp['type']}): unknown keys {sorted(unknown)}")
        if exp.get("severity", "critical") not in SEVERITIES:
            raise ValueError(
                f"{where} ({exp['type']}): severity {exp.get('severity')!r} is not one of {', '.join(SEVERITIES)}"
            )
    return data


def read_suite(name: str, suites_dir: Path | str | None = None) -> dict:
    """A suite file's JSON, structurally checked (no GE import)."""
    return _read_suite(name, suites_dir)


def _build(exp: dict, path: Path, index: int):
    """One GE Expectation object from its JSON form; ValueError naming the file if invalid.

    (`ExpectationSuite(expectations=[dict, ...])` would log and silently drop an invalid one.)
    """
    _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        config = ExpectationConfiguration(
            type=exp["type"],
            kwargs=dict(exp.get("kwargs", {})),
            meta=copy.deepcopy(exp.get("meta")),
            notes=exp.get("notes"),
            description=exp.get("description"),
            severity=exp.get("severity", "critical"),
        )
        return config.to_domain_obj()
    except Exception as exc:  # ExpectationNotFoundError, pydantic ValidationError, ...
        first = str(exc).strip().splitlines()
        reason = " ".join(line.strip() for line in first[:4]) if first else type(exc).__name__
        raise ValueError(f"{path}: expectation #{index} ({exp['type']}): {reason}") from exc


def load_suite_json(name: str, suites_dir: Path | str | None = None) -> dict:
    """The suite's JSON, checked: every expectation must be a real GE expectation with valid
    kwargs and severity. Raises ValueError naming the file otherwise. (Imports GE.)"""
    data = _read_suite(name, suites_dir)
    path = suite_path(name, suites_dir)
    for i, exp in enumerate(data["expectations"]):
        _build(exp, path, i)
    return data


def suite_columns(suite: dict) -> set[str]:
    """Every column name a suite refers to."""
    cols: set[str] = set()
    for exp in suite["expectations"]:
        kw = exp.get("kwargs", {})
        cols.update(kw[k] for k in COLUMN_KWARGS if isinstance(kw.get(k), str))
        for k in COLUMN_LIST_KWARGS:
            cols.update(kw.get(k) or [])
    return cols


def _columns_of(exp: dict) -> list[str]:
    kw = exp.get("kwargs", {})
    cols = [kw[k] for k in COLUMN_KWARGS if isinstance(kw.get(k), str)]
    for k in COLUMN_LIST_KWARGS:
        cols += list(kw.get(k) or [])
    return cols


# ---------------------------------------------------------------------------------------------
# GE context


def _gx():
    """Import GE (lazily, once) with analytics and progress bars off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def prepare_in_background() -> None:
    """Import GE and build the context on a daemon thread, so that the seconds it takes overlap
    the loading that comes before the first validation (the loaders spend them in DuckDB and in
    worker processes, outside the GIL). Safe to call more than once."""
    with _lock:
        if "batch_definition" in _state or "warming" in _state:
            return
        _state["warming"] = threading.Thread(target=_batch_definition, name="ge-warm-up", daemon=True)
        _state["warming"].start()


def _batch_definition():
    """The process's ephemeral context -> pandas source -> whole-dataframe batch definition."""
    with _lock:
        if "batch_definition" not in _state:
            gx = _gx()
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            context = gx.get_context(mode="ephemeral", project_config=config)
            source = context.data_sources.add_pandas("pipeline_frames")
            asset = source.add_dataframe_asset("frame")
            _state["context"] = context
            _state["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
        return _state["batch_definition"]


# ---------------------------------------------------------------------------------------------
# validation


def _prepare(df: pandas.DataFrame, exps: list[dict]) -> tuple[pandas.DataFrame, list[dict]]:
    """Adapt date bounds to DuckDB's frames.

    DuckDB returns DATE/TIMESTAMP as datetime64[us]; GE's pandas engine compares a column with
    bounds in a vectorized way only for datetime64[ns], and a JSON bound like "1990-01-01"
    becomes a `datetime.date` that pandas will not compare with datetime64. So: bounds of a
    datetime column become pandas Timestamps, and the column is cast to [ns] when its values
    fit (else GE falls back to its slower per-value comparison, which is still correct).
    """
    import pandas as pd

    out = df
    prepared = []
    for exp in exps:
        kw = exp.get("kwargs", {})
        col = kw.get("column")
        if (
            col in df.columns
            and any(isinstance(kw.get(b), str) for b in _BOUND_KWARGS)
            and pd.api.types.is_datetime64_any_dtype(df[col].dtype)
        ):
            exp = {
                **exp,
                "kwargs": {**kw, **{b: pd.Timestamp(kw[b]) for b in _BOUND_KWARGS if isinstance(kw.get(b), str)}},
            }
            if df[col].dtype != "datetime64[ns]" and not isinstance(df[col].dtype, pd.DatetimeTZDtype):
                try:
                    cast = df[col].astype("datetime64[ns]")
                except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                    cast = None
                if cast is not None:
                    if out is df:
                        out = df.copy(deep=False)
                    out[col] = cast
        prepared.append(exp)
    return out, prepared


_WHAT = {
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_be_null": "not null",
    "expect_column_values_to_be_in_set": "not in the allowed set",
    "expect_column_values_to_not_be_in_set": "in the forbidden set",
    "expect_column_values_to_match_regex": "not matching the pattern",
    "expect_column_values_to_not_match_regex": "matching the forbidden pattern",
    "expect_column_values_to_be_unique": "duplicated",
}


def _detail(exp: dict, success: bool, result: dict, rows: int) -> str:
    """Counts and suite constants only; never a value from the frame."""
    etype = exp["type"]
    kw = exp.get("kwargs", {})
    count = result.get("unexpected_count")
    if count is None:
        if etype.startswith("expect_table_") and isinstance(result.get("observed_value"), (int, float)):
            return f"observed {result['observed_value']} ({'ok' if success else 'failed'})"
        return "passed" if success else "failed"
    count = int(count)
    if etype == "expect_column_values_to_not_be_null":
        text = f"{count} of {rows} rows null"
    else:
        checked = int(result.get("element_count", rows)) - int(result.get("missing_count") or 0)
        what = _WHAT.get(etype)
        if what is None and etype == "expect_column_values_to_be_between":
            lo, hi = kw.get("min_value"), kw.get("max_value")
            lo_b = ("(" if kw.get("strict_min") else "[") + ("-inf" if lo is None else str(lo))
            hi_b = ("+inf" if hi is None else str(hi)) + (")" if kw.get("strict_max") else "]")
            what = f"outside {lo_b}, {hi_b}"
        elif what is None:
            what = "unexpected"
        if etype == "expect_column_pair_values_a_to_be_greater_than_b":
            what = f"where {kw.get('column_A')} {'<' if kw.get('or_equal') else '<='} {kw.get('column_B')}"
        text = f"{count} of {checked} checked rows {what}"
    mostly = kw.get("mostly")
    if mostly is not None and mostly < 1:
        text += f" (tolerated: up to {round((1 - mostly) * 100, 2):g}%)"
    return text


def _error_detail(exception_info: Any) -> str | None:
    """'could not be evaluated (TypeError)' if GE raised; the message itself is never kept
    (it can quote a row value)."""
    infos = []
    if isinstance(exception_info, dict):
        infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            tb = (info.get("exception_traceback") or "").strip().splitlines()
            last = tb[-1] if tb else ""
            kind = last.split(":", 1)[0].strip() if ":" in last else "error"
            kind = kind.rsplit(".", 1)[-1] if kind.replace(".", "").replace("_", "").isalnum() else "error"
            return f"could not be evaluated ({kind})"
    return None


def validate_dataframe(df: pandas.DataFrame, suite_name: str, suites_dir: Path | str | None = None) -> SuiteResult:
    """Validate the rows a run just loaded against `expectations/<suite_name>.json`.

    An empty frame (nothing added this run) succeeds without touching GE. An expectation on a
    column missing from the frame fails with its own severity (schema drift).
    """
    data = _read_suite(suite_name, suites_dir)
    rows = int(len(df))
    if rows == 0:
        return SuiteResult(suite_name, True, 0, [])

    path = suite_path(suite_name, suites_dir)
    exps = data["expectations"]
    outcomes: list[ExpectationOutcome | None] = [None] * len(exps)
    runnable: list[tuple[int, dict]] = []
    for i, exp in enumerate(exps):
        missing = [c for c in _columns_of(exp) if c not in df.columns]
        if missing:
            outcomes[i] = ExpectationOutcome(
                exp["type"],
                _column_label(exp),
                exp.get("severity", "critical"),
                False,
                None,
                f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing from the frame",
            )
        else:
            runnable.append((i, exp))

    if runnable:
        # only the columns the suite reads: GE hashes the whole frame to name the batch
        referenced = referenced_columns(e for _, e in runnable)
        needed = [c for c in df.columns if c in referenced]
        frame, prepared = _prepare(df[needed], [e for _, e in runnable])
        gx = _gx()
        built = []
        for (i, _), exp in zip(runnable, prepared, strict=True):
            tagged = {**exp, "meta": {**(exp.get("meta") or {}), "_suite_index": i}}
            built.append(_build(tagged, path, i))
        suite = gx.ExpectationSuite(name=suite_name, expectations=built)
        with _lock:
            batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
            results = batch.validate(suite, result_format=RESULT_FORMAT)
        for r in results.results:
            i = int(r.expectation_config.meta["_suite_index"])
            exp = exps[i]
            result = dict(r.result or {})
            error = _error_detail(r.exception_info)
            count = result.get("unexpected_count")
            outcomes[i] = ExpectationOutcome(
                expectation=exp["type"],
                column=_column_label(exp),
                severity=exp.get("severity", "critical"),
                success=bool(r.success) and error is None,
                unexpected_count=None if count is None else int(count),
                detail=error or _detail(exp, bool(r.success), result, rows),
            )

    final = [o for o in outcomes if o is not None]
    if len(final) != len(exps):  # GE returned fewer results than it was given
        raise RuntimeError(f"{path}: GE returned {len(final)} results for {len(exps)} expectations")
    success = not any(o.severity == "critical" and not o.success for o in final)
    return SuiteResult(suite_name, success, rows, final)


def suite_reads(name: str, suites_dir: Path | str | None = None) -> set[str]:
    """Every column a suite file reads (expectation columns and row conditions), without GE."""
    return referenced_columns(_read_suite(name, suites_dir)["expectations"])


def referenced_columns(exps) -> set[str]:
    """Columns named by expectations, including identifiers in a row_condition."""
    names: set[str] = set()
    for exp in exps:
        names.update(_columns_of(exp))
        condition = exp.get("kwargs", {}).get("row_condition")
        if isinstance(condition, str):
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition))
    return names


def _column_label(exp: dict) -> str | None:
    cols = _columns_of(exp)
    return ", ".join(cols) if cols else None
