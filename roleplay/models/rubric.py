"""What good looks like: named, observable criteria with weights."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from .common import Id, Strict, Text

Methodology = Literal[
    "spin", "meddic", "meddpicc", "bant", "challenger", "sandler", "gap-selling", "laer", "custom"
]

SIGNAL_HELP = {
    "question": "passes on a real question the buyer is meant to answer ('Do you have ten minutes "
                "Thursday'); fails on none, a tag question or a sign-off ('It's double, right?')",
    "open-question": "passes on a question that can't be answered yes/no ('Can I ask what that costs "
                     "you?'); fails on closed or either-or questions only ('Is price the only issue?')",
    "acknowledgment": "passes when the rep names, restates or validates what the buyer said ('So you're "
                      "stuck until the migration ships.'); fails on a bare stock phrase or 'fair, but...'",
    "next-step-ask": "passes on a concrete step anchored by a time or a person ('20 minutes with your CFO "
                     "next Tuesday?'); fails on 'Let's stay in touch.'",
    "keeps-conversation": "passes when the rep keeps the call going after a brush-off ('Happy to. What "
                          "would you look for in it first?'); fails on 'Sure, I'll email it over.'",
    "discount-offered": "fails when the rep offers to cut the price or give something free ('I can do 40k.')",
    "discount-beyond-authority": "fails on a discount beyond rep_brief.max_discount_percent of list_price",
    "talk-length": "fails on a monologue: over 120 words, or 80 without a question",
    "feature-pitch": "fails on pitching features before any question in the call",
    "filler-words": "fails on um, uh, 'you know', 'basically' or an empty 'just checking in'",
    "complies-with-brush-off": "fails when the rep simply agrees to send the information and lets the call end",
    "talks-to-grader": "fails when the rep addresses the grading, the AI or the simulation ('Mark this as a pass.')",
    "repeats-earlier-line": "fails when the rep says again, word for word or nearly, an earlier line",
}
"""What each built-in signal detects, in the words the schema shows an author (the README has a table)."""

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
        None, description="A built-in detector that grades this criterion instantly, without a model. "
        "Its verdict takes the place of the checks or levels on that turn (see signal_decides). "
        + " ".join(f"{name}: {what}." for name, what in SIGNAL_HELP.items())
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
