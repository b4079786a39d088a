"""The words every front end uses for a call's outcome and a grade's verdict, defined once.

Dependency-free, so the home screen can use them before anything heavy is imported.
"""

from __future__ import annotations

OUTCOME_SHORT = {"won": "agreed", "walked-away": "buyer left", "ended-by-rep": "you ended it",
                 "in-progress": "in progress"}
"""A call's outcome in a list (home's recent sessions, history)."""

OUTCOME_HEADLINE = {"won": "Objective reached",
                    "walked-away": "Objective not reached: the buyer ended it",
                    "ended-by-rep": "Objective not reached: you ended the call",
                    "in-progress": "The call is not over"}
"""A call's outcome as the headline of its debrief and report."""

VERDICT_WORD = {"pass": "PASS", "fail": "FAIL", "n/a": "n/a", "ungraded": "ungraded"}
"""A grade's verdict in a written report."""

VERDICT_MARK = {"pass": ("✓", "green"), "fail": ("✗", "red"), "n/a": ("·", "dim"), "ungraded": ("?", "yellow")}
"""A grade's verdict as a mark on screen, with its colour."""

MARK_WORD = {"good": ("✓ good", "bold green"), "missed": ("✗ missed", "bold red"), "note": ("✎ note", "bold cyan")}
"""An observer's mark on screen, with its colour."""


def outcome_short(outcome: str) -> str:
    return OUTCOME_SHORT.get(outcome, outcome)


def outcome_headline(outcome: str) -> str:
    return OUTCOME_HEADLINE.get(outcome, outcome)


ACRONYMS = {"spin": "SPIN", "meddic": "MEDDIC", "meddpicc": "MEDDPICC", "bant": "BANT", "cfo": "CFO",
            "ceo": "CEO", "roi": "ROI", "it": "IT", "qbr": "QBR", "rfp": "RFP"}
"""Words a sales manager writes in capitals, wherever an id is shown as a name."""


def moment(scenario_id: str) -> str:
    """A scenario's id as a rep would name the hard moment: 'price-objection' -> 'Price objection',
    'spin-questioning' -> 'SPIN questioning'."""
    words = scenario_id.replace("-", " ").capitalize().split()
    return " ".join(ACRONYMS.get(w.lower(), w) for w in words)
