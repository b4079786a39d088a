"""The buyer: who they are, what they hide, what they object to."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .common import Id, Strict, Text


class Company(Strict):
    """The buyer's company, as the rep would find it on the website."""

    name: Text = Field(description="The company's name, e.g. 'Harbor Freight Logistics'.")
    size: Text = Field(description="How big it is, in words a rep would use: '240 employees, $60M revenue'.")
    industry: Text = Field(description="What the company does: 'regional cold-chain trucking'.")
    notes: str = Field("", description="Anything else a rep could know before the call.")


class Topic(Strict):
    """Something the rep can ask about; asking about it can earn a hidden fact."""

    id: Id = Field(description="Short name that hidden facts refer to, e.g. 'cost-of-downtime'.")
    keywords: list[Text] = Field(
        min_length=1,
        description="Words or phrases that show the rep is asking about this topic (they count only "
        "inside a question). Each matches at the start of a word, regardless of case, and in its word "
        "forms: 'spoil' matches 'spoiled' and 'spoilage' but not 'despoil'; 'three years' matches "
        "'three-year term'. Avoid very short or common keywords ('things', 'going'): `validate` "
        "warns when one matches small talk. E.g. ['downtime', 'outage'].",
    )


class RevealRule(Strict):
    """What the rep must do, observably, before the buyer gives up a hidden fact."""

    # The editor sees the rule too: a topic, a criterion or both (validate says it in words).
    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["topic"]}, {"required": ["criterion"]}]})

    topic: Id | None = Field(
        None, description="The rep must ask a question about this topic (an id from the persona's topics)."
    )
    criterion: Id | None = Field(
        None, description="The rep's turn must pass this rubric criterion (an id from the scenario's rubric)."
    )
    min_trust: int = Field(
        0, ge=0, le=100, description="The buyer's trust (0-100) must be at least this high."
    )

    @model_validator(mode="after")
    def _needs_a_trigger(self) -> RevealRule:
        if self.topic is None and self.criterion is None:
            raise ValueError("say what earns the fact: give a 'topic', a 'criterion' or both")
        return self


class HiddenFact(Strict):
    """Something true that the buyer never volunteers; the rep has to earn it."""

    id: Id = Field(description="Short name, e.g. 'downtime-cost'.")
    fact: Text = Field(description="The fact, as the buyer would say it once earned.")
    earned_by: Text = Field(description="In plain words, what the rep must do to earn it.")
    about: str = Field(
        "", description="What the fact is about, without its content, e.g. 'your biggest customer's "
        "contract'. A model buyer is told only this until the fact is earned, so it can deflect "
        "without leaking or contradicting it."
    )
    reveal: RevealRule = Field(description="The observable rule the practice engine checks.")


ObjectionTrigger = Literal[
    "at-opening",
    "when-price-comes-up",
    "when-rep-asks-for-next-step",
    "when-rep-pitches",
    "mid-call",
]


class Objection(Strict):
    """A pushback the buyer raises, and what it takes to get past it."""

    id: Id = Field(description="Short name, e.g. 'too-expensive'.")
    line: Text = Field(description="What the buyer says, word for word.")
    raised: ObjectionTrigger = Field(
        description="When it comes up: at-opening, when-price-comes-up, "
        "when-rep-asks-for-next-step, when-rep-pitches, or mid-call."
    )
    resolved_by: Text = Field(description="In plain words, what answers it well.")
    resolved_when: list[Id] = Field(
        default_factory=list,
        description="Rubric criteria the rep's answer must pass for the objection to count as handled.",
    )
    handled: list[Text] = Field(
        default_factory=list,
        description="What the buyer says when this objection is answered well (offline practice); "
        "the scenario's general objection_handled lines are used when empty.",
    )


class Persona(Strict):
    """A buyer a rep practises against."""

    kind: Literal["persona"] | None = Field(None, description="Marks the file as a persona.")
    id: Id = Field(description="Short name scenarios refer to, e.g. 'dana-whitfield'.")
    name: Text = Field(description="The buyer's full name.")
    role: Text = Field(description="Job title and what they are responsible for.")
    company: Company = Field(description="The buyer's company.")
    personality: Text = Field(description="How they come across: busy, sceptical, warm, blunt...")
    speaking_style: Text = Field(description="How they talk: short sentences, jargon, dry humour...")
    situation: Text = Field(description="What is going on for them right now.")
    priorities: list[Text] = Field(min_length=1, description="What they care about this quarter.")
    pains: list[Text] = Field(min_length=1, description="Problems they have, in their words.")
    topics: list[Topic] = Field(default_factory=list, description="Things the rep can ask about.")
    hidden_facts: list[HiddenFact] = Field(
        default_factory=list, description="What they hide until the rep earns it."
    )
    objections: list[Objection] = Field(default_factory=list, description="Their pushbacks.")
    never: list[Text] = Field(
        default_factory=list,
        description="What this buyer will never do, e.g. 'agree to a meeting before the cost "
        "of the problem is put in numbers'.",
    )

