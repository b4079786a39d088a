"""The scorecard: weighted score per criterion and overall, and the ONE thing to practise next."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..models import Rubric
from .grading import effective
from .records import Grade, Turn


@dataclass
class CriterionScore:
    id: str
    name: str
    weight: float
    score: float | None  # 0-1; None when nothing could grade it
    passes: int = 0
    fails: int = 0
    ungraded: int = 0
    tip: str = ""
    evidence: list[str] = field(default_factory=list)


@dataclass
class Scorecard:
    rubric: str
    score: float | None  # 0-100; None when nothing was graded
    passed: bool | None
    passing_score: float
    criteria: list[CriterionScore]
    strengths: list[str]
    practise_next: str | None  # criterion id
    practise_tip: str = ""
    practise_scenario: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def build(rubric: Rubric, turns: list[Turn], call_grades: list[Grade] = ()) -> Scorecard:
    """Score a call from its turns' grades (and grades on the whole call, for end-of-call criteria)."""
    per: dict[str, list[Grade]] = {c.id: [] for c in rubric.criteria}
    for turn in turns:
        if turn.speaker != "rep":
            continue
        for g in effective(turn.grades).values():
            if g.criterion in per:
                per[g.criterion].append(g)
    for g in effective(call_grades).values():
        if g.criterion in per:
            per[g.criterion].append(g)

    rows = []
    for c in rubric.criteria:
        grades = per[c.id]
        scored = [g for g in grades if g.verdict in ("pass", "fail") and g.score is not None]
        row = CriterionScore(
            id=c.id, name=c.name, weight=c.weight, score=None, tip=c.tip,
            passes=sum(g.verdict == "pass" for g in grades),
            fails=sum(g.verdict == "fail" for g in grades),
            ungraded=sum(g.verdict == "ungraded" for g in grades),
            evidence=[e for g in grades if g.verdict == "pass" for e in g.evidence][:3],
        )
        if c.applies == "once-per-call":
            # Shown once is enough; never shown in a call that was graded is a miss.
            if scored:
                row.score = max(g.score for g in scored)  # type: ignore[type-var]
            elif any(g.verdict == "n/a" for g in grades):
                row.score = 0.0
                row.fails = 1
        elif scored:
            row.score = sum(g.score for g in scored) / len(scored)  # type: ignore[misc]
        rows.append(row)

    graded = [r for r in rows if r.score is not None]
    weight = sum(r.weight for r in graded)
    score = round(100 * sum(r.weight * r.score for r in graded) / weight, 1) if weight else None  # type: ignore[operator]
    passed = None if score is None else score >= rubric.passing_score
    strengths = [r.id for r in sorted(graded, key=lambda r: -(r.score or 0) * r.weight)
                 if (r.score or 0) >= 0.75][:3]
    # The one behaviour whose improvement gains the most points.
    gaps = sorted(graded, key=lambda r: (-(r.weight * (1 - r.score)), -r.weight))  # type: ignore[operator]
    target = gaps[0] if gaps and gaps[0].score is not None and gaps[0].score < 1 else None
    return Scorecard(
        rubric=rubric.id, score=score, passed=passed, passing_score=rubric.passing_score,
        criteria=rows, strengths=strengths,
        practise_next=target.id if target else None, practise_tip=target.tip if target else "",
    )
