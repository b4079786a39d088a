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
from ..widgets.buyer_card import BuyerCard
from ..widgets.grades import LEGEND, GradesPanel
from ..widgets.transcript import Speakers, Transcript, TurnView

from ...engine.text import clip
from ...engine.session import (
    BuyerCue,
    BuyerPiece,
    BuyerTurnSaved,
    CallOver,
    JudgeGrades,
    Notice,
    RepTurnSaved,
    ReplyFailed,
    Session,
)

PLACEHOLDER = "Your turn. Enter sends, Ctrl+N new line."
BUYER_PLACEHOLDER = "The buyer's line, in your words. Enter sends."
OUTCOME_WORDS = {
    "won": "{name} agreed. Objective reached.",
    "walked-away": "{name} ended the conversation.",
    "ended-by-rep": "You ended the call.",
}


class SayBox(TextArea):
    """The rep's turn: Enter sends, Ctrl+N starts a new line."""

    class Send(Message):
        def __init__(self, text: str, box: SayBox | None = None):
            super().__init__()
            self.text = text
            self.box = box

        @property
        def control(self) -> SayBox | None:
            return self.box

    BINDINGS = [Binding("ctrl+n", "newline", "New line", show=False)]

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            text = self.text.strip()
            if text:
                self.post_message(self.Send(text, self))
            return
        if event.key == "shift+enter":
            event.prevent_default()
            event.stop()
            self.action_newline()
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        self.insert("\n")


class BuyerBox(SayBox):
    """The colleague playing the buyer types the buyer's line here."""

    class Send(SayBox.Send):
        pass


class PracticeScreen(Guarded, Screen):
    BINDINGS = [
        Binding("ctrl+o,f2", "hint", "Hint", priority=True),
        Binding("ctrl+r,f3", "redo", "Redo turn", priority=True),
        Binding("ctrl+b,f4", "end_call", "End call", priority=True),
        Binding("ctrl+y,f5", "retry", "Retry reply", priority=True, show=False),
        Binding("escape", "pause", "Pause"),
        # practising together (F6-F10: a text box keeps every Ctrl key it knows)
        Binding("f6", "hand_over", "Next rep", priority=True),
        Binding("f10", "toggle_card", "Card", priority=True),
        Binding("f7", "mark('good')", "Good", priority=True, show=False),
        Binding("f8", "mark('missed')", "Missed", priority=True, show=False),
        Binding("f9", "note", "Note", priority=True, show=False),
        Binding("alt+up", "select(-1)", "Earlier turn", priority=True, show=False),
        Binding("alt+down", "select(1)", "Later turn", priority=True, show=False),
    ]

    def __init__(self, session: Session, *, observer: str = ""):
        super().__init__()
        self.session = session
        self.observer = observer
        """Who marks the turns, if someone was named as the observer."""
        self.card_shown = False
        self.marks: dict[int, list] = {}
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
                yield Transcript(Speakers.of(self.session, observed=bool(self.observer)), id="transcript")
                yield Static(id="typing")
                yield SayBox(id="say", soft_wrap=True, show_line_numbers=False,
                             placeholder=PLACEHOLDER)
                yield BuyerBox(id="buyer-say", soft_wrap=True, show_line_numbers=False,
                               placeholder=BUYER_PLACEHOLDER)
            with VerticalScroll(id="side"):
                yield BuyerCard(id="card")
                yield Static(id="objective")
                yield Static(id="mood-label")
                yield ProgressBar(total=100, show_eta=False, show_percentage=False, id="trust")
                yield Static(id="clock")
                yield Static(id="reaction")
                yield Static("[b]This turn[/b]", classes="side-title")
                yield GradesPanel(id="grades")
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
        for m in self.session.marks() if self.together else []:
            self.marks.setdefault(m.turn, []).append(m)
        self.add_brief()
        for turn in self.session.turns:
            self.add_turn(turn)
        self.show_mood()
        self.show_grades()
        self.restore()
        self.tick()
        self.set_interval(1.0, self.tick)
        self.query_one("#say", SayBox).focus()
        self.show_room()
        if self.session.awaiting_reply and self.session.buyer_player is not None:
            self.buyer_turn()
        elif self.session.awaiting_reply:
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
        self.transcript.add_brief(self.session.setup.scenario)

    def add_turn(self, turn) -> TurnView:  # noqa: ANN001 - records.Turn
        return self.transcript.add_turn(turn, self.marks.get(turn.index, []))

    @property
    def transcript(self) -> Transcript:
        return self.query_one("#transcript", Transcript)

    def follow(self) -> None:
        self.transcript.follow()

    def note(self, text: str, style: str = "italic dim") -> None:
        self.transcript.note(text, style)

    def show_mood(self) -> None:
        st, d = self.session.state, self.session.setup.difficulty
        label = self.query_one("#mood-label", Static)
        bar = self.query_one("#trust", ProgressBar)
        if d.show_mood:
            label.update(Text.assemble(("Trust ", "bold"), f"{st.trust} · agrees at {d.trust_to_agree}"))
            bar.remove_class("hidden")
            bar.update(progress=st.trust)
        else:
            label.update(Text("At this difficulty the buyer's trust is hidden, as in a real call.",
                              style="dim"))
            bar.add_class("hidden")

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
        selected = self.transcript.selected
        turn = next((t for t in self.session.turns if t.index == selected), None) if selected is not None else None
        self.query_one("#grades", GradesPanel).show(self.session, turn)

    # ---- the turn
    @on(SayBox.Send, "#say")
    def _send(self, message: SayBox.Send) -> None:
        if self.session.awaiting_reply and self.session.buyer_player is not None:
            self.notify(f"{self.session.buyer_player} answers as the buyer first; your words are kept.",
                        timeout=4)
            return
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
            if self.is_mounted:
                self.show_room()  # a tag team hands over once the turn is in
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
            self.transcript.selected = None  # the observer's marks go to the newest turn again
            self.transcript.show_selection()
            self.add_turn(event.turn)
            self.show_grades()
            self.tick()
            self.show_room()
        elif isinstance(event, BuyerCue):
            self.buyer_turn()
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
        if self.session.mode != "solo" and outcome == "ended-by-rep":
            words = f"{self.session.typing.name} ended the call."
        after = ""
        if self.session.mode == "hot-seat" and self.next_in_seat():
            after = f" Then {self.next_in_seat()} takes the hot seat."
        self.note(f"— {words} Press Ctrl+B for the debrief.{after} —" if self.session.mode != "solo"
                  else f"— {words} Press Ctrl+B for your debrief. —", style="bold")
        self.show_room()
        say = self.query_one("#say", SayBox)
        say.placeholder = "The call is over. Ctrl+B for your debrief, or Ctrl+R to take back your last turn."
        say.disabled = True

    # ---- practising together: who types, the colleague playing the buyer, the observer
    @property
    def together(self) -> bool:
        """More than one person at the laptop (marks, names and the room line are shown)."""
        s = self.session
        return s.mode != "solo" or len(s.reps) > 1 or s.buyer_player is not None or bool(self.observer)

    def next_in_seat(self) -> str | None:
        if self.session.mode != "hot-seat" or not self.session.team_id:
            return None
        from ...practice import next_in_hot_seat

        return next_in_hot_seat(self.session.store, self.session.team_id)

    def room_words(self) -> Text:
        """Who types now, who is next, and the keys for the people in the room."""
        s = self.session
        out = Text()
        buyer = s.setup.persona.name.split()[0]
        if s.over:
            out.append("The call is over.", style="bold")
            return out
        if s.awaiting_reply and s.buyer_player is not None:
            out.append(f"{s.buyer_player}, as {buyer}: ", style="bold reverse")
            out.append(" type the buyer's line, Enter sends. F10 hides the card.")
            return out
        out.append(f" {s.typing.name} is typing ", style="bold reverse")
        if s.mode == "tag-team":
            names = [r.name for r in s.reps]
            at = next((i for i, r in enumerate(s.reps) if r.id == s.typing.id), 0)
            out.append(f" then {', '.join((names[at + 1:] + names[:at]))} · F6 hands over")
        elif s.mode == "hot-seat":
            nxt = self.next_in_seat()
            nxt = nxt if nxt and nxt.lower() != s.typing.name.lower() else None
            out.append(f" hot seat{f', {nxt} is next' if nxt else ', last in the seat'}")
        elif len(s.reps) > 1:
            out.append(" · F6 hands over")
        if s.buyer_player is not None:
            out.append(f" · {s.buyer_player} plays {buyer}")
        out.append(f"\n{ROOM_KEYS}" + (f" ({self.observer})" if self.observer else ""), style="dim")
        return out

    def show_room(self) -> None:
        """The room line, which box takes the typing (the rep's or the buyer's), and the side panel."""
        line = self.query_one("#typing", Static)
        line.display = self.together
        if self.together:
            line.update(self.room_words())
            self.sub_title = f"{self.session.setup.difficulty_name} · {self.session.typing.name} is typing"
        buyers_turn = self.session.buyer_player is not None and self.session.awaiting_reply \
            and not self.session.over
        say = self.query_one("#say", SayBox)
        box = self.query_one("#buyer-say", BuyerBox)
        box.display = buyers_turn
        say.display = not buyers_turn
        self.layout_side()

    def layout_side(self) -> None:
        """The persona card takes the side panel while it is shown; the rep's side otherwise."""
        card = self.query_one("#card", BuyerCard)
        shown = self.card_shown and self.session.buyer_player is not None
        side = self.query_one("#side", VerticalScroll)
        side.set_class(shown, "card-shown")
        if shown:
            card.show(self.session)
            side.scroll_home(animate=False)

    def buyer_turn(self) -> None:
        """The rep's turn is in: the colleague takes the keyboard, with the card and the cue."""
        self.card_shown = True
        self.show_room()
        box = self.query_one("#buyer-say", BuyerBox)
        box.disabled = False
        box.focus()

    @on(BuyerBox.Send, "#buyer-say")
    def _buyer_send(self, message: BuyerBox.Send) -> None:
        message.stop()
        if not self.session.awaiting_reply:
            self.notify("The rep has not said anything new to answer yet; your words are kept.", timeout=4)
            return
        box = self.query_one("#buyer-say", BuyerBox)
        events = self.session.buyer_says(message.text)
        box.clear()
        for event in events:
            self.handle(event)
        if not self.session.awaiting_reply:
            self.card_shown = False  # the rep's turn: the hidden facts go out of sight
            self.show_room()
            if not self.session.over:
                self.query_one("#say", SayBox).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hand_over":
            return len(self.session.reps) > 1
        if action == "toggle_card":
            return self.session.buyer_player is not None
        return True

    def action_hand_over(self) -> None:
        if len(self.session.reps) < 2:
            return
        who = self.session.hand_over()
        self.show_room()
        self.notify(f"{who.name} types now.", timeout=3)

    def action_toggle_card(self) -> None:
        if self.session.buyer_player is None:
            return
        self.card_shown = not self.card_shown
        self.layout_side()
        if not self.card_shown:
            self.notify("The persona card is hidden (F10 shows it again).", timeout=3)

    def marked_turn(self):  # noqa: ANN201 - records.Turn | None
        selected = self.transcript.selected
        reps = [t for t in self.session.turns if t.speaker == "rep"]
        if selected is not None:
            return next((t for t in reps if t.index == selected), None)
        return reps[-1] if reps else None

    def action_mark(self, kind: str, note: str = "") -> None:
        turn = self.marked_turn()
        if turn is None:
            self.notify("There is no rep turn to mark yet.", timeout=3)
            return
        mark = self.session.mark(kind, turn=turn.index, note=note, observer=self.observer)
        self.marks.setdefault(turn.index, []).append(mark)
        self.transcript.redraw_turn(turn, self.marks[turn.index])
        who = turn.author or self.session.rep.name
        words = {"good": "marked good", "missed": "marked missed", "note": "noted"}[kind]
        self.notify(f"{who}'s turn {words}; the debrief sets it beside the grader.", timeout=3)

    def action_note(self) -> None:
        from .dialogs import NoteScreen

        turn = self.marked_turn()
        if turn is None:
            self.notify("There is no rep turn to mark yet.", timeout=3)
            return

        def done(text: str | None) -> None:
            if text:
                self.action_mark("note", text)

        self.app.push_screen(NoteScreen(clip(turn.text, 120)), done)

    def action_select(self, step: int) -> None:
        self.transcript.select(step)

    @on(Transcript.Selected)
    def _selected(self, message: Transcript.Selected) -> None:
        self.show_grades()
        if message.index is not None:
            turn = next(t for t in self.session.turns if t.index == message.index)
            who = turn.author or self.session.rep.name
            self.query_one("#typing", Static).update(Text.assemble(
                (f" Marking {who}'s turn: ", "bold reverse"), f" “{clip(turn.text, 50)}”\n",
                ("F7 good · F8 missed · F9 note · Alt+↓ newest", "dim")))
            self.query_one("#typing", Static).display = True
        else:
            self.show_room()

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
        self.show_room()
        self.notify("Your last turn was taken back: change it and send it again.", timeout=4)

    def action_retry(self) -> None:
        if self.session.buyer_player is not None:
            return  # nothing to ask for: the colleague types the buyer's line
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


ROOM_KEYS = "F7 good · F8 missed · F9 note · Alt+↑↓ turn"


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
