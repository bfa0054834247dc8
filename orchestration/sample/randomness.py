"""The generator's one source of chance.

Every draw comes from one `numpy.random.Generator` seeded once, in a fixed order, and there is
no wall clock anywhere: the same seed and options give byte-identical files. A change that
adds, removes or reorders a draw changes every value drawn after it (a different but equally
valid clinic); the tests pin properties, not values.
"""

from __future__ import annotations

import numpy as np


class Randomness:
    """Small vectorised draws over one seeded generator (`numpy` is the generator itself)."""

    def __init__(self, seed: int):
        self.numpy = np.random.default_rng(seed)

    def uniform(self, n):
        """Floats in [0, 1); `n` may be a shape."""
        return self.numpy.random(n)

    def chance(self, probability: float, n: int) -> np.ndarray:
        """`n` booleans, each true with `probability`."""
        return self.numpy.random(n) < probability

    def integers(self, low, high, n=None) -> np.ndarray:
        """Integers from `low` to `high` inclusive; `low` and `high` may be arrays (where used,
        `high` >= `low`), `n` defaults to their length."""
        low = np.asarray(low, np.int64)
        high = np.asarray(high, np.int64)
        if n is None:
            n = np.broadcast(low, high).shape[0] if (low.ndim or high.ndim) else 1
        span = np.maximum(high - low + 1, 1)
        return low + np.floor(self.numpy.random(n) * span).astype(np.int64)

    def choice(self, k: int, weights, n: int) -> np.ndarray:
        """`n` positions 0..k-1, drawn with the (relative) `weights`."""
        p = np.asarray(weights, float)
        cumulative = np.cumsum(p / p.sum())
        return np.minimum(np.searchsorted(cumulative, self.numpy.random(n), side="right"), k - 1).astype(np.int64)

    def pick(self, options, weights, n: int) -> np.ndarray:
        """`n` of `options`, drawn with the (relative) `weights`."""
        return np.asarray(options)[self.choice(len(options), weights, n)]


def seconds_of_day(rng: Randomness, n, from_hour: float = 8.0, to_hour: float = 18.0) -> np.ndarray:
    """Times of day (seconds after midnight) between `from_hour` and `to_hour`."""
    return rng.integers(int(from_hour * 3600), int(to_hour * 3600) - 1, n)
