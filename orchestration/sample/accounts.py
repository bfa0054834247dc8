"""The accounts a patient-side flow (plan, dispute, hardship, promise, settlement, agency) is
about: each picked guarantor and the encounter on which they owed the most."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class FlowAccounts:
    guarantor: np.ndarray
    encounter: np.ndarray
    settled_day: np.ndarray  # when the encounter's patient responsibility was set
    due: np.ndarray  # what the patient owed on it then (cents)

    @property
    def count(self) -> int:
        return len(self.guarantor)
