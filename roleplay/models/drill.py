"""A drill plan: the practice a manager hands a rep or a team for a week or so.

"This week: the price objection on medium three times, then hard once; pass the
objection-handling rubric twice." Progress is counted from the finished sessions
in the practice history (roleplay/drills.py); nothing about it is kept in the file.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .common import Id, Strict, Text

DifficultyName = Literal["easy", "medium", "hard"]


class Step(Strict):
    """One thing to do: practise a scenario a number of times, or pass a rubric a number of times."""

    # The editor flags a step that names both a scenario and a rubric, or neither, while typing.
    model_config = ConfigDict(**Strict.model_config, json_schema_extra={"oneOf": [
        {"required": ["scenario"], "not": {"anyOf": [{"required": ["rubric"]}, {"required": ["passes"]}]}},
        {"required": ["rubric"], "not": {"anyOf": [{"required": ["scenario"]}, {"required": ["times"]},
                                                   {"required": ["passed"]}]}},
    ]})

    scenario: Id | None = Field(
        None, description="The scenario to practise (its id, e.g. 'price-objection'). Give either "
        "'scenario' (with 'times') or 'rubric' (with 'passes').")
    difficulty: DifficultyName | None = Field(
        None, description="The level that counts: easy, medium or hard. Leave it out to count any level.")
    times: int | None = Field(
        None, ge=1, le=100, description="How many finished sessions of the scenario it takes "
        "(with a scenario; 1 if left out).")
    passed: bool = Field(
        False, description="true: only sessions the rep passed count towards 'times'; "
        "false (the default): every finished session counts.")
    rubric: Id | None = Field(
        None, description="A rubric to pass (its id, e.g. 'objection-handling'), on any scenario "
        "graded by it. Give either 'rubric' (with 'passes') or 'scenario' (with 'times').")
    passes: int | None = Field(
        None, ge=1, le=100, description="How many sessions graded by the rubric the rep must pass "
        "(with a rubric; 1 if left out).")

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if (self.scenario is None) == (self.rubric is None):
            raise ValueError("give either 'scenario' (a scenario to practise, with 'times') or "
                             "'rubric' (a rubric to pass, with 'passes'), not both or neither")
        if self.scenario is not None and self.passes is not None:
            raise ValueError("'passes' goes with a rubric step; for a scenario, say how many "
                             "sessions with 'times' (and 'passed: true' to count only passing ones)")
        if self.rubric is not None and (self.times is not None or self.passed):
            raise ValueError("a rubric step counts passing sessions with 'passes'; "
                             "'times' and 'passed' go with a scenario step")
        return self

    @property
    def target(self) -> int:
        """How many sessions the step takes."""
        return (self.times if self.scenario is not None else self.passes) or 1


class Drill(Strict):
    """A practice plan a manager hands a rep or a team: which scenarios, at which level, how often."""

    kind: Literal["drill"] | None = Field(None, description="Marks the file as a drill plan.")
    id: Id = Field(description="Short name for the plan, e.g. 'this-week-price'.")
    title: Text = Field(description="The name the rep sees, e.g. 'Price week'.")
    description: str = Field("", description="Why this practice, in a sentence or two, for the rep.")
    for_: list[Text] = Field(
        default_factory=list, alias="for",
        description="The reps it is for, by the name they practise under (e.g. ['Ana', 'Sam'] for a "
        "team). Leave it out or empty for every rep.")
    from_: _dt.date | None = Field(
        None, alias="from",
        description="First day of the plan (YYYY-MM-DD). Only sessions from that day on count; "
        "leave it out to count every session.")
    until: _dt.date | None = Field(
        None, description="Last day of the plan (YYYY-MM-DD), included. After it the plan is no "
        "longer shown; leave it out for a plan with no end.")
    in_order: bool = Field(
        False, description="true: the steps are done one after the other ('three times on medium, "
        "then once on hard'): a session counts only for the step the rep is on. false (the default): "
        "every step counts every matching session, in any order.")
    steps: list[Step] = Field(min_length=1, description="What to do, one step a line.")

    def is_for(self, rep: str) -> bool:
        """Whether the plan names this rep (any case), or names nobody and so is for everyone."""
        return not self.for_ or rep.casefold() in {name.casefold() for name in self.for_}

    def is_current(self, today: _dt.date) -> bool:
        """Whether `today` is within the plan's days."""
        return (self.from_ is None or self.from_ <= today) and (self.until is None or today <= self.until)
