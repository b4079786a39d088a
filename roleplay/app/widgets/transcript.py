"""The call as it happens (practice) and as it was (debrief): one widget per turn, or one text.

Who said each line: "You" and the buyer's first name in a solo call; each rep's name when more
than one person is in the room; the colleague who played the buyer beside the buyer's name.
An observer's marks are shown under the turn they are about.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...engine.grading import effective
from ...engine.text import clip

MARK_WORDS = {"good": ("✓ good", "bold green"), "missed": ("✗ missed", "bold red"), "note": ("✎ note", "bold cyan")}
"""How an observer's mark is shown beside a turn."""


class Speakers:
    """The name shown before each turn."""

    def __init__(self, buyer: str, *, named: bool = False, played_by: str | None = None):
        self.buyer = buyer
        self.named = named  # more than one person in the room: each rep turn names its author
        self.played_by = played_by

    @classmethod
    def of(cls, session, *, observed: bool = False) -> Speakers:  # noqa: ANN001 - engine Session
        """`observed`: someone marks the turns (the rep is named, as everyone else is)."""
        named = observed or session.mode != "solo" or len(session.reps) > 1 or session.buyer_player is not None
        return cls(session.setup.persona.name.split()[0], named=named, played_by=session.buyer_player)

    def __call__(self, turn) -> str:  # noqa: ANN001 - records.Turn
        if turn.speaker == "rep":
            return (turn.author or "Rep") if self.named else "You"
        if self.played_by and turn.author:
            return f"{self.buyer} ({turn.author})"
        return self.buyer


def marks_text(marks: Iterable) -> Text:  # noqa: ANN001 - records.Mark
    """The observer's marks on one turn, on one line each."""
    out = Text()
    for m in marks:
        words, style = MARK_WORDS.get(m.kind, (m.kind, "bold"))
        out.append("\n  Observer" + (f" {m.observer}" if m.observer else "") + ": ", style="dim")
        out.append(words, style=style)
        if m.criterion:
            out.append(f" on {m.criterion}", style="dim")
        if m.note:
            out.append(f": {m.note}", style="italic")
    return out


def turn_text(turn, speakers: Speakers, marks: Iterable = ()) -> Text:  # noqa: ANN001
    body = Text()
    body.append(f"{speakers(turn)}: ", style="bold")
    if turn.text:
        body.append(turn.text)
    if turn.note:
        body.append(f"({turn.note})", style="italic dim")
    if turn.interrupted:
        body.append("  [cut off]", style="italic yellow")
    body.append_text(marks_text(marks))
    return body


class TurnView(Static):
    """One turn in the transcript."""

    def __init__(self, *args, index: int | None = None, **kwargs):  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.index = index


class Transcript(VerticalScroll):
    """The live transcript of the practice screen: the brief at the top, then every turn."""

    class Selected(Message):
        """The observer moved the selection to another rep turn (None: back to the last one)."""

        def __init__(self, index: int | None):
            super().__init__()
            self.index = index

    def __init__(self, speakers: Speakers, **kwargs):  # noqa: ANN003
        super().__init__(**kwargs)
        self.speakers = speakers
        self.selected: int | None = None  # a rep turn the observer picked (None: the last one)

    def add_brief(self, scenario) -> None:  # noqa: ANN001 - models.Scenario
        """The situation and what the rep knows, at the top of the call (planning may be skipped)."""
        s = scenario
        brief = Text()
        brief.append("The situation: ", style="bold")
        brief.append(s.summary.strip() + "\n")
        brief.append("Objective: ", style="bold")
        brief.append(s.objective.milestone.strip() + "\n")
        brief.append("You sell: ", style="bold")
        brief.append(f"{s.rep_brief.product} {s.rep_brief.price}")
        for note in s.rep_brief.notes:
            brief.append(f"\n• {note}")
        if s.objective.why_it_matters:
            brief.append("\nWhy the objective matters: ", style="bold")
            brief.append(s.objective.why_it_matters.strip())
        self.mount(TurnView(brief, classes="turn brief"))

    def add_turn(self, turn, marks: Iterable = ()) -> TurnView:  # noqa: ANN001 - records.Turn
        if turn.speaker == "buyer" and not turn.text and turn.note:
            widget = TurnView(Text(f"— {turn.note} —", style="italic"), classes="turn note silence",
                              index=turn.index)
        else:
            widget = TurnView(turn_text(turn, self.speakers, marks), classes=f"turn {turn.speaker}",
                              index=turn.index)
        self.mount(widget)
        self.follow()
        return widget

    def redraw_turn(self, turn, marks: Iterable = ()) -> None:  # noqa: ANN001
        for widget in self.query(TurnView):
            if widget.index == turn.index and widget.has_class(turn.speaker):
                widget.update(turn_text(turn, self.speakers, marks))

    def note(self, text: str, style: str = "italic dim") -> None:
        self.mount(TurnView(Text(text, style=style), classes="turn note"))
        self.follow()

    def follow(self) -> None:
        """Keep the newest line in view, once it has been laid out (a long reply wraps over
        several lines, which a scroll made before layout would leave hidden behind the input)."""
        if self.selected is None:
            self.call_after_refresh(self.scroll_end, animate=False)

    # ---- the observer's selection
    def rep_turns(self) -> list[TurnView]:
        return [w for w in self.query(TurnView) if w.has_class("rep") and w.index is not None]

    def select(self, step: int) -> int | None:
        """Move the selection `step` rep turns up (-1) or down (+1); down past the last one it goes
        back to following the newest turn. The turn index selected (None: the last)."""
        indexes = [w.index for w in self.rep_turns()]
        if not indexes:
            return None
        at = indexes.index(self.selected) if self.selected in indexes else len(indexes) - 1
        at += step
        self.selected = None if at >= len(indexes) - 1 and step > 0 else indexes[max(0, min(at, len(indexes) - 1))]
        self.show_selection()
        self.post_message(self.Selected(self.selected))
        return self.selected

    def show_selection(self) -> None:
        for w in self.rep_turns():
            w.set_class(w.index == self.selected, "selected")
            if w.index == self.selected:
                self.scroll_to_widget(w, animate=False)
        if self.selected is None:
            self.follow()


def call_text(turns, speakers: Speakers, names: dict[str, str], marks: dict[int, list] | None = None) -> Text:  # noqa: ANN001
    """The whole call for the debrief: each turn, the grader's verdicts and the observer's marks."""
    from .grades import VERDICT_MARKS

    out = Text()
    for t in turns:
        out.append(f"{speakers(t)}: ", style="bold")
        out.append(t.text or f"({t.note})", style="" if t.text else "italic dim")
        out.append_text(marks_text((marks or {}).get(t.index, [])))
        out.append("\n")
        for g in effective(t.grades).values():
            if g.verdict == "n/a":
                continue
            mark, style = VERDICT_MARKS[g.verdict]
            out.append(f"   {mark} {names.get(g.criterion, g.criterion)}", style=style)
            if g.evidence:
                out.append(f"  “{clip(g.evidence[0], 70)}”", style="italic")
            out.append("\n")
    return out


__all__ = ["Speakers", "Transcript", "TurnView", "call_text", "marks_text", "turn_text"]

