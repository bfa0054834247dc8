"""The landing contract (docs/landing.md) as data: one `TableSpec` per CSV kind, and the limits
every landing value must fit.

The CSV loader validates every row against these specs (the rules as SQL are in
`orchestration/raw/checked_casts.py`), and the raw tables are created from them, so a change to
the public input contract is a change here (and in docs/landing.md) and nowhere else.

Column types:
- `text`      any string
- `date`      YYYY-MM-DD
- `timestamp` ISO 8601 with offset or Z; without offset it is read in the clinic's time zone.
              Stored as UTC, plus a `<stem>_date` column with the clinic-local date.
- `datetime`  a date or a timestamp (the contract leaves the type of `opened_at`,
              `submitted_at`, … open; a plain date means local midnight). Stored like `timestamp`.
- `money`     decimal dollars, '.' separator, at most 2 decimals, no '$' or thousands separator
- `int`, `bool` (true/false), `pct` (0–100, decimals allowed)
- `enum`      one of `values`; anything else is a row error

Limits (docs/landing.md, "Limits"): a value the warehouse type cannot hold, or that would print
wrong, is a row error, never a silent change: money at most MONEY_MAX_DIGITS digits before the
point (in 835s too), dates from DATE_MIN to DATE_MAX, no control characters, and a column's
`max_chars` (MAX_VALUE_CHARS by default; shorter for what is printed on a statement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MONEY_MAX_DIGITS = 10  # money < 10,000,000,000.00 (CSV and 835 alike)
DATE_MIN = date(1800, 1, 1)  # any date or timestamp of a landing file (1800: placeholders
DATE_MAX = date(9999, 12, 31)  # such as Excel's 1899-12-30 still load; year 0 never does)
MAX_VALUE_CHARS = 10_000  # the longest value of any column (no real field is this long)
NAME_CHARS = 100  # first_name, last_name: printed on statements and letters
ADDRESS_CHARS = 64  # address lines and city: one line in the envelope window

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "VI",
    "GU",
    "AS",
    "MP",
]


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    values: tuple[str, ...] = ()  # for enum
    min_value: float | None = None  # money/int/pct lower bound
    strict_positive: bool = False  # money must be > 0
    references: str | None = None  # 'guarantors' or 'encounters'
    not_future: bool = False  # dates: not after the load date
    max_chars: int = MAX_VALUE_CHARS  # longer values are row errors

    @property
    def stem(self) -> str:
        return self.name[:-3] if self.name.endswith("_at") else self.name

    @property
    def is_instant(self) -> bool:
        return self.type in ("timestamp", "datetime")


@dataclass(frozen=True)
class TableSpec:
    name: str  # raw table name
    folder: str  # landing subfolder
    prefix: str  # file name prefix (files are `<prefix>*.csv`)
    key: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type: str = "text", **kw) -> Column:
    return Column(name, type, **kw)


def _enum(name: str, *values: str, **kw) -> Column:
    return Column(name, "enum", values=values, **kw)


GUARANTORS = TableSpec(
    "guarantors",
    "pm",
    "guarantors",
    "guarantor_id",
    (
        _c("guarantor_id", required=True),
        _c("household_id"),
        _c("first_name", required=True, max_chars=NAME_CHARS),
        _c("last_name", required=True, max_chars=NAME_CHARS),
        _c("date_of_birth", "date", not_future=True),
        _c("address_line1", max_chars=ADDRESS_CHARS),
        _c("address_line2", max_chars=ADDRESS_CHARS),
        _c("city", max_chars=ADDRESS_CHARS),
        _enum("state", *US_STATES),
        _c("postal_code", max_chars=16),
        _c("phone", max_chars=32),
        _c("email", max_chars=254),
        _c("timezone", "timezone"),
        _enum("preferred_channel", "sms", "email", "mail", "phone"),
        _c("language"),
        _c("sms_consent_at", "timestamp"),
        _c("email_consent_at", "timestamp"),
        _c("card_on_file_consent_at", "timestamp"),
        _c("sms_opt_out_at", "timestamp"),
        _c("email_opt_out_at", "timestamp"),
        _c("address_verified_at", "date"),
        _c("deceased_at", "date"),
        _c("bankruptcy_filed_at", "date"),
        _c("updated_at", "timestamp", required=True),
    ),
)

ENCOUNTERS = TableSpec(
    "encounters",
    "pm",
    "encounters",
    "encounter_id",
    (
        _c("encounter_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("patient_id", required=True),
        _c("service_date", "date", required=True, not_future=True),
        _c("provider_npi"),
        _c("location"),
        _c("specialty"),
        _c("total_charge", "money", required=True, min_value=0),
        _c("primary_payer_id", required=True),
        _c("secondary_payer_id"),
        _c("claim_submitted_at", "date"),
        _c("updated_at", "timestamp", required=True),
    ),
)

PATIENT_TRANSACTIONS = TableSpec(
    "patient_transactions",
    "pm",
    "patient_transactions",
    "transaction_id",
    (
        _c("transaction_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("encounter_id", references="encounters"),
        _c("posted_at", "date", required=True),
        _enum("type", "payment", "adjustment", "refund", "payment_reversal", required=True),
        _enum(
            "reason",
            "hardship_discount",
            "settlement",
            "small_balance",
            "prompt_pay",
            "bad_debt",
            "admin",
            "overcharge",
        ),
        _c("amount", "money", required=True, min_value=0, strict_positive=True),
        _enum("method", "card", "card_on_file", "text_to_pay", "portal", "phone", "check", "cash", "agency"),
        _c("plan_id"),
        _c("updated_at", "timestamp", required=True),
    ),
)

PAYMENT_PLANS = TableSpec(
    "payment_plans",
    "pm",
    "payment_plans",
    "plan_id",
    (
        _c("plan_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("created_at", "datetime", required=True),
        _c("approved_by"),
        _c("total_amount", "money", min_value=0),
        _c("installment_amount", "money", min_value=0),
        _c("installment_count", "int", min_value=1),
        _c("first_due_date", "date"),
        _enum("frequency", "monthly", "biweekly", "weekly"),
        _c("card_on_file", "bool"),
        _enum("status", "active", "completed", "cancelled", "defaulted"),
        _c("status_changed_at", "datetime"),
        _c("updated_at", "timestamp"),
    ),
)

DISPUTES = TableSpec(
    "disputes",
    "ops",
    "disputes",
    "dispute_id",
    (
        _c("dispute_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("encounter_id", references="encounters"),
        _c("opened_at", "datetime", required=True),
        _c("channel"),
        _enum("reason", "insurance_not_billed", "amount_incorrect", "service_not_received", "billing_error", "other"),
        _c("resolved_at", "datetime"),
        _enum("resolution", "upheld", "corrected", "rejected", "withdrawn"),
        _c("updated_at", "timestamp"),
    ),
)

HARDSHIP = TableSpec(
    "hardship",
    "ops",
    "hardship",
    "application_id",
    (
        _c("application_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("submitted_at", "datetime", required=True),
        _c("decided_at", "datetime"),
        _enum("outcome", "pending", "approved", "denied"),
        _enum("relief", "reduction", "extended_timeline", "adjusted_minimum"),
        _c("discount_pct", "pct", min_value=0),
        _c("support_start", "date"),
        _c("support_end", "date"),
        _c("verified_by"),
        _c("updated_at", "timestamp"),
    ),
)

CONTACT_LOG = TableSpec(
    "contact_log",
    "ops",
    "contact_log",
    "contact_id",
    (
        _c("contact_id", required=True),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("occurred_at", "timestamp", required=True),
        _enum("channel", "call", "sms", "email", "letter", "inbound_call", "portal"),
        _enum("direction", "outbound", "inbound"),
        _enum(
            "outcome",
            "connected",
            "voicemail",
            "no_answer",
            "wrong_number",
            "returned_mail",
            "delivered",
            "bounced",
            "promise_to_pay",
            "plan_requested",
            "dispute_raised",
            "refused",
            "complaint",
        ),
        _c("promised_amount", "money", min_value=0),
        _c("promised_date", "date"),
        _c("agent_id"),
        _c("updated_at", "timestamp"),
    ),
)

AGENCY_ACTIVITY = TableSpec(
    "agency_activity",
    "ops",
    "agency_activity",
    "activity_id",
    (
        _c("activity_id", required=True),
        _c("placement_id"),
        _c("guarantor_id", required=True, references="guarantors"),
        _c("encounter_id"),
        _enum("event", "acknowledged", "payment", "recall_ack", "closed_paid", "closed_uncollectible"),
        _c("occurred_at", "datetime", required=True),
        _c("amount", "money", min_value=0),
        _c("updated_at", "timestamp"),
    ),
)

# Load order matters: references are checked against what is already loaded.
CSV_TABLES: tuple[TableSpec, ...] = (
    GUARANTORS,
    ENCOUNTERS,
    PATIENT_TRANSACTIONS,
    PAYMENT_PLANS,
    DISPUTES,
    HARDSHIP,
    CONTACT_LOG,
    AGENCY_ACTIVITY,
)
CSV_BY_NAME = {t.name: t for t in CSV_TABLES}

# events/sendgrid/*.json: the SendGrid Event Webhook events the landing contract names
# (unsubscribe, group_unsubscribe and spamreport revoke e-mail; bounce and dropped return the contact)
SENDGRID_EVENTS: tuple[str, ...] = (
    "processed",
    "delivered",
    "deferred",
    "bounce",
    "dropped",
    "open",
    "click",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
)
