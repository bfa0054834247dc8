"""The collections policy: load, validate, version, and hand to SQL as tables.

Every threshold of docs/rules.md lives in one YAML file that a finance lead edits. This module
checks it (a bad value is a `PolicyError` naming the key), fills nothing in silently (every
key must be present: the shipped default is the template), and gives it a version: the first
12 hex digits of the SHA-256 of the canonical JSON of the effective values.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHANNELS = ("sms", "mail", "email", "phone")
APPROVERS = ("collector", "manager", "finance_lead")


class PolicyError(ValueError):
    """The policy file is missing, unreadable or holds a bad value (the message names the key)."""


@dataclass(frozen=True)
class Policy:
    values: dict[str, Any]
    version: str
    source: str

    def __getitem__(self, dotted: str) -> Any:
        node: Any = self.values
        for part in dotted.split("."):
            node = node[part]
        return node

    @property
    def clinic_tz(self) -> str:
        return self.values["clinic"]["timezone"]

    def scalar_row(self) -> dict[str, Any]:
        """Every scalar setting as one flat row (`section_key`), plus the version."""
        row: dict[str, Any] = {"policy_version": self.version}
        for section, body in self.values.items():
            if isinstance(body, dict):
                for key, value in body.items():
                    if not isinstance(value, (list, dict)):
                        row[f"{section}_{key}"] = value
        return row

    def list_tables(self) -> dict[str, list[dict[str, Any]]]:
        """The list-valued settings as small tables, each row carrying the version."""
        v = self.version
        bounds = self.values["aging_buckets"]
        buckets = []
        low = 0
        for i, high in enumerate(bounds):
            buckets.append({"bucket_order": i + 1, "aging_bucket": f"{low}-{high}", "min_days": low, "max_days": high})
            low = high + 1
        buckets.append({"bucket_order": len(bounds) + 1, "aging_bucket": f"{low}+", "min_days": low, "max_days": None})
        cadence = [{"step_order": i + 1, **c} for i, c in enumerate(self.values["cadence"])]
        terms = [{"term_order": i + 1, **t} for i, t in enumerate(self.values["plans"]["terms"])]
        approval = [{"level_order": i + 1, **a} for i, a in enumerate(self.values["settlement"]["approval"])]
        tables = {
            "policy_aging_buckets": buckets,
            "policy_cadence": cadence,
            "policy_plan_terms": terms,
            "policy_settlement_approval": approval,
        }
        return {name: [{"policy_version": v, **r} for r in rows] for name, rows in tables.items()}


# ---------------------------------------------------------------------------------------------
# validation


def _num(lo: float | None = None, hi: float | None = None, integer: bool = False):
    def check(key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PolicyError(f"policy key '{key}': expected a number, got {value!r}")
        if integer and not float(value).is_integer():
            raise PolicyError(f"policy key '{key}': expected a whole number, got {value!r}")
        if lo is not None and value < lo:
            raise PolicyError(f"policy key '{key}': must be >= {lo}, got {value!r}")
        if hi is not None and value > hi:
            raise PolicyError(f"policy key '{key}': must be <= {hi}, got {value!r}")

    return check


def _int(lo: int | None = 0, hi: int | None = None):
    return _num(lo, hi, integer=True)


def _text(pattern: str | None = None):
    def check(key: str, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise PolicyError(f"policy key '{key}': expected non-empty text, got {value!r}")
        if pattern and not re.fullmatch(pattern, value):
            raise PolicyError(f"policy key '{key}': {value!r} does not match {pattern}")

    return check


def _choice(options: tuple[str, ...]):
    def check(key: str, value: Any) -> None:
        if value not in options:
            raise PolicyError(f"policy key '{key}': {value!r} is not one of {', '.join(options)}")

    return check


def _bool(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise PolicyError(f"policy key '{key}': expected true or false, got {value!r}")


def _timezone(key: str, value: Any) -> None:
    _text()(key, value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"policy key '{key}': unknown IANA time zone {value!r}") from exc


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"

SCHEMA: dict[str, dict[str, Any]] = {
    "clinic": {
        "name": _text(),
        "timezone": _timezone,
        "help_line": _text(),
        "help_hours": _text(),
        "pay_site": _text(r"https://[^\s]+"),
        "mail_address": _text(),
        "nonprofit_501r": _bool,
    },
    "tiers": {"small_below": _num(0), "medium_below": _num(0)},
    "segments": {
        "dispute_contact_lookback_days": _int(),
        "silent_min_age_days": _int(),
        "silent_no_response_days": _int(),
        "engaged_min_age_days": _int(),
        "engaged_max_age_days": _int(),
        "engaged_response_days": _int(),
        "early_stall_min_age_days": _int(),
        "early_stall_max_age_days": _int(),
        "fresh_max_age_days": _int(),
        "first_statement_fallback_days": _int(),
    },
    "guardrails": {
        "contact_window_start": _text(_HHMM),
        "contact_window_end": _text(_HHMM),
        "calls_max_per_7_days": _int(0, 7),
        "days_after_connected_call": _int(7),
        "touches_per_guarantor_per_day": _int(0, 1),
        "touches_per_household_per_day": _int(0, 1),
        "freshness_max_hours": _num(1),
    },
    "plans": {
        "min_balance": _num(0),
        "manager_approval_above_payments": _int(1),
        "grace_days": _int(),
        "call_within_days_after_miss": _int(),
        "missed_installments_to_default": _int(1),
        "installment_day": _int(1, 28),
        "first_installment_min_days": _int(0, 60),
        "reminder_days_before": _int(1, 14),
    },
    "hardship": {
        "support_min_months": _int(1),
        "support_max_months": _int(1),
        "review_notice_days": _int(),
        "letter_lookback_days": _int(0, 90),
    },
    "settlement": {"min_age_days": _int(), "min_documented_attempts": _int()},
    "refunds": {
        "sweep_weekday": _choice(WEEKDAYS),
        "due_business_days": _int(0, 30),
        "confirmation_lookback_days": _int(0, 90),
        "overcharge_same_day": _bool,
    },
    "placement": {
        "min_balance": _num(0),
        "days_since_first_statement": _int(60),
        "days_since_first_statement_silent": _int(60),
        "min_documented_attempts": _int(),
        "min_channels": _int(),
        "no_payment_days": _int(),
        "mailed_statement_not_returned_days": _int(),
        "nonprofit_days_since_first_statement": _int(120),
        "nonprofit_final_notice_days": _int(30),
        "bureau_min_balance": _num(500),
        "bureau_min_days": _int(365),
    },
    "outreach": {
        "payment_due_days": _int(0, 90),
        "from_email": _text(r"[^@\s]+@[^@\s]+"),
        "from_name": _text(),
        "asm_group_id": _int(1),
    },
    "queues": {
        "new_balance_max_age_days": _int(),
        "plans_due_within_days": _int(),
        "audit_draw_size": _int(),
        "audit_seed": _int(),
    },
    "kpi": {"era_posting_lag_target_hours": _num(0), "week_ends_on": _choice(("sunday",))},
    # how landing files are taken in (docs/landing.md, "Files being written" and "Upserts")
    "landing": {"settle_seconds": _int(0, 3600), "updated_at_future_minutes": _int(0, 1440)},
}
LIST_SECTIONS = ("aging_buckets", "cadence")
NESTED_LISTS = {("plans", "terms"), ("settlement", "approval")}


def validate(values: Any) -> dict[str, Any]:
    """Check every key; raise PolicyError naming the first bad one. Returns the values."""
    if not isinstance(values, dict):
        raise PolicyError("policy file must be a mapping of sections")
    expected = set(SCHEMA) | set(LIST_SECTIONS)
    for section in values:
        if section not in expected:
            raise PolicyError(f"policy key '{section}': unknown section (typo?)")
    for section, checks in SCHEMA.items():
        body = values.get(section)
        if not isinstance(body, dict):
            raise PolicyError(f"policy key '{section}': missing section")
        allowed = set(checks) | {k for s, k in NESTED_LISTS if s == section}
        for key in body:
            if key not in allowed:
                raise PolicyError(f"policy key '{section}.{key}': unknown key (typo?)")
        for key, check in checks.items():
            if key not in body:
                raise PolicyError(f"policy key '{section}.{key}': missing")
            check(f"{section}.{key}", body[key])
    _validate_lists(values)
    _validate_relations(values)
    return values


def _validate_lists(v: dict[str, Any]) -> None:
    buckets = v.get("aging_buckets")
    if not isinstance(buckets, list) or not buckets:
        raise PolicyError("policy key 'aging_buckets': expected a list of day bounds")
    for i, b in enumerate(buckets):
        _int(1)(f"aging_buckets[{i}]", b)
    if buckets != sorted(set(buckets)):
        raise PolicyError("policy key 'aging_buckets': bounds must be strictly increasing")

    cadence = v.get("cadence")
    if not isinstance(cadence, list) or not cadence:
        raise PolicyError("policy key 'cadence': expected a list of steps")
    days, steps = [], set()
    for i, c in enumerate(cadence):
        key = f"cadence[{i}]"
        if not isinstance(c, dict) or set(c) != {"day", "step", "channel"}:
            raise PolicyError(f"policy key '{key}': needs exactly day, step, channel")
        _int(0)(f"{key}.day", c["day"])
        _text(r"[a-z][a-z0-9_]*")(f"{key}.step", c["step"])
        _choice(CHANNELS)(f"{key}.channel", c["channel"])
        if c["step"] in steps:
            raise PolicyError(f"policy key '{key}.step': duplicate step {c['step']!r}")
        steps.add(c["step"])
        days.append(c["day"])
    if days != sorted(set(days)):
        raise PolicyError("policy key 'cadence': days must be strictly increasing")

    terms = v["plans"].get("terms")
    if not isinstance(terms, list) or not terms:
        raise PolicyError("policy key 'plans.terms': expected a list")
    for i, t in enumerate(terms):
        key = f"plans.terms[{i}]"
        if not isinstance(t, dict) or set(t) != {"balance_below", "max_payments"}:
            raise PolicyError(f"policy key '{key}': needs balance_below and max_payments")
        last = i == len(terms) - 1
        if last and t["balance_below"] is not None:
            raise PolicyError(f"policy key '{key}.balance_below': the last term must be null (no cap)")
        if not last:
            _num(0)(f"{key}.balance_below", t["balance_below"])
        _int(1)(f"{key}.max_payments", t["max_payments"])

    approval = v["settlement"].get("approval")
    if not isinstance(approval, list) or not approval:
        raise PolicyError("policy key 'settlement.approval': expected a list")
    for i, a in enumerate(approval):
        key = f"settlement.approval[{i}]"
        if not isinstance(a, dict) or set(a) != {"max_discount_pct", "approver"}:
            raise PolicyError(f"policy key '{key}': needs max_discount_pct and approver")
        _num(0, 100)(f"{key}.max_discount_pct", a["max_discount_pct"])
        _choice(APPROVERS)(f"{key}.approver", a["approver"])


def _validate_relations(v: dict[str, Any]) -> None:
    if v["tiers"]["small_below"] >= v["tiers"]["medium_below"]:
        raise PolicyError("policy key 'tiers.small_below': must be below tiers.medium_below")
    g = v["guardrails"]
    if g["contact_window_start"] >= g["contact_window_end"]:
        raise PolicyError("policy key 'guardrails.contact_window_start': must be before contact_window_end")
    h = v["hardship"]
    if h["support_min_months"] > h["support_max_months"]:
        raise PolicyError("policy key 'hardship.support_min_months': must not exceed support_max_months")
    bounds = [t["balance_below"] for t in v["plans"]["terms"][:-1]]
    if bounds != sorted(bounds):
        raise PolicyError("policy key 'plans.terms': balance_below must increase")


def version_of(values: dict[str, Any]) -> str:
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate the policy at `path` (default: the shipped default policy)."""
    p = Path(path) if path else DEFAULT_POLICY_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyError(f"policy file not found: {p} (copy {DEFAULT_POLICY_PATH} and edit it)") from exc
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {p} is not valid YAML: {exc}") from exc
    validate(values)
    return Policy(values=values, version=version_of(values), source=str(p))
