"""What a session is made of: turns and grades. One definition, used by the engine,
the store, the exports and the `grade --json` output (README.md, "Grading a real call")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["pass", "fail", "n/a", "ungraded"]
Source = Literal["signal", "judge"]
Speaker = Literal["rep", "buyer"]


class Grade(BaseModel):
    """One criterion's verdict on one rep turn (or, for end-of-call criteria, on the call)."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(description="The rubric criterion id.")
    verdict: Verdict = Field(
        description="pass, fail, n/a (does not apply to this turn) or ungraded "
        "(no valid judgement could be had: never an invented score)."
    )
    score: float | None = Field(None, ge=0, le=1, description="0 to 1; None unless pass or fail.")
    evidence: list[str] = Field(default_factory=list, description="The rep's own words, quoted exactly.")
    reason: str = Field("", description="Why, in a sentence.")
    source: Source = Field(description="signal (instant detector) or judge (model).")


class Turn(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, description="Position in the call, from 0.")
    speaker: Speaker
    text: str
    grades: list[Grade] = Field(default_factory=list)
    interrupted: bool = Field(False, description="The reply was cut off mid-stream.")
    note: str = Field("", description="Stage direction shown instead of or beside text, e.g. 'No reply. Four days pass.'")
    hint_used: bool = Field(False, description="The rep asked for a hint before this turn.")
    author: str | None = Field(None, description="Who typed it: the rep's name on a rep turn; on a buyer "
                               "turn, the colleague playing the buyer (None: the model or the script).")


MarkKind = Literal["good", "missed", "note"]


class Mark(BaseModel):
    """An observer's mark on one turn: good, missed, or a note; about one criterion or the turn."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    turn: int = Field(ge=0, description="The index of the turn marked.")
    kind: MarkKind
    criterion: str | None = Field(None, description="The rubric criterion the mark is about (None: the turn).")
    note: str = ""
    observer: str = ""


class TranscriptIn(BaseModel):
    """A transcript to grade, as read from JSON or YAML (see `roleplay grade`)."""

    model_config = ConfigDict(extra="forbid")

    turns: list[TranscriptTurn] = Field(min_length=1)


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: Speaker
    text: str = Field(min_length=1)


TranscriptIn.model_rebuild()
