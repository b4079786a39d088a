"""Grades from signals, and which criteria apply to which turn.

Signal grades are instant and deterministic. When a model judge is
configured its grade for a criterion replaces the signal's on the same turn;
when neither can judge a criterion, it is `ungraded`, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Criterion, Rubric
from .records import Grade
from .signals import POSITIVE, SignalContext, SignalResult, run_all


def applies(criterion: Criterion, *, after_objection: bool) -> bool:
    """Whether a criterion is judged on a rep turn (end-of-call ones are judged on the call)."""
    if criterion.applies == "end-of-call":
        return False
    if criterion.applies == "after-objection":
        return after_objection
    return True


def analyse(text: str, buyer_last: str, rep_before: Iterable[str], *,
            max_discount_percent: float | None = None, list_price: float | None = None) -> dict[str, SignalResult]:
    return run_all(text, SignalContext(buyer_last=buyer_last, rep_before=tuple(rep_before),
                                       max_discount_percent=max_discount_percent, list_price=list_price))


def _earns_nothing(c_signal: str, signals: dict[str, SignalResult]) -> str | None:
    """Why a positive signal's hit does not count on this turn, if it does not."""
    if signals.get("talks-to-grader") is not None and signals["talks-to-grader"].hit:
        return "spoke to the grading, not to the buyer: that earns nothing"
    repeated = signals.get("repeats-earlier-line")
    result = signals[c_signal]
    if repeated is not None and repeated.hit and result.hit and all(
            any(e in r or r in e for r in repeated.evidence) for e in result.evidence):
        return f"repeated an earlier line ({result.detail}): it earns nothing the second time"
    return None


def signal_grades(rubric: Rubric, signals: dict[str, SignalResult], *,
                  after_objection: bool) -> list[Grade]:
    """One grade per applicable criterion that has a signal."""
    out = []
    for c in rubric.criteria:
        if c.signal is None or not applies(c, after_objection=after_objection):
            continue
        result = signals[c.signal]
        passed = result.hit if c.signal in POSITIVE else not result.hit
        nothing = _earns_nothing(c.signal, signals) if c.signal in POSITIVE and passed else None
        if nothing is not None:
            if c.applies == "once-per-call":  # shown (or not) elsewhere; this turn adds nothing
                out.append(Grade(criterion=c.id, verdict="n/a", score=None, reason=nothing, source="signal"))
            else:
                out.append(Grade(criterion=c.id, verdict="fail", score=0.0, reason=nothing, source="signal"))
            continue
        if passed and c.signal_mode == "fail-only":
            continue  # the signal saw no failure; whether it passed is for the judge
        if c.applies == "once-per-call" and not passed:
            # Not doing a once-per-call behaviour on this turn is not a fail yet.
            out.append(Grade(criterion=c.id, verdict="n/a", score=None,
                             reason=f"not on this turn ({result.detail})", source="signal"))
            continue
        evidence = list(result.evidence) if result.hit else []
        out.append(Grade(criterion=c.id, verdict="pass" if passed else "fail",
                         score=1.0 if passed else 0.0, evidence=evidence,
                         reason=result.detail, source="signal"))
    return out


def effective(grades: Iterable[Grade]) -> dict[str, Grade]:
    """Per criterion, the grade that counts: a judge's valid grade over a signal's."""
    best: dict[str, Grade] = {}
    for g in grades:
        have = best.get(g.criterion)
        if have is None:
            best[g.criterion] = g
        elif g.source == "judge" and g.verdict != "ungraded":
            best[g.criterion] = g
        elif have.source == "judge" and have.verdict == "ungraded" and g.source == "signal":
            best[g.criterion] = g  # the judge failed: the instant signal still stands
    return best


_PUSHBACK = re.compile(
    r"\b(too (expensive|much|high)|more than (double|twice|we)|out of (line|budget)|no budget|"
    r"can'?t (afford|justify|do)|not (interested|a priority|now|this (quarter|year))|"
    r"just send|send me (the|some|an?) |we'?re (fine|good|happy|all set)|already (have|use|got)|"
    r"don'?t (need|see|think)|next (quarter|year)|bad time|not sure|why would)", re.IGNORECASE)


def looks_like_objection(buyer_line: str) -> bool:
    """For a pasted call, where no state says so: whether the buyer's line pushes back."""
    return bool(_PUSHBACK.search(buyer_line))
