"""The keys the pipeline uses: read only from the environment, checked before anything is sent.

- `SENDGRID_API_KEY`: live e-mail through SendGrid. Unset: outbox mode, request bodies are
  written to the outbox and nothing leaves the machine.
- `COLLECTIONS_PAYLINK_SECRET`: HMAC key of the quick-pay link tokens
  (`orchestration/actions/outreach/tokens.py`). Unset: a random per-warehouse key file
  `<warehouse>.paylink-secret` (0600, under the git-ignored `var/`).
- `COLLECTIONS_REQUIRE_KEYS=1`: production, both keys above must be set (else the fallbacks
  above are allowed).

`check_keys()` runs when a step of the daily job starts (`CollectionsResource`), so a
malformed key -- or, with `COLLECTIONS_REQUIRE_KEYS=1`, a missing one -- stops the run with a
clear message before any file is read, any touch is planned or anything is handed off. The
messages name the variable and what is wrong, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from orchestration.actions.outreach import tokens
from orchestration.actions.outreach.email import ENV_API_KEY, validate_api_key

ENV_REQUIRE = "COLLECTIONS_REQUIRE_KEYS"


class KeyConfigError(RuntimeError):
    """A key is missing or malformed (the message never shows a value)."""


def check_keys(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Validate the keys in the environment; returns how each will be used (no values)."""
    env = os.environ if environ is None else environ
    require = (env.get(ENV_REQUIRE) or "").strip().lower() in ("1", "true", "yes")
    problems: list[str] = []
    modes = {"email": "outbox", "paylink_secret": "per-warehouse file"}

    if (env.get(ENV_API_KEY) or "").strip():
        try:
            validate_api_key(env[ENV_API_KEY])
            modes["email"] = "live"
        except ValueError as exc:
            problems.append(str(exc))
    elif require:
        problems.append(f"{ENV_API_KEY} is not set ({ENV_REQUIRE}=1): set it, or unset {ENV_REQUIRE} for outbox mode")

    if (env.get(tokens.ENV_VAR) or "").strip():
        try:
            tokens.load_secret(environ=dict(env))
            modes["paylink_secret"] = "environment"
        except tokens.PaylinkSecretError as exc:
            problems.append(str(exc))
    elif require:
        problems.append(
            f"{tokens.ENV_VAR} is not set ({ENV_REQUIRE}=1): set it to hex or base64 "
            f"of at least {tokens.MIN_SECRET_BYTES} random bytes"
        )

    if problems:
        raise KeyConfigError("; ".join(problems) + " -- nothing was sent")
    return modes
