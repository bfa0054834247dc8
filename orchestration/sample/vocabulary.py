"""The landing contract's enum values as the integer codes the generator draws.

Values come from `orchestration/landing/contract.py`, the one home of the input contract; a
code is the position of its value in the contract's tuple, and becomes text only when a file
is written (`enum_column(labels, codes)`; a negative code is an empty cell).
"""

from __future__ import annotations

from orchestration.landing.contract import CSV_BY_NAME


def values(kind: str, column: str) -> tuple[str, ...]:
    """The allowed values of an enum column of the contract."""
    return CSV_BY_NAME[kind].column(column).values


def column_names(kind: str) -> list[str]:
    """The columns of a landing kind, in the contract's order (the files' header)."""
    return [c.name for c in CSV_BY_NAME[kind].columns]


def _codes(labels: tuple[str, ...], *names: str) -> tuple[int, ...]:
    return tuple(labels.index(name) for name in names)


PREFERRED_CHANNELS = values("guarantors", "preferred_channel")
PREFER_SMS, PREFER_EMAIL, PREFER_MAIL, PREFER_PHONE = _codes(PREFERRED_CHANNELS, "sms", "email", "mail", "phone")

TRANSACTION_TYPES = values("patient_transactions", "type")
PAYMENT, ADJUSTMENT, REFUND, PAYMENT_REVERSAL = _codes(
    TRANSACTION_TYPES, "payment", "adjustment", "refund", "payment_reversal"
)

ADJUSTMENT_REASONS = values("patient_transactions", "reason")
HARDSHIP_DISCOUNT, SETTLEMENT, SMALL_BALANCE, PROMPT_PAY, BAD_DEBT, ADMIN = _codes(
    ADJUSTMENT_REASONS, "hardship_discount", "settlement", "small_balance", "prompt_pay", "bad_debt", "admin"
)

PAYMENT_METHODS = values("patient_transactions", "method")
CARD, CARD_ON_FILE, TEXT_TO_PAY, PORTAL, PHONE, CHECK, CASH, AGENCY = _codes(
    PAYMENT_METHODS, "card", "card_on_file", "text_to_pay", "portal", "phone", "check", "cash", "agency"
)

PLAN_FREQUENCIES = values("payment_plans", "frequency")
MONTHLY, BIWEEKLY, WEEKLY = _codes(PLAN_FREQUENCIES, "monthly", "biweekly", "weekly")
PLAN_STATUSES = values("payment_plans", "status")
PLAN_ACTIVE, PLAN_COMPLETED, PLAN_CANCELLED, PLAN_DEFAULTED = _codes(
    PLAN_STATUSES, "active", "completed", "cancelled", "defaulted"
)
BOOLEAN_TEXT = ("true", "false")  # a `bool` column of the contract: code 0 true, 1 false

DISPUTE_REASONS = values("disputes", "reason")
DISPUTE_RESOLUTIONS = values("disputes", "resolution")
UPHELD, CORRECTED, REJECTED, WITHDRAWN = _codes(DISPUTE_RESOLUTIONS, "upheld", "corrected", "rejected", "withdrawn")

HARDSHIP_OUTCOMES = values("hardship", "outcome")
HARDSHIP_PENDING, HARDSHIP_APPROVED, HARDSHIP_DENIED = _codes(HARDSHIP_OUTCOMES, "pending", "approved", "denied")
HARDSHIP_RELIEFS = values("hardship", "relief")
REDUCTION, EXTENDED_TIMELINE, ADJUSTED_MINIMUM = _codes(
    HARDSHIP_RELIEFS, "reduction", "extended_timeline", "adjusted_minimum"
)

CONTACT_CHANNELS = values("contact_log", "channel")
CALL, SMS, EMAIL, LETTER, INBOUND_CALL, PORTAL_MESSAGE = _codes(
    CONTACT_CHANNELS, "call", "sms", "email", "letter", "inbound_call", "portal"
)
CONTACT_DIRECTIONS = values("contact_log", "direction")
OUTBOUND, INBOUND = _codes(CONTACT_DIRECTIONS, "outbound", "inbound")
CONTACT_OUTCOMES = values("contact_log", "outcome")
(
    CONNECTED,
    VOICEMAIL,
    NO_ANSWER,
    WRONG_NUMBER,
    RETURNED_MAIL,
    DELIVERED,
    BOUNCED,
    PROMISE_TO_PAY,
    PLAN_REQUESTED,
    DISPUTE_RAISED,
    REFUSED,
    COMPLAINT,
) = _codes(
    CONTACT_OUTCOMES,
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
)

AGENCY_EVENTS = values("agency_activity", "event")
ACKNOWLEDGED, AGENCY_PAYMENT, RECALL_ACK, CLOSED_PAID, CLOSED_UNCOLLECTIBLE = _codes(
    AGENCY_EVENTS, "acknowledged", "payment", "recall_ack", "closed_paid", "closed_uncollectible"
)
