"""Agreement between two graders of yes/no labels: precision, recall and Cohen's kappa.

Used to measure the signals against hand-labelled lines, and wherever two
graders (a judge and the rubric's examples, an observer and the grader) are
compared. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Agreement:
    """Counts of (expected, got) pairs for one yes/no label."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Agreement:
        a = cls()
        for expected, got in pairs:
            a.add(expected, got)
        return a

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def observed(self) -> float | None:
        return (self.tp + self.tn) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa: agreement beyond what chance would give; None when it cannot be told."""
        n = self.n
        if not n:
            return None
        po = (self.tp + self.tn) / n
        yes_e, yes_g = (self.tp + self.fn) / n, (self.tp + self.fp) / n
        pe = yes_e * yes_g + (1 - yes_e) * (1 - yes_g)
        if pe >= 1:
            return 1.0 if po >= 1 else None
        return (po - pe) / (1 - pe)
