"""What good looks like: named, observable criteria with weights."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .common import Id, Strict, Text

Methodology = Literal[
    "spin", "meddic", "meddpicc", "bant", "challenger", "sandler", "gap-selling", "laer", "custom"
]

SignalName = Literal[
    "question",
    "open-question",
    "acknowledgment",
    "next-step-ask",
    "discount-offered",
    "talk-length",
    "feature-pitch",
    "filler-words",
    "discount-beyond-authority",
    "complies-with-brush-off",
    "talks-to-grader",
    "repeats-earlier-line",
    "keeps-conversation",
]
"""Deterministic detectors that grade a rep turn instantly, with no model."""

Applies = Literal["every-rep-turn", "after-objection", "once-per-call", "end-of-call"]


class Examples(Strict):
    """Real lines a rep might say, to show the judge and the rep what the criterion means."""

    pass_: list[Text] = Field(
        alias="pass", min_length=1, description="Lines that meet the criterion."
    )
    fail: list[Text] = Field(min_length=1, description="Lines that miss it.")


class Criterion(Strict):
    """One observable behaviour, judged on a rep turn or on the whole call."""

    # The editor sees the rules too: checks or levels, not both; levels keyed 0 to 5.
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["checks"], "not": {"required": ["levels"]}},
        {"required": ["levels"], "not": {"required": ["checks"]}}]})

    id: Id = Field(description="Short name, e.g. 'open-question'.")
    name: Text = Field(description="The name a rep sees, e.g. 'Asks open questions'.")
    description: Text = Field(description="What it means, in observable terms.")
    weight: float = Field(gt=0, le=100, description="How much it counts towards the score.")
    applies: Applies = Field(
        description="When it is judged: every-rep-turn, after-objection (the rep turn right "
        "after the buyer objects), once-per-call (passes if any turn shows it), or end-of-call."
    )
    checks: list[Text] | None = Field(
        None,
        description="Yes/no questions about the turn; the score is the share answered yes. "
        "Give either checks or levels.",
    )
    levels: dict[int, Text] | None = Field(
        None, description="A description for every level from 0 to 5. Give either checks or levels.",
        json_schema_extra={"propertyNames": {"pattern": "^[0-5]$"},
                           "minProperties": 6, "maxProperties": 6}
    )
    examples: Examples = Field(description="Pass and fail example lines.")
    signal: SignalName | None = Field(
        None, description="A built-in detector that grades this criterion instantly, without a model."
    )
    signal_decides: Literal["pass-and-fail", "fail-only"] | None = Field(
        None,
        description="What the signal may decide on its own. pass-and-fail: its verdict stands both "
        "ways (e.g. talk-length for 'keeps it short'). fail-only: it can only catch a failure (e.g. "
        "discount-offered for 'answers with value': no discount is not yet value), and a pass needs "
        "the model judge. Default: pass-and-fail for question, open-question, acknowledgment, "
        "next-step-ask and keeps-conversation; fail-only for the others.",
    )
    tip: Text = Field(description="The one-line tip the rep sees when the criterion fails.")

    @property
    def signal_mode(self) -> str | None:
        if self.signal is None:
            return None
        if self.signal_decides is not None:
            return self.signal_decides
        positive = {"question", "open-question", "acknowledgment", "next-step-ask", "keeps-conversation"}
        return "pass-and-fail" if self.signal in positive else "fail-only"

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str] | None) -> dict[int, str] | None:
        if levels is not None and sorted(levels) != list(range(6)):
            have = ", ".join(str(k) for k in sorted(levels)) or "none"
            raise ValueError(f"levels must describe each of 0, 1, 2, 3, 4 and 5 (found {have})")
        return levels

    @model_validator(mode="after")
    def _one_method(self) -> Criterion:
        if (self.checks is None) == (self.levels is None):
            raise ValueError("give either 'checks' (yes/no questions) or 'levels' (0 to 5), not both or neither")
        return self


class Rubric(Strict):
    """A named set of criteria and the score needed to pass."""

    kind: Literal["rubric"] | None = Field(None, description="Marks the file as a rubric.")
    id: Id = Field(description="Short name scenarios refer to, e.g. 'objection-handling'.")
    title: Text = Field(description="The name a rep sees.")
    description: str = Field("", description="What the rubric is for.")
    methodology: list[Methodology] = Field(
        default_factory=lambda: ["custom"],
        description="Sales methodologies it follows: spin, meddic, meddpicc, bant, challenger, "
        "sandler, gap-selling, laer, custom.",
    )
    passing_score: float = Field(ge=0, le=100, description="The overall score (0-100) needed to pass.")
    criteria: list[Criterion] = Field(min_length=1, description="The criteria, each with a weight.")
