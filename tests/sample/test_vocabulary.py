"""vocabulary: the generator's codes are positions in the landing contract's values."""

from __future__ import annotations

from orchestration.landing.contract import CSV_BY_NAME
from orchestration.sample import vocabulary as v


def test_codes_name_the_contract_values():
    assert v.TRANSACTION_TYPES[v.PAYMENT_REVERSAL] == "payment_reversal"
    assert v.ADJUSTMENT_REASONS[v.SMALL_BALANCE] == "small_balance"
    assert v.PAYMENT_METHODS[v.CARD_ON_FILE] == "card_on_file"
    assert v.CONTACT_CHANNELS[v.PORTAL_MESSAGE] == "portal"
    assert v.CONTACT_OUTCOMES[v.DISPUTE_RAISED] == "dispute_raised"
    assert v.AGENCY_EVENTS[v.CLOSED_UNCOLLECTIBLE] == "closed_uncollectible"
    assert v.PLAN_STATUSES[v.PLAN_DEFAULTED] == "defaulted"
    assert v.HARDSHIP_RELIEFS[v.REDUCTION] == "reduction"
    assert v.values("disputes", "resolution") is CSV_BY_NAME["disputes"].column("resolution").values


def test_column_names_follow_the_contract():
    for spec in CSV_BY_NAME.values():
        assert v.column_names(spec.name) == [c.name for c in spec.columns]
