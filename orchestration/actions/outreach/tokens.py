"""Opaque pay-link tokens.

``pay_token(touch_id, secret)`` = the first 20 characters of the lower-case, unpadded base32 of
HMAC-SHA256(secret, ``b"paylink/v1/" + touch_id``): 100 bits, URL-safe (``a-z2-7``), stable for a
touch (a re-run prints the same link) and unguessable without the secret. It carries no id, name
or amount; the pay site maps token -> touch by recomputing tokens for open touches (or from a
token table the pipeline publishes), never by decoding.

The secret
----------
``load_secret(fallback_path)``:

1. ``COLLECTIONS_PAYLINK_SECRET`` when set: hex (64+ hex digits) or base64/base64url; it must
   decode to at least 16 bytes (32 recommended). A malformed value is a ``PaylinkSecretError``
   whose message never contains the value.
2. Otherwise a per-warehouse random secret persisted in ``fallback_path`` (by convention
   :func:`default_secret_path` = ``<warehouse file>.paylink-secret`` next to the DuckDB file,
   which lives under the git-ignored ``var/``): created once with 32 random bytes (hex), mode
   0600, atomically and without clobbering (two processes racing agree on one secret). It
   must never be committed, and must be kept with the warehouse: replacing it invalidates
   every link already printed or sent.
3. Neither: ``PaylinkSecretError``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from ..files import atomic_write

ENV_VAR = "COLLECTIONS_PAYLINK_SECRET"
TOKEN_LENGTH = 20
MIN_SECRET_BYTES = 16
_TOKEN_RE = re.compile(r"^[a-z2-7]{20}$")


class PaylinkSecretError(ValueError):
    """The pay-link secret is missing or malformed (the message never shows the value)."""


def pay_token(touch_id: str, secret: bytes) -> str:
    if not isinstance(secret, (bytes, bytearray)) or len(secret) < MIN_SECRET_BYTES:
        raise PaylinkSecretError(f"pay-link secret must be at least {MIN_SECRET_BYTES} bytes")
    mac = hmac.new(bytes(secret), b"paylink/v1/" + str(touch_id).encode("utf-8"), hashlib.sha256)
    return base64.b32encode(mac.digest()).decode("ascii").rstrip("=").lower()[:TOKEN_LENGTH]


def is_token(value: str) -> bool:
    return bool(_TOKEN_RE.match(value or ""))


def pay_url(pay_site: str, token: str) -> str:
    """``https://pay.example`` + token -> ``https://pay.example/p/<token>`` (no query string)."""
    if not is_token(token):
        raise ValueError("not a pay token")
    parts = urlsplit(pay_site)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("clinic.pay_site must be an http(s) URL without query or fragment")
    return f"{pay_site.rstrip('/')}/p/{token}"


def short_url(url: str) -> str:
    """The URL without its scheme, for print (``pay.example/p/<token>``)."""
    return re.sub(r"^https?://", "", url)


def url_maker(pay_site: str, secret: bytes) -> Callable[[object], str]:
    """A ``touch -> pay URL`` function for the batch builders."""

    def url_for(touch: object) -> str:
        return pay_url(pay_site, pay_token(touch.touch_id, secret))

    return url_for


def _decode(value: str) -> bytes:
    v = value.strip()
    if re.fullmatch(r"[0-9a-fA-F]+", v) and len(v) % 2 == 0 and len(v) >= 2 * MIN_SECRET_BYTES:
        return bytes.fromhex(v)
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", v):
        padded = v + "=" * (-len(v) % 4)
        try:
            return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise PaylinkSecretError(f"{ENV_VAR} is malformed: expected hex or base64")


def default_secret_path(warehouse_path: str | Path) -> Path:
    p = Path(warehouse_path)
    return p.with_name(p.name + ".paylink-secret")


def load_secret(fallback_path: str | Path | None = None, *, environ: dict | None = None) -> bytes:
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR)
    if raw is not None and raw.strip():
        secret = _decode(raw)
        if len(secret) < MIN_SECRET_BYTES:
            raise PaylinkSecretError(f"{ENV_VAR} decodes to {len(secret)} bytes; at least {MIN_SECRET_BYTES} required")
        return secret
    if fallback_path is None:
        raise PaylinkSecretError(f"{ENV_VAR} is not set and no fallback secret file was given")
    path = Path(fallback_path)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            atomic_write(path, secrets.token_hex(32) + "\n", overwrite=False)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise PaylinkSecretError(f"pay-link secret file {path} is malformed (expected hex)") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise PaylinkSecretError(f"pay-link secret file {path} is too short")
    return secret
