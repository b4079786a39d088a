"""Practice: the call, the buyer's reply streaming in, each turn's grades as they arrive."""

from __future__ import annotations

from time import monotonic

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static, TextArea

from ..guard import Guarded

from ...engine.grading import effective
from ...engine.text import clip
from ...engine.session import (
    BuyerPiece,
    BuyerTurnSaved,
    CallOver,
    JudgeGrades,
    Notice,
    RepTurnSaved,
    ReplyFailed,
    Session,
)

LEGEND = "✓ passed  ✗ failed  · n/a  ? ungraded"
"""What the marks beside each criterion mean (also in the help)."""
PLACEHOLDER = "Your turn. Enter sends, Ctrl+N new line."
OUTCOME_WORDS = {
    "won": "{name} agreed. Objective reached.",
    "walked-away": "{name} ended the conversation.",
    "ended-by-rep": "You ended the call.",
}


class SayBox(TextArea):
    """The rep's turn: Enter sends, Ctrl+N starts a new line."""

    class Send(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    BINDINGS = [Binding("ctrl+n", "newline", "New line", show=False)]

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            text = self.text.strip()
            if text:
                self.post_message(self.Send(text))
            return
        if event.key == "shift+enter":
            event.prevent_default()
            event.stop()
            self.action_newline()
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")


class TurnView(Static):
    """One turn in the transcript."""


class PracticeScreen(Guarded, Screen):
    BINDINGS = [
        Binding("ctrl+o,f2", "hint", "Hint", priority=True),
        Binding("ctrl+r,f3", "redo", "Redo turn", priority=True),
        Binding("ctrl+b,f4", "end_call", "End call", priority=True),
        Binding("ctrl+y,f5", "retry", "Retry reply", priority=True, show=False),
        Binding("escape", "pause", "Pause"),
    ]

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.started = monotonic()
        self.hint_used = False
        self.live: Static | None = None
        self.live_text = ""
        self.busy = False
        self.saved_clock = 0
        self.saved_draft = ""

    # ---- layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="practice"):
            with Vertical(id="call"):
                yield VerticalScroll(id="transcript")
                yield SayBox(id="say", soft_wrap=True, show_line_numbers=False,
                             placeholder=PLACEHOLDER)
            with VerticalScroll(id="side"):
                yield Static(id="objective")
                yield Static(id="mood-label")
                yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="trust")
                yield Static(id="clock")
                yield Static(id="reaction")
                yield Static("[b]This turn[/b]", classes="side-title")
                yield Static(id="grades")
                yield Static(id="plan-view")
        yield Footer()

    def on_mount(self) -> None:
        s = self.session.setup
        self.title = s.scenario.title
        self.sub_title = f"{s.difficulty_name} · {short_mode(self.app.settings)}"
        self.show_objective()
        plan = self.session.store.session(self.session.id).plan
        if plan and any(plan.values()):
            lines = [Text("Your plan", style="bold")]
            for q in (plan.get("questions") or "").splitlines()[:5]:
                if q.strip():
                    lines.append(Text(f"• {q.strip()}"))
            for q in (plan.get("information") or "").splitlines()[:3]:
                if q.strip():
                    lines.append(Text(f"? {q.strip()}"))
            if plan.get("risks"):
                lines.append(Text(f"If: {plan['risks'][:120]}", style="dim"))
            self.query_one("#plan-view", Static).update(Text("\n").join(lines))
        self.add_brief()
        for turn in self.session.turns:
            self.add_turn(turn)
        self.show_mood()
        self.show_grades()
        self.restore()
        self.tick()
        self.set_interval(1.0, self.tick)
        self.query_one("#say", SayBox).focus()
        if self.session.awaiting_reply:
            self.run_retry()
        elif self.session.over:
            self.call_over(self.session.state.outcome)

    # ---- what a resume brings back: the call clock and the words typed but not sent
    def _keys(self) -> tuple[str, str]:
        from ...store import session_pref_key

        return session_pref_key("clock", self.session.id), session_pref_key("draft", self.session.id)

    def restore(self) -> None:
        clock, draft = self._keys()
        store = self.session.store
        try:
            self.saved_clock = int(float(store.pref(clock) or 0))
        except ValueError:
            self.saved_clock = 0
        self.started = monotonic() - self.saved_clock
        self.saved_draft = store.pref(draft) or ""
        if self.saved_draft and not self.session.over:
            say = self.query_one("#say", SayBox)
            say.text = self.saved_draft
            say.move_cursor(say.document.end)

    def remember(self, *, clock_every: int = 0) -> None:
        """Save the clock (when it moved by `clock_every` seconds or more) and the unsent words,
        in the store's prefs, so a pause, a quit or a crash keeps both (until the call ends)."""
        if self.session.over:
            return
        clock, draft = self._keys()
        secs = int(monotonic() - self.started)
        text = "" if self.session.over else self.query_one("#say", SayBox).text
        if secs - self.saved_clock >= max(clock_every, 1) or (clock_every == 0 and secs != self.saved_clock):
            self.session.store.set_pref(clock, str(secs))
            self.saved_clock = secs
        if text != self.saved_draft:
            self.session.store.set_pref(draft, text)
            self.saved_draft = text

    # ---- drawing
    def show_objective(self) -> None:
        """The objective in at most two lines of the side panel, so the grades below it stay in
        view at 80x24; the whole of it is in the brief at the top of the call."""
        box = self.query_one("#objective", Static)
        width = box.size.width or 28
        milestone = self.session.setup.scenario.objective.milestone
        box.update(Text.assemble(("Objective: ", "bold"), clip(milestone, max(24, 2 * width - 12))))

    def on_resize(self) -> None:
        self.call_after_refresh(self.show_objective)

    def name_of(self, speaker: str) -> str:
        return "You" if speaker == "rep" else self.session.setup.persona.name.split()[0]

    def add_brief(self) -> None:
        """The situation and what the rep knows, at the top of the call (planning may be skipped)."""
        s = self.session.setup.scenario
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
        self.query_one("#transcript", VerticalScroll).mount(TurnView(brief, classes="turn brief"))

    def add_turn(self, turn) -> Static:  # noqa: ANN001 - records.Turn
        if turn.speaker == "buyer" and not turn.text and turn.note:
            widget = TurnView(Text(f"— {turn.note} —", style="italic"), classes="turn note silence")
            self.query_one("#transcript", VerticalScroll).mount(widget)
            self.follow()
            return widget
        body = Text()
        body.append(f"{self.name_of(turn.speaker)}: ", style="bold")
        if turn.text:
            body.append(turn.text)
        if turn.note:
            body.append(f"({turn.note})", style="italic dim")
        if turn.interrupted:
            body.append("  [cut off]", style="italic yellow")
        widget = TurnView(body, classes=f"turn {turn.speaker}")
        self.query_one("#transcript", VerticalScroll).mount(widget)
        self.follow()
        return widget

    def follow(self) -> None:
        """Keep the newest line in view, once it has been laid out (a long reply wraps over
        several lines, which a scroll made before layout would leave hidden behind the input)."""
        transcript = self.query_one("#transcript", VerticalScroll)
        self.call_after_refresh(transcript.scroll_end, animate=False)

    def note(self, text: str, style: str = "italic dim") -> None:
        widget = TurnView(Text(text, style=style), classes="turn note")
        self.query_one("#transcript", VerticalScroll).mount(widget)
        self.follow()

    def show_mood(self) -> None:
        st, d = self.session.state, self.session.setup.difficulty
        label = self.query_one("#mood-label", Static)
        bar = self.query_one("#trust", ProgressBar)
        if d.show_mood:
            label.update(Text.assemble(("Trust ", "bold"), f"{st.trust} · agrees at {d.trust_to_agree}"))
            bar.display = True
            bar.update(progress=st.trust)
        else:
            label.update(Text("At this difficulty the buyer's trust is hidden, as in a real call.",
                              style="dim"))
            bar.display = False

    def tick(self) -> None:
        st, d = self.session.state, self.session.setup.difficulty
        secs = int(monotonic() - self.started)
        reps = sum(t.speaker == "rep" for t in self.session.turns)
        parts = [f"Turn {reps}", f"{secs // 60}:{secs % 60:02d}"]
        if self.is_mounted:
            self.remember(clock_every=15)
        if d.show_mood:
            parts.append(f"patience {st.patience}")
        if self.session.setup.scenario.opening.silent_days is not None:
            parts.append(f"day {st.days}")
        self.query_one("#clock", Static).update(" · ".join(parts))

    def show_grades(self) -> None:
        reps = [t for t in self.session.turns if t.speaker == "rep"]
        out = Text()
        if not reps:
            out.append("Grades appear here as soon as you send a turn.", style="dim")
        else:
            from ...engine.scorecard import OUTRANKS

            for flag in self.session.flags():
                if flag.turn == reps[-1].index:
                    out.append(f"! {flag.detail}\n", style="bold red" if flag.kind in OUTRANKS else "bold yellow")
            grades = effective(reps[-1].grades)
            names = {c.id: c for c in self.session.setup.rubric.criteria}
            for cid, g in grades.items():
                c = names.get(cid)
                if c is None:
                    continue
                mark, style = {"pass": ("✓", "green"), "fail": ("✗", "red"),
                               "n/a": ("·", "dim"), "ungraded": ("?", "yellow")}[g.verdict]
                out.append(f"{mark} ", style=f"bold {style}")
                out.append(f"{c.name}\n", style=style if g.verdict != "n/a" else "dim")
                if g.verdict == "pass" and g.evidence:
                    out.append(f"  “{clip(g.evidence[0], 70)}”\n", style="italic")
                elif g.verdict == "fail":
                    out.append(f"  Tip: {c.tip}\n", style="dim")
                elif g.verdict == "ungraded":
                    out.append(f"  {clip(g.reason, 70)}\n", style="dim")
            out.append(LEGEND, style="dim")
        self.query_one("#grades", Static).update(out)

    # ---- the turn
    @on(SayBox.Send)
    def _send(self, message: SayBox.Send) -> None:
        if self.busy:
            self.notify("The buyer is still answering; your text is kept.", timeout=3)
            return
        if self.session.over:
            self.notify("The call is over. Ctrl+B for your debrief.", timeout=4)
            return
        if self.session.awaiting_reply:
            # Keep the words in the box: the buyer's last reply has to come first.
            self.notify("The buyer's last reply is still missing: press Ctrl+Y to ask for it, "
                        "then send this turn.", severity="warning", timeout=6)
            return
        self.query_one("#say", SayBox).clear()
        self.run_turn(message.text)

    @work(exclusive=True, group="turn")
    async def run_turn(self, text: str) -> None:
        self.busy = True
        unsaved: str | None = text
        try:
            async for event in self.session.say(text, hint_used=self.hint_used):
                if isinstance(event, RepTurnSaved):
                    unsaved = None
                self.handle(event)
            self.hint_used = False
        finally:
            self.busy = False
            self.finish_live()
            if unsaved is not None:
                # The turn was never saved (a full disk, a history that can't be written): the
                # words go back in the box, and the app says why (RoleplayApp.show_problem).
                say = self.query_one("#say", SayBox)
                if not say.text.strip():
                    say.text = unsaved
                    say.move_cursor(say.document.end)

    @work(exclusive=True, group="turn")
    async def run_retry(self) -> None:
        self.busy = True
        try:
            self.remove_interrupted()
            async for event in self.session.retry_reply():
                self.handle(event)
        finally:
            self.busy = False
            self.finish_live()

    def remove_interrupted(self) -> None:
        widgets = list(self.query(".turn.buyer"))
        last = self.session.turns[-1] if self.session.turns else None
        if widgets and last is not None and last.speaker == "buyer" and last.interrupted:
            widgets[-1].remove()

    def handle(self, event) -> None:  # noqa: ANN001 - engine events
        if isinstance(event, RepTurnSaved):
            self.add_turn(event.turn)
            self.show_grades()
            self.tick()
        elif isinstance(event, BuyerPiece):
            if self.live is None:
                self.live_text = ""
                self.live = TurnView("", classes="turn buyer live")
                self.query_one("#transcript", VerticalScroll).mount(self.live)
            self.live_text += event.text
            self.live.update(Text.assemble((f"{self.name_of('buyer')}: ", "bold"), self.live_text))
            self.follow()
        elif isinstance(event, BuyerTurnSaved):
            if self.live is not None:
                self.live.remove()
                self.live = None
            self.add_turn(event.turn)
            self.query_one("#reaction", Static).update(reaction(event.move, self.session.setup.difficulty))
            self.show_mood()
            self.tick()
        elif isinstance(event, JudgeGrades):
            self.show_grades()
        elif isinstance(event, Notice):
            self.notify(event.message, timeout=5)
        elif isinstance(event, ReplyFailed):
            if self.live is not None and event.partial:
                self.live.update(Text.assemble((f"{self.name_of('buyer')}: ", "bold"), event.partial,
                                               ("  [cut off]", "italic yellow")))
                self.live.remove_class("live")
                self.live.add_class("buyer")
                self.live = None
            self.notify(f"{event.message} Press Ctrl+Y to ask again.", severity="warning", timeout=10)
        elif isinstance(event, CallOver):
            self.call_over(event.outcome)

    def finish_live(self) -> None:
        if self.live is not None:
            self.live.remove()
            self.live = None

    def call_over(self, outcome: str) -> None:
        name = self.session.setup.persona.name.split()[0]
        words = OUTCOME_WORDS.get(outcome, outcome).format(name=name)
        self.note(f"— {words} Press Ctrl+B for your debrief. —", style="bold")
        say = self.query_one("#say", SayBox)
        say.placeholder = "The call is over. Ctrl+B for your debrief, or Ctrl+R to take back your last turn."
        say.disabled = True

    # ---- keys
    def action_hint(self) -> None:
        self.hint_used = True
        self.notify(self.session.hint(), title="Hint (recorded)", timeout=12)

    def action_redo(self) -> None:
        if self.busy:
            return
        taken = self.session.undo_last()
        if taken is None:
            self.notify("There is no turn to take back.", timeout=3)
            return
        self.query_one("#transcript", VerticalScroll).remove_children()
        self.add_brief()
        for turn in self.session.turns:
            self.add_turn(turn)
        say = self.query_one("#say", SayBox)
        say.disabled = False
        say.placeholder = PLACEHOLDER
        say.text = taken  # the words come back to be edited, not retyped
        say.focus()
        self.query_one("#reaction", Static).update("")
        self.show_mood()
        self.show_grades()
        self.tick()
        self.notify("Your last turn was taken back: change it and send it again.", timeout=4)

    def action_retry(self) -> None:
        if self.session.awaiting_reply and not self.busy:
            self.run_retry()

    @work(exclusive=True, group="turn")
    async def action_end_call(self) -> None:
        from .debrief import DebriefScreen

        if not any(t.speaker == "rep" for t in self.session.turns):
            self.session.store.abandon(self.session.id)
            self.app.pop_screen()
            return
        self.notify("Scoring the call...", timeout=2)
        await self.session.end()
        self.app.switch_screen(DebriefScreen(self.session.id))

    def action_pause(self) -> None:
        self.remember()
        self.notify("Paused: every turn is saved. Pick the session under Recent sessions to resume.",
                    timeout=6)
        self.app.pop_screen()


def reaction(move, difficulty) -> Text:  # noqa: ANN001 - state.Move, models.Difficulty
    """How the buyer took the last turn, in words a rep understands (trust only if shown)."""
    trust = f" (trust {move.trust_delta:+d})" if difficulty.show_mood and move.trust_delta else ""
    from ...engine.state import REACTIONS

    text, tone = REACTIONS.get(move.kind, (move.kind, "dim"))
    words = (text, {"good": "green", "bad": "red", "dim": "dim", "warn": "yellow", "win": "bold green",
                    "lost": "bold red"}[tone])
    return Text.assemble(("Buyer: ", "bold"), (words[0], words[1]), trust)


def short_mode(settings) -> str:  # noqa: ANN001
    return f"model {settings.model}" if settings.online else "offline practice"


__all__ = ["PracticeScreen"]
