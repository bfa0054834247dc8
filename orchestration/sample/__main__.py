"""``python -m orchestration.sample --out var/landing ...`` (see generator.main)."""
from .generator import main

raise SystemExit(main())
