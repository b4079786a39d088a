"""The grades panel: how the last rep turn did on each criterion, as soon as it is graded."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...engine.grading import effective
from ...engine.text import clip

LEGEND = "✓ passed  ✗ failed  · n/a  ? ungraded"
"""What the marks beside each criterion mean (also in the help)."""
VERDICT_MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "n/a": ("·", "dim"), "ungraded": ("?", "yellow")}


def grades_text(session, turn=None) -> Text:  # noqa: ANN001 - engine Session, records.Turn
    """The flags and the verdict per criterion of a rep turn (the last one when not given)."""
    from ...engine.scorecard import OUTRANKS

    reps = [t for t in session.turns if t.speaker == "rep"]
    out = Text()
    if not reps:
        out.append("Grades appear here as soon as you send a turn.", style="dim")
        return out
    turn = turn or reps[-1]
    for flag in session.flags():
        if flag.turn == turn.index:
            out.append(f"! {flag.detail}\n", style="bold red" if flag.kind in OUTRANKS else "bold yellow")
    names = {c.id: c for c in session.setup.rubric.criteria}
    for cid, g in effective(turn.grades).items():
        c = names.get(cid)
        if c is None:
            continue
        mark, style = VERDICT_MARKS[g.verdict]
        out.append(f"{mark} ", style=f"bold {style}")
        out.append(f"{c.name}\n", style=style if g.verdict != "n/a" else "dim")
        if g.verdict == "pass" and g.evidence:
            out.append(f"  “{clip(g.evidence[0], 70)}”\n", style="italic")
        elif g.verdict == "fail":
            out.append(f"  Tip: {c.tip}\n", style="dim")
        elif g.verdict == "ungraded":
            out.append(f"  {clip(g.reason, 70)}\n", style="dim")
    out.append(LEGEND, style="dim")
    return out


class GradesPanel(Static):
    """The verdicts on one rep turn: the last one, or the one an observer selected."""

    def show(self, session, turn=None) -> None:  # noqa: ANN001
        self.update(grades_text(session, turn))
