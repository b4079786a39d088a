"""A practice situation: the buyer, the setting, the goal, the rules of the call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Discriminator, Field, Tag, model_validator

from .common import Id, Strict, Text
from .persona import Persona

Setting = Literal[
    "cold-call",
    "discovery-call",
    "follow-up-call",
    "demo-follow-up",
    "email-thread",
    "video-meeting",
    "in-person-meeting",
    "negotiation",
]

DifficultyName = Literal["easy", "medium", "hard"]


class RepBrief(Strict):
    """What the rep knows going in."""

    product: Text = Field(description="What the rep sells, in one or two sentences.")
    price: Text = Field(description="The price the rep can quote, with its terms.")
    history: Text = Field(description="What has happened with this buyer so far.")
    notes: list[Text] = Field(default_factory=list, description="Other facts the rep may use.")
    list_price: float | None = Field(
        None, gt=0, description="The price as a number (e.g. 48000), so that an offer like "
        "'I can do 40k' can be measured against the rep's discount authority."
    )
    max_discount_percent: float | None = Field(
        None, ge=0, le=100, description="The largest discount (in percent) the rep may give without "
        "approval. A bigger offer is flagged in the debrief and outranks every other thing to practise."
    )


class Objective(Strict):
    """The call's goal, as a concrete milestone."""

    milestone: Text = Field(
        description="A concrete, checkable outcome, e.g. 'a 30-minute call with the CFO booked "
        "for next week'. Not 'close the deal'."
    )
    why_it_matters: str = Field("", description="Why this milestone moves the deal forward.")


class Opening(Strict):
    """How the call starts: the buyer's first line, or silence."""

    # The editor sees the rule too: exactly one of the two (validate says it in words).
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["line"], "not": {"required": ["silent_days"]}},
        {"required": ["silent_days"], "not": {"required": ["line"]}}]})

    line: str | None = Field(None, description="The buyer's first words.")
    silent_days: int | None = Field(
        None, ge=1, le=365,
        description="For a prospect who has gone quiet: days since they last replied. "
        "The rep writes first.",
    )

    @model_validator(mode="after")
    def _line_or_silence(self) -> Opening:
        if (self.line is None) == (self.silent_days is None):
            raise ValueError("give the buyer's opening 'line', or 'silent_days' for a buyer who has gone quiet")
        return self


class Difficulty(Strict):
    """The numbers that make a level easier or harder. A label alone is not a difficulty."""

    description: str = Field("", description="What the rep should expect at this level.")
    starting_trust: int = Field(ge=0, le=100, description="Buyer's trust (0-100) when the call starts.")
    patience_turns: int = Field(
        ge=1, le=100, description="How many rep turns the buyer gives before walking away."
    )
    trust_gain_good: int = Field(
        ge=0, le=100, description="Trust gained after a strong rep turn."
    )
    trust_loss_weak: int = Field(
        ge=0, le=100, description="Trust lost after a weak rep turn, and after a push for the objective before the buyer is ready (a pushy close loses this much too, and gains nothing)."
    )
    objections: int = Field(ge=0, le=20, description="How many of the persona's objections come up.")
    trust_to_agree: int = Field(
        ge=0, le=100, description="Trust needed before the buyer agrees to the objective."
    )
    show_mood: bool = Field(True, description="Whether the rep can see the buyer's trust and patience.")

    @model_validator(mode="after")
    def _reachable(self) -> Difficulty:
        # The buyer agrees only to an ask made once the trust is already earned
        # (engine/state.py: the asking turn cannot also earn the yes), so at most
        # patience_turns - 1 strong turns can build trust before the last turn asks.
        earning = self.patience_turns - 1
        best = min(100, self.starting_trust + earning * self.trust_gain_good)
        if best < self.trust_to_agree:
            raise ValueError(
                f"the objective can never be reached: even {earning} strong "
                f"turn{'' if earning == 1 else 's'} (the buyer's patience of {self.patience_turns} "
                f"turns, less the turn that asks) take trust only from {self.starting_trust} "
                f"to {best}, below trust_to_agree ({self.trust_to_agree})"
            )
        return self


class Difficulties(Strict):
    """All three levels."""

    easy: Difficulty = Field(description="For a first attempt.")
    medium: Difficulty = Field(description="A typical buyer.")
    hard: Difficulty = Field(description="A tough buyer.")

    def get(self, name: DifficultyName) -> Difficulty:
        return getattr(self, name)


class LineCondition(Strict):
    """When a buyer line fits: only after what it refers to has happened in the call."""

    rep_asked: bool | None = Field(
        None, description="true: only right after the rep asked a question; false: only after a turn without one."
    )
    rep_proposed: bool | None = Field(
        None, description="true: only once the rep has proposed a meeting or next step in this call "
        "(a line like 'I saw the invite'); false: only before."
    )
    revealed: list[Id] = Field(
        default_factory=list, description="Hidden facts (ids) the buyer must already have told the rep."
    )
    raised: list[Id] = Field(
        default_factory=list, description="Objections (ids) the buyer must already have raised."
    )
    open: Id | None = Field(None, description="An objection (id) that must be open right now.")


class ScriptLine(Strict):
    """A buyer line that refers to something: it is only said when its condition holds."""

    say: Text = Field(description="What the buyer says.")
    when: LineCondition = Field(description="What must have happened for the line to make sense.")


Line = Annotated[
    Annotated[Text, Tag("text")] | Annotated[ScriptLine, Tag("conditional")],
    Discriminator(lambda v: "text" if isinstance(v, str) else "conditional"),
]
"""A buyer line: plain text that fits any moment, or {say, when} for a line that refers to something."""


def _has_fallback(lines: list) -> list:
    if lines and all(not isinstance(x, str) for x in lines):
        raise ValueError(
            "every line here has a 'when'; add at least one plain line that fits whatever happened, "
            "so the buyer never runs out of words"
        )
    return lines


Lines = Annotated[list[Line], Field(min_length=2), AfterValidator(_has_fallback)]
OptionalLines = Annotated[list[Line], AfterValidator(_has_fallback)]


class OfflineScript(Strict):
    """Buyer lines for practice with no model, several variants for each situation."""

    opening: list[Text] = Field(
        default_factory=list,
        description="Variants of the opening line (the scenario's opening line is used if empty).",
    )
    good_move: Lines = Field(
        description="After a strong rep turn (at least 2 variants). A line that refers to something "
        "(a question, an invite, a fact) takes a 'when', e.g. {say: \"Fair question.\", when: {rep_asked: true}}."
    )
    weak_move: Lines = Field(description="After a weak rep turn (at least 2 variants).")
    pushy_close: Lines = Field(description="When the rep pushes for the objective too early.")
    discount_offered: Lines = Field(description="When the rep offers a discount unasked.")
    fact_revealed: dict[Id, Lines] = Field(
        description="For each hidden fact id, how the buyer says it once earned."
    )
    objection_handled: Lines = Field(description="When the rep has answered an objection well.")
    won: Lines = Field(description="When the buyer agrees to the objective.")
    walked_away: Lines = Field(description="When the buyer runs out of patience.")
    silence: list[Text] = Field(
        default_factory=list,
        description="What the rep sees when the buyer does not reply, e.g. 'No reply. Three days pass.' "
        "Needed when the opening is silence.",
    )
    repeated: OptionalLines = Field(
        default_factory=list,
        description="When the rep repeats an earlier line (built-in lines like 'You asked me that already.' "
        "are used when empty).",
    )
    off_script: OptionalLines = Field(
        default_factory=list,
        description="When the rep talks to the grading or the simulation instead of the buyer "
        "(built-in lines are used when empty).",
    )
    complied: OptionalLines = Field(
        default_factory=list,
        description="When the rep simply agrees to the buyer's brush-off ('Sure, I'll email it over') "
        "and the buyer ends the call (built-in lines are used when empty).",
    )


ALL_DIFFICULTIES: list[DifficultyName] = ["easy", "medium", "hard"]


class _Played(Strict):
    """A rep line, or a whole scripted call, played against the offline buyer on some difficulties."""

    name: str = Field("", description="A short label for the report, e.g. 'discount at once'. "
                                      "The first rep line is shown when it is empty.")
    line: str | None = Field(None, description="One rep line: the whole call is this line. "
                                               "Give either 'line' or 'call'.")
    call: list[Text] = Field(
        default_factory=list,
        description="The rep's lines, in order, one per turn; the buyer answers each as in practice. "
                    "The call stops early if the buyer agrees or walks away. Give either 'line' or 'call'.",
    )
    repeat_last_line: bool = Field(
        False, description="true: once the call's lines run out, the rep says the last one again and again "
                           "until the buyer agrees or walks away. For 'the rep who only ever says this' tests.",
    )
    difficulties: list[DifficultyName] = Field(
        default_factory=lambda: list(ALL_DIFFICULTIES), min_length=1,
        description="The levels the test is played on: easy, medium and/or hard (default: all three).",
    )

    @model_validator(mode="after")
    def _line_or_call(self) -> _Played:
        if (self.line is None) == (not self.call):
            raise ValueError("give the rep's 'line', or a 'call' (a list of lines), but not both")
        if self.line is not None and not self.line.strip():
            raise ValueError("'line' is empty: write what the rep says")
        return self

    @property
    def lines(self) -> list[str]:
        return [self.line] if self.line is not None else list(self.call)

    @property
    def label(self) -> str:
        return self.name or f'"{self.lines[0]}"' + (f" (+{len(self.lines) - 1} more lines)" if len(self.lines) > 1 else "")


class MustNotWin(_Played):
    """A line or call that must NOT get the buyer to agree to the objective: a shortcut a rep might try."""


class WalksAway(_Played):
    """A call that should make the buyer end it: the buyer must not put up with it for ever."""


class Winnable(_Played):
    """A strong call that should win: proof that the objective can be reached by good selling."""


class EarnsFact(_Played):
    """A line or call that should get the buyer to tell one hidden fact, by the end of the call."""

    fact: Id = Field(description="The id of the persona's hidden fact the call should earn.")


class MustNotEarnFact(_Played):
    """A line or call that must NOT get a hidden fact out of the buyer: it has not earned it."""

    fact: Id | None = Field(None, description="The id of the hidden fact it must not earn; leave it out "
                                               "and the call must not earn any hidden fact.")


class ScenarioTests(Strict):
    """Firmness tests saved with the scenario, played against the offline buyer by 'roleplay check'."""

    must_not_win: list[MustNotWin] = Field(
        default_factory=list,
        description="Lines or calls that must not win: the buyer must not agree to the objective "
                    "(e.g. a discount at once, a pushy close, a formula line).",
    )
    earns_fact: list[EarnsFact] = Field(
        default_factory=list,
        description="Lines or calls that should get a hidden fact out of the buyer: proof the fact can "
                    "be earned by the question it is meant for.",
    )
    must_not_earn_fact: list[MustNotEarnFact] = Field(
        default_factory=list,
        description="Lines or calls that must not get a hidden fact (or a named one) out of the buyer: "
                    "small talk and generic questions earn nothing.",
    )
    walks_away: list[WalksAway] = Field(
        default_factory=list,
        description="Calls that should make the buyer walk away (or stop answering) before the end.",
    )
    winnable: list[Winnable] = Field(
        default_factory=list,
        description="Strong calls that should win on the difficulties given: proof that each level "
                    "can be won by good selling, not only lost.",
    )

    def count(self) -> int:
        return sum(len(getattr(self, k)) for k in type(self).model_fields)


def _persona_form(value: Any) -> str:
    return "ref" if isinstance(value, str) else "inline"


class Scenario(Strict):
    """A practice situation."""

    kind: Literal["scenario"] | None = Field(None, description="Marks the file as a scenario.")
    id: Id = Field(description="Short name used on the command line, e.g. 'price-objection'.")
    title: Text = Field(description="The name a rep sees.")
    summary: Text = Field(description="Two or three sentences: who, what happened, what is at stake.")
    skills: list[Id] = Field(
        min_length=1, description="Skills practised, as tags, e.g. ['objection-handling', 'value']."
    )
    setting: Setting = Field(description="Where it happens: cold-call, discovery-call, follow-up-call, "
                             "demo-follow-up, email-thread, video-meeting, in-person-meeting or negotiation.")
    rep_brief: RepBrief = Field(description="What the rep knows going in.")
    objective: Objective = Field(description="The call's goal, as a concrete milestone.")
    opening: Opening = Field(description="How the buyer opens, or silence.")
    persona: Annotated[
        Annotated[Id, Tag("ref")] | Annotated[Persona, Tag("inline")],
        Discriminator(_persona_form),
    ] = Field(description="The buyer: a persona id, or the persona written out here.")
    rubric: Id = Field(description="The id of the rubric that grades this scenario.")
    difficulty: Difficulties = Field(description="The numbers for easy, medium and hard.")
    offline_script: OfflineScript = Field(description="Buyer lines for practice with no model.")
    tests: ScenarioTests = Field(
        default_factory=ScenarioTests,
        description="Firmness tests for this buyer, played offline by 'roleplay check': lines that must "
                    "not win, facts that should (or must not) be earned, calls that should make the buyer "
                    "walk away or should win. Optional.",
    )

    @model_validator(mode="after")
    def _silence_has_lines(self) -> Scenario:
        if self.opening.silent_days is not None and len(self.offline_script.silence) < 2:
            raise ValueError(
                "the buyer opens in silence, so offline_script.silence needs at least 2 lines"
            )
        return self
