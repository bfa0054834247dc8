"""SendGrid signed Event Webhook verification.

SendGrid signs ``timestamp + raw request body`` with ECDSA P-256 / SHA-256 and sends the
signature (base64 DER) in ``X-Twilio-Email-Event-Webhook-Signature`` and the timestamp in
``X-Twilio-Email-Event-Webhook-Timestamp``. Verification must use the *raw bytes* received:
a parsed-and-re-serialised body (different spacing or key order) does not verify.

We use sendgrid's own helper (``sendgrid.helpers.eventwebhook.EventWebhook``, backed by
``cryptography``) for key loading and verification. The helper takes a ``str`` payload and
encodes it as UTF-8, so the raw bytes are decoded strictly as UTF-8 first (an exact
round-trip for valid UTF-8; a body that is not valid UTF-8 cannot be SendGrid's and fails).

``public_key`` is the verification key from SendGrid's Mail Settings: the bare base64 of the
DER SubjectPublicKeyInfo (what SendGrid shows) or a full PEM. A malformed *key* is a
configuration error (``ValueError``); a malformed *signature* or a wrong body is ``False``.
``max_age_seconds`` optionally rejects stale timestamps (replay protection).
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def _bare_key(public_key: str | bytes) -> str:
    if isinstance(public_key, bytes):
        public_key = public_key.decode("ascii")
    lines = [ln.strip() for ln in public_key.strip().splitlines()]
    return "".join(ln for ln in lines if ln and not ln.startswith("-----"))


def load_public_key(public_key: str | bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = EventWebhook().convert_public_key_to_ecdsa(_bare_key(public_key))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise ValueError("SendGrid webhook verification key is malformed") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("SendGrid webhook verification key must be an EC P-256 public key")
    return key


def verify_signature(
    public_key: str | bytes | ec.EllipticCurvePublicKey,
    signature_b64: str,
    timestamp: str,
    raw_body: bytes,
    *,
    max_age_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
) -> bool:
    key = public_key if isinstance(public_key, ec.EllipticCurvePublicKey) else load_public_key(public_key)
    if not signature_b64 or not timestamp or not isinstance(raw_body, (bytes, bytearray)):
        return False
    if max_age_seconds is not None:
        try:
            if abs(clock() - float(timestamp)) > max_age_seconds:
                return False
        except ValueError:
            return False
    try:
        payload = bytes(raw_body).decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        return bool(EventWebhook().verify_signature(payload, signature_b64, str(timestamp), public_key=key))
    except (binascii.Error, ValueError):
        return False  # undecodable signature (bad base64 / not DER)
