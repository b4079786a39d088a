"""Small modal screens: who is practising, which model, resume an unfinished session, help."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..guard import Guarded

from .home import local_time


class RepScreen(Guarded, ModalScreen[str | None]):
    """Pick a rep profile or create one. History is kept per rep."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Who is practising?", classes="dialog-title")
            yield Input(placeholder="Your name, then Enter", id="new-rep", max_length=40)
            reps = self.app.store.reps()
            if reps:
                yield Label("or pick (Tab, then arrows and Enter):", classes="hint")
                yield OptionList(*[Option(r.name, id=r.name) for r in reps], id="reps")
            yield Static("History and progress are kept per rep.", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#new-rep", Input).focus()

    @on(OptionList.OptionSelected, "#reps")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#new-rep")
    def _typed(self, event: Input.Submitted) -> None:
        name = " ".join(event.value.split())
        if not name:
            self.notify("Type a name, e.g. Ana.", severity="warning")
            return
        self.dismiss(name[:40])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelScreen(Guarded, ModalScreen[str | None]):
    """Type a model name, or leave it empty for offline practice."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Which AI model plays the buyer?", classes="dialog-title")
            yield Input(value=self.current, placeholder="e.g. gpt-4o-mini (empty: offline practice)",
                        id="model")
            yield Static("Leave it empty to practise offline with the scripted buyer.\n"
                         "A model needs its key set up first (ask whoever set up roleplay for your team; "
                         "'roleplay doctor' in a terminal checks it). This choice lasts until you quit.",
                         classes="hint")

    @on(Input.Submitted, "#model")
    def _done(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ResumeScreen(Guarded, ModalScreen[str | None]):
    """An unfinished session was found: carry on, or close it."""

    BINDINGS = [Binding("escape", "later", "Later")]

    def __init__(self, row):  # noqa: ANN001 - store.SessionRow
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(classes="dialog"):
            yield Label("You have an unfinished session", classes="dialog-title")
            yield Static(f"{r.scenario_title} ({r.difficulty}), started {local_time(r.started)}.\n"
                         "Every turn you took was saved. Resume it, end it without a score, "
                         "or decide later.")
            with Horizontal(classes="buttons"):
                yield Button("Resume", variant="primary", id="resume")
                yield Button("End it unscored", id="close")
                yield Button("Later", id="later")

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id if event.button.id != "later" else None)

    def action_later(self) -> None:
        self.dismiss(None)


class NoteScreen(Guarded, ModalScreen[str | None]):
    """An observer's short note on a rep turn."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, quote: str):
        super().__init__()
        self.quote = quote

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("A note on this turn", classes="dialog-title")
            yield Static(f"“{self.quote}”", classes="hint")
            yield Input(placeholder="e.g. good question, but she asked two at once", id="note", max_length=200)
            yield Static("Enter saves the note with the turn; Escape leaves without one.", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def _done(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        if not text:
            self.notify("Type a few words, or Escape to leave without a note.", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


INTRO = ("Pick a scenario and a difficulty, plan the call (or skip), then talk to the buyer. "
         "Every turn is graded against the scenario's rubric the moment you send it. The buyer's "
         "trust and patience are kept by the engine: earn trust with good questions and by handling "
         "objections, and ask for the objective only when it is earned.")

HELP: list[tuple[str, list[tuple[str, str]]]] = [
    ("Practice", [
        ("Enter", "send your turn"),
        ("Ctrl+N", "new line in your turn"),
        ("Ctrl+O, F2", "hint: what a strong rep would do now (recorded)"),
        ("Ctrl+R, F3", "redo: take back your last turn; your words come back to edit"),
        ("Ctrl+B, F4", "end the call and see the debrief"),
        ("Ctrl+Y, F5", "ask for the buyer's reply again after an error"),
        ("Escape", "pause: every turn and the words you typed are kept"),
    ]),
    ("Practising together", [
        ("F5 (home)", "who is in the room: the reps, hot seat or tag team, a colleague as the buyer"),
        ("F6", "the next rep types (tag team hands over by itself after each turn)"),
        ("F7, F8", "observer: mark the rep's last turn good or missed"),
        ("F9", "observer: a short note on the turn"),
        ("Alt+↑ Alt+↓", "pick an earlier turn to mark (its grades show beside it)"),
        ("F10", "the colleague playing the buyer: hide or show the persona card"),
    ]),
    ("The marks beside each criterion", [
        ("✓", "passed on this turn, with your words as evidence"),
        ("✗", "failed on this turn, with a tip"),
        ("·", "does not apply to this turn (n/a)"),
        ("?", "ungraded: no signal or judge could say (never guessed)"),
    ]),
    ("Home", [
        ("Enter", "practise the highlighted scenario"),
        ("type", "search the scenarios; Backspace and Ctrl+U edit the search"),
        ("Tab", "reach Recent sessions; Enter there resumes a paused session or opens a debrief"),
        ("F2, F3, F4", "switch rep, progress, model"),
        ("F7", "watch a strong and a weak rep play the highlighted scenario (what a buyer does)"),
    ]),
    ("Plan", [
        ("Ctrl+S", "start the call"),
        ("Ctrl+K", "skip planning (Ctrl+P, \"Plan before each call\", turns it back on)"),
        ("Escape", "back"),
    ]),
    ("Debrief", [
        ("Ctrl+S", "save your answers"),
        ("N", "practise next"),
        ("Escape", "home (your answers are saved)"),
    ]),
    ("Everywhere", [
        ("Ctrl+P", "command palette: practise, switch rep, progress, model, planning on or off, theme"),
        ("F1", "this help"),
        ("Ctrl+T", "switch dark and light"),
        ("Ctrl+Q", "quit: your session is saved and offered back next time"),
    ]),
]


def help_text() -> Group:
    """The help as key/description tables: a long description wraps in its own column."""
    parts: list = [Text("How practice works", style="bold"), Text(INTRO), Text()]
    for title, rows in HELP:
        parts.append(Text(title, style="bold"))
        table = Table.grid(padding=(0, 2))
        table.add_column(width=12, no_wrap=True)
        table.add_column(ratio=1)
        for key, what in rows:
            table.add_row(Text(key, style="bold cyan"), Text(what))
        parts += [table, Text()]
    return Group(*parts[:-1])


class HelpScreen(Guarded, ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(help_text())
            yield Button("Close", id="close-help")

    @on(Button.Pressed, "#close-help")
    def action_close(self) -> None:
        self.dismiss(None)
