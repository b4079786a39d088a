"""Practising together on one screen: who leads on what, and how an observer's marks sit beside
the grader's verdicts.

A team session is one scenario, one difficulty and one seed for everyone in the room:
- hot seat: each rep takes the same call in turn, a session each, so the buyer starts the same way;
- tag team: the reps share one call, turn by turn; each rep's grades come from the turns they typed.

The scoreboard scores each rep from their own turns (the whole-call criteria and the objective
belong to the call, so in a tag team everyone shares them). The marks an observer left are set
beside the grader's verdict on the same turn: where they differ is a coaching moment, not an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from ..models import Rubric
from . import scorecard as scorecards
from .agreement import Agreement
from .grading import effective
from .records import Grade, Mark, Turn

LEAD_MARGIN = 0.1
"""How much better (0-1) one rep's criterion score must be than everyone else's to lead on it."""

KAPPA_FROM = 8
"""Marks compared on a criterion before a kappa is worth giving (fewer: the plain count only)."""


@dataclass
class RepResult:
    """One rep's line on the scoreboard."""

    rep: str
    session_id: str
    score: float | None  # 0-100, from this rep's own turns
    passed: bool | None
    criteria: dict[str, float | None]  # criterion id -> 0-1 (None: nothing graded it)
    evidence: dict[str, list[str]]  # criterion id -> the rep's own words that passed it
    objective: bool  # the call reached its objective (shared in a tag team)
    outcome: str
    practise_next: str | None  # criterion id or flag kind
    practise_name: str
    turns: int  # rep turns this rep typed
    share: float  # of the call's rep turns (1.0 in hot seat)


@dataclass
class Scoreboard:
    mode: str
    scenario: str
    difficulty: str
    criteria: list[tuple[str, str]]  # (id, name), in the rubric's order
    reps: list[RepResult]
    leads: list[str] = field(default_factory=list)  # 'Ana leads on “Acknowledges the concern”', ...

    def to_json(self) -> dict:
        out = asdict(self)
        out["criteria"] = [{"id": i, "name": n} for i, n in self.criteria]
        return out

    def markdown(self) -> str:
        names = [r.rep for r in self.reps]
        lines = [f"# Team scoreboard: {self.scenario} ({self.difficulty}, {self.mode.replace('-', ' ')})", "",
                 "| criterion | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
        for cid, name in self.criteria:
            lines.append(f"| {name} | " + " | ".join(_pct(r.criteria.get(cid)) for r in self.reps) + " |")
        lines.append("| **Score** | " + " | ".join(
            "ungraded" if r.score is None else f"{r.score:.0f}" + ("" if r.passed is not None else "~")
            for r in self.reps) + " |")
        lines.append("| Objective reached | " + " | ".join("yes" if r.objective else "no" for r in self.reps) + " |")
        if self.mode == "tag-team":
            lines.append("| Share of the rep's turns | " + " | ".join(f"{r.share:.0%} ({r.turns})" for r in self.reps)
                         + " |")
        lines.append("| Practise next | " + " | ".join(r.practise_name or "-" for r in self.reps) + " |")
        lines.append("")
        if self.leads:
            lines += ["**Who leads:** " + "; ".join(self.leads) + ".", ""]
        quoted = [(name, [(r.rep, r.evidence[cid][0]) for r in self.reps if r.evidence.get(cid)])
                  for cid, name in self.criteria]
        quoted = [(name, said) for name, said in quoted if said]
        if quoted:
            lines += ["## In their own words", ""]
            for name, said in quoted:
                lines.append(f"- **{name}:** " + "; ".join(f"{rep}: \u201c{q}\u201d" for rep, q in said))
            lines.append("")
        lines.append("_~ a score resting on too little of the rubric to call a pass or a fail._")
        return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}"


def rep_result(rep: str, session_id: str, card: scorecards.Scorecard, outcome: str, turns: int,
               share: float, rubric: Rubric) -> RepResult:
    crit = {c.id: c.score if c.applied else None for c in card.criteria}
    evidence = {c.id: list(c.evidence) for c in card.criteria if c.evidence}
    names = {c.id: c.name for c in rubric.criteria} | scorecards.FLAG_NAMES
    practise = card.practise_next
    return RepResult(rep=rep, session_id=session_id, score=card.score, passed=card.passed, criteria=crit,
                     evidence=evidence, objective=outcome == "won", outcome=outcome,
                     practise_next=practise, practise_name=card.practise_name or names.get(practise or "", ""),
                     turns=turns, share=share)


def leads(rubric: Rubric, reps: list[RepResult]) -> list[str]:
    """Who leads on which criterion: a rep whose score beats every other rep's by LEAD_MARGIN."""
    if len(reps) < 2:
        return []
    won: dict[str, list[str]] = {}
    for c in rubric.criteria:
        scored = [(r.criteria.get(c.id), r.rep) for r in reps if r.criteria.get(c.id) is not None]
        if len(scored) < 2:
            continue
        scored.sort(key=lambda x: -x[0])
        if scored[0][0] - scored[1][0] >= LEAD_MARGIN:
            won.setdefault(scored[0][1], []).append(f"\u201c{c.name}\u201d")  # the rubric's own words
    return [f"{rep} leads on {_and(names)}" for rep, names in won.items()]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def hot_seat_board(rubric: Rubric, scenario: str, difficulty: str,
                   calls: Iterable[tuple[str, str, scorecards.Scorecard, str, int]]) -> Scoreboard:
    """Each rep's own call: (rep, session id, scorecard, outcome, rep turns)."""
    reps = [rep_result(rep, sid, card, outcome, n, 1.0, rubric) for rep, sid, card, outcome, n in calls]
    return Scoreboard("hot-seat", scenario, difficulty, [(c.id, c.name) for c in rubric.criteria], reps,
                      leads(rubric, reps))


def tag_team_board(rubric: Rubric, scenario: str, difficulty: str, session_id: str, reps: list[str],
                   turns: list[Turn], call_grades: list[Grade], outcome: str,
                   flags: list[scorecards.Flag] | None = None) -> Scoreboard:
    """One shared call: each rep is scored on the turns they typed; the call's own criteria
    (graded on the whole call) and the objective are shared."""
    rep_turns = [t for t in turns if t.speaker == "rep"]
    total = len(rep_turns) or 1
    results = []
    for rep in reps:
        mine = [t for t in rep_turns if (t.author or "").lower() == rep.lower()]
        own = {t.index for t in mine}
        card = scorecards.build(rubric, mine, call_grades, outcome=outcome,
                                flags=[f for f in (flags or []) if f.turn in own])
        results.append(rep_result(rep, session_id, card, outcome, len(mine), len(mine) / total, rubric))
    return Scoreboard("tag-team", scenario, difficulty, [(c.id, c.name) for c in rubric.criteria], results,
                      leads(rubric, results))


# ---- the observer beside the grader

WHOLE_TURN = "whole turn"


@dataclass
class Comparison:
    """One mark beside the grader's verdict on the same turn (and criterion)."""

    turn: int
    criterion: str  # a criterion id, or WHOLE_TURN
    observer: str  # good or missed
    grader: str  # pass, fail, or "not graded"
    agrees: bool | None  # None: the grader gave no verdict to compare with
    note: str
    rep: str | None


@dataclass
class CriterionAgreement:
    criterion: str
    name: str
    compared: int
    agree: int
    kappa: float | None  # only from KAPPA_FROM marks on
    disagreements: list[Comparison]

    def words(self) -> str:
        if not self.compared:
            return f"{self.name}: no mark to compare"
        k = f", kappa {self.kappa:.2f}" if self.kappa is not None else \
            (" (too few marks for a kappa)" if self.compared < KAPPA_FROM else "")
        return f"{self.name}: {self.agree} of {self.compared} marks agree with the grader{k}"


def _turn_verdict(turn: Turn) -> str:
    """The grader's verdict on a whole turn: missed if any criterion failed, good if some passed."""
    verdicts = [g.verdict for g in effective(turn.grades).values()]
    if "fail" in verdicts:
        return "fail"
    return "pass" if "pass" in verdicts else "not graded"


def compare_marks(turns: list[Turn], marks: list[Mark]) -> list[Comparison]:
    by_index = {t.index: t for t in turns}
    out = []
    for m in marks:
        turn = by_index.get(m.turn)
        if m.kind == "note" or turn is None:
            continue
        if m.criterion:
            grade = effective(turn.grades).get(m.criterion)
            grader = grade.verdict if grade is not None and grade.verdict in ("pass", "fail") else "not graded"
        else:
            grader = _turn_verdict(turn)
        agrees = None if grader == "not graded" else (m.kind == "good") == (grader == "pass")
        out.append(Comparison(m.turn, m.criterion or WHOLE_TURN, m.kind, grader, agrees, m.note, turn.author))
    return out


def agreement(criteria: list[tuple[str, str]], turns: list[Turn], marks: list[Mark]) -> list[CriterionAgreement]:
    """Per criterion ((id, name), in the rubric's order) and for marks on a whole turn, how often
    the observer and the grader agree; criteria nobody marked are left out."""
    comparisons = compare_marks(turns, marks)
    names = list(criteria) + [(WHOLE_TURN, "Whole turn")]
    out = []
    for cid, name in names:
        mine = [c for c in comparisons if c.criterion == cid and c.agrees is not None]
        if not mine and not any(c.criterion == cid for c in comparisons):
            continue
        counts = Agreement.of((c.observer == "good", c.grader == "pass") for c in mine)
        out.append(CriterionAgreement(cid, name, len(mine), sum(c.agrees for c in mine),
                                      counts.kappa if len(mine) >= KAPPA_FROM else None,
                                      [c for c in mine if not c.agrees]))
    return out
