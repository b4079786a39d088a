"""Checking the judge (`roleplay doctor --judge`): does the model grade the rubrics' own examples
the way their authors labelled them?

Every criterion of every rubric carries pass and fail example lines. Each line
is graded by the judge on its own, as the rep's turn of a one-line call
(right after an objection, for criteria that apply after one; as the whole
call, for end-of-call criteria), against its own criterion, with that line
taken out of the examples the judge is shown: otherwise the model could
simply find it listed under "pass" and copy the label.

The judge agrees when its verdict is the example's label (pass for a pass
example, fail for a fail one). Anything else is a disagreement: the opposite
verdict, "n/a", or `ungraded` (no valid answer, twice), which is counted
apart as well. Below `TRUST_BAR` overall, the model is too weak to trust for
grading. A provider that cannot be reached stops the check at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .engine.judge import JudgeContext, LLMJudge
from .engine.records import Turn
from .models import Criterion, Rubric

TRUST_BAR = 0.8
"""Agreement with the rubrics' examples needed to trust a model for grading (80%)."""

SITUATION = ("One example line from a rubric, graded on its own: take it as said at a moment "
             "of the call where the criterion applies.")
OBJECTION = "The buyer has just pushed back with an objection."


@dataclass
class ExampleResult:
    rubric: str
    criterion: str
    line: str
    expected: str  # "pass" or "fail", the example's label
    got: str  # the judge's verdict: pass, fail, n/a or ungraded
    reason: str = ""

    @property
    def agrees(self) -> bool:
        return self.got == self.expected


@dataclass
class CriterionResult:
    rubric: str
    criterion: str
    name: str
    examples: list[ExampleResult] = field(default_factory=list)

    @property
    def agree(self) -> int:
        return sum(e.agrees for e in self.examples)

    @property
    def total(self) -> int:
        return len(self.examples)

    @property
    def ungraded(self) -> int:
        return sum(e.got == "ungraded" for e in self.examples)

    @property
    def share(self) -> float:
        return self.agree / self.total if self.total else 1.0


@dataclass
class JudgeCheck:
    criteria: list[CriterionResult]
    unreachable: str | None = None  # what the provider said, when it could not be reached

    @property
    def agree(self) -> int:
        return sum(c.agree for c in self.criteria)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.criteria)

    @property
    def ungraded(self) -> int:
        return sum(c.ungraded for c in self.criteria)

    @property
    def share(self) -> float:
        return self.agree / self.total if self.total else 0.0

    @property
    def trusted(self) -> bool:
        return self.unreachable is None and self.total > 0 and self.share >= TRUST_BAR


Item = tuple[Rubric, Criterion, str, str]


def examples_of(rubrics: Iterable[Rubric]) -> list[Item]:
    """Every (rubric, criterion, line, label) to check, rubric by rubric, in file order."""
    return [(r, c, line, label) for r in rubrics for c in r.criteria
            for label, lines in (("pass", c.examples.pass_), ("fail", c.examples.fail))
            for line in lines]


def _without(c: Criterion, line: str) -> Criterion:
    """The criterion as the judge is shown it when grading one of its own examples."""
    shown = c.examples.model_copy(update={"pass_": [x for x in c.examples.pass_ if x != line],
                                          "fail": [x for x in c.examples.fail if x != line]})
    return c.model_copy(update={"examples": shown})


async def grade_example(judge: LLMJudge, rubric: Rubric, c: Criterion, line: str, label: str) -> ExampleResult:
    criterion = _without(c, line)
    before = [Turn(index=0, speaker="buyer", text="", note=OBJECTION)] if c.applies == "after-objection" else []
    turn = Turn(index=len(before), speaker="rep", text=line)
    context = JudgeContext(situation=SITUATION)
    if c.applies == "end-of-call":
        grades = await judge.grade_call(rubric, [criterion], before + [turn], context=context)
    else:
        grades = await judge.grade_turn(rubric, [criterion], before, turn, context=context)
    grade = next((g for g in grades if g.criterion == c.id), None)
    got = grade.verdict if grade is not None else "ungraded"
    return ExampleResult(rubric.id, c.id, line, label, got, grade.reason if grade else "no answer")


async def check_judge(rubrics: Iterable[Rubric], judge: LLMJudge, *, concurrency: int = 4,
                      progress: Callable[[int, int], None] | None = None,
                      deadline: float | None = None) -> JudgeCheck:
    """Grade every example with `judge` (made with fail_fast=True) and count the agreement.

    `deadline`: seconds each example may take, retries included; a judge that takes longer is
    reported as not answering and the check stops (as for a provider that can't be reached)."""
    from .llm.client import ProviderError

    rubrics = list(rubrics)
    items = examples_of(rubrics)
    results: dict[int, ExampleResult] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            try:
                results[i] = await asyncio.wait_for(grade_example(judge, *items[i]), deadline)
            except TimeoutError:
                raise ProviderError(f"the judge did not answer within {deadline:g} seconds "
                                    "(turn_deadline)", kind="timeout") from None
        if progress:
            progress(len(results), len(items))

    unreachable = None
    try:
        if items:  # one first: a provider that is down is found out after one call, not a hundred
            await one(0)
            tasks = [asyncio.create_task(one(i)) for i in range(1, len(items))]
            try:
                for task in asyncio.as_completed(tasks):
                    await task
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    except ProviderError as err:
        unreachable = err.message
    rows: dict[tuple[str, str], CriterionResult] = {}
    for r in rubrics:
        for c in r.criteria:
            rows[(r.id, c.id)] = CriterionResult(r.id, c.id, c.name)
    for i in sorted(results):
        res = results[i]
        rows[(res.rubric, res.criterion)].examples.append(res)
    return JudgeCheck([row for row in rows.values() if row.examples or unreachable is None],
                      unreachable=unreachable)
