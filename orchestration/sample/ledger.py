"""Rows collected as arrays while the clinic's story unfolds (postings, contacts).

Each flow adds a batch of rows at once, column by column (scalars are broadcast), with an
optional mask of the rows that really happen; `arrays()` returns the rows so far as one array
per column, in the order they were added.
"""

from __future__ import annotations

import numpy as np


class Ledger:
    columns: tuple[str, ...] = ()

    def __init__(self):
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in self.columns}

    def _append(self, values: dict, keep) -> None:
        n = len(np.asarray(values[self.columns[0]]))
        keep = np.ones(n, bool) if keep is None else np.asarray(keep, bool)
        for name in self.columns:
            self._parts[name].append(np.broadcast_to(np.asarray(values[name], np.int64), (n,))[keep])

    def arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for name, parts in self._parts.items():
            out[name] = np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else np.zeros(0, np.int64))
            self._parts[name] = [out[name]]
        return out
