"""guarantors and guarantor_rows: the people, their households, consents and protective facts."""

from __future__ import annotations

from collections import defaultdict

from tests.sample.landing_reader import latest, read_kind


def test_protective_facts_and_variety(sample_clinic):
    root, _ = sample_clinic
    g = latest(read_kind(root, "guarantors"), "guarantor_id")
    assert any(r["deceased_at"] for r in g.values())
    assert any(r["bankruptcy_filed_at"] for r in g.values())
    assert any(r["sms_consent_at"] == "" for r in g.values())
    assert any(r["sms_opt_out_at"] for r in g.values())
    assert any(r["timezone"] == "" for r in g.values())
    assert len({r["state"] for r in g.values()}) >= 8


def test_households_share_addresses_and_sometimes_phones(sample_clinic):
    root, _ = sample_clinic
    g = latest(read_kind(root, "guarantors"), "guarantor_id")
    hh = defaultdict(int)
    for r in g.values():
        if r["household_id"]:
            hh[r["household_id"]] += 1
    assert max(hh.values()) >= 2
    # household members sometimes share a phone
    phones = defaultdict(set)
    for r in g.values():
        if r["household_id"] and r["phone"]:
            phones[r["phone"]].add(r["guarantor_id"])
    assert any(len(v) >= 2 for v in phones.values())


def test_returned_mail_comes_after_the_address_verification(sample_clinic):
    root, _ = sample_clinic
    g = latest(read_kind(root, "guarantors"), "guarantor_id")
    contacts = read_kind(root, "contact_log")
    assert any(
        c["outcome"] == "returned_mail"
        and g[c["guarantor_id"]]["address_verified_at"]
        and g[c["guarantor_id"]]["address_verified_at"] < c["occurred_at"][:10]
        for c in contacts
    )
    for c in contacts:
        verified = g[c["guarantor_id"]]["address_verified_at"]
        if c["outcome"] == "returned_mail" and verified:
            assert verified < c["occurred_at"][:10], c


def test_card_on_file_consent_before_any_card_on_file_payment(sample_clinic):
    root, _ = sample_clinic
    g = latest(read_kind(root, "guarantors"), "guarantor_id")
    for t in latest(read_kind(root, "patient_transactions"), "transaction_id").values():
        if t["method"] == "card_on_file":
            consent = g[t["guarantor_id"]]["card_on_file_consent_at"]
            assert consent and consent[:10] <= t["posted_at"], t
