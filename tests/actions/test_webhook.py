"""Signed Event Webhook: ECDSA P-256 over timestamp + raw body."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orchestration.actions.outreach.webhook import verify_signature

RAW = (
    b'[{"email":"p@example.com","timestamp":1763650000,"event":"delivered",'
    b'"sg_event_id":"ev1","sg_message_id":"msg1.filter","touch_id":"T000001","guarantor_id":"G000001"}]\r\n'
)
TS = "1763650000"


@pytest.fixture(scope="module")
def keypair():
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, base64.b64encode(der).decode(), pem


def _sign(key, ts: str, body: bytes) -> str:
    return base64.b64encode(key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def test_valid_signature(keypair):
    key, b64, pem = keypair
    sig = _sign(key, TS, RAW)
    assert verify_signature(b64, sig, TS, RAW) is True
    assert verify_signature(pem, sig, TS, RAW) is True
    assert verify_signature(b64, sig, TS, RAW, max_age_seconds=300, clock=lambda: 1763650100) is True
    assert verify_signature(b64, sig, TS, RAW, max_age_seconds=300, clock=lambda: 1763660000) is False


def test_tampered_or_reserialised_body_fails(keypair):
    key, b64, _ = keypair
    sig = _sign(key, TS, RAW)
    assert verify_signature(b64, sig, TS, RAW.replace(b"delivered", b"bounce")) is False
    reserialised = json.dumps(json.loads(RAW)).encode()  # same data, different bytes
    assert json.loads(reserialised) == json.loads(RAW)
    assert verify_signature(b64, sig, TS, reserialised) is False
    assert verify_signature(b64, sig, "1763650001", RAW) is False
    assert verify_signature(b64, "bm90IGEgc2lnbmF0dXJl", TS, RAW) is False
    assert verify_signature(b64, "%%%", TS, RAW) is False
    assert verify_signature(b64, sig, TS, b"\xff\xfe" + RAW) is False
    other = ec.generate_private_key(ec.SECP256R1())
    assert verify_signature(b64, _sign(other, TS, RAW), TS, RAW) is False


def test_malformed_key_is_a_config_error():
    with pytest.raises(ValueError):
        verify_signature("not-a-key", "c2ln", TS, RAW)
