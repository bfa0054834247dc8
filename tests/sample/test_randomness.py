"""randomness: one seeded stream, inclusive integer ranges, weighted choices."""

from __future__ import annotations

import numpy as np

from orchestration.sample.randomness import Randomness, seconds_of_day


def test_same_seed_same_draws():
    a, b = Randomness(5), Randomness(5)
    assert a.integers(0, 9, 50).tolist() == b.integers(0, 9, 50).tolist()
    assert a.chance(0.3, 50).tolist() == b.chance(0.3, 50).tolist()


def test_integers_are_inclusive_and_broadcast():
    rng = Randomness(1)
    drawn = rng.integers(3, 5, 2000)
    assert set(drawn.tolist()) == {3, 4, 5}
    low = np.array([0, 10, 20])
    per_row = rng.integers(low, low + 1)
    assert len(per_row) == 3 and ((per_row >= low) & (per_row <= low + 1)).all()
    assert rng.integers(7, 7, 4).tolist() == [7, 7, 7, 7]


def test_choice_follows_weights():
    rng = Randomness(2)
    drawn = rng.choice(3, [0.5, 0.0, 0.5], 1000)
    assert 1 not in drawn and {0, 2} <= set(drawn.tolist())
    assert set(rng.pick((10, 20), [1, 0], 20).tolist()) == {10}


def test_seconds_of_day_stay_within_hours():
    seconds = seconds_of_day(Randomness(3), 1000, 9, 17)
    assert seconds.min() >= 9 * 3600 and seconds.max() < 17 * 3600
