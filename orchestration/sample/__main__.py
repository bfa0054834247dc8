"""``python -m orchestration.sample --out var/landing ...`` (see cli.main)."""

from .cli import main

raise SystemExit(main())
