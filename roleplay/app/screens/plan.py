"""The pre-call plan: objective, questions, information needed, what might go wrong.

About ten minutes in real life; here it is remembered per rep and scenario,
shown beside the call, and checked in the debrief.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Label, Static, TextArea

from ..guard import Guarded

FIELDS = [
    ("objective", "The call's objective, as a milestone"),
    ("questions", "Questions to ask (one a line; Tab moves between boxes)"),
    ("information", "Information I need to find out"),
    ("risks", "What might go wrong, and how I'll handle it"),
]


class PlanScreen(Guarded, Screen):
    BINDINGS = [
        Binding("ctrl+s", "start", "Start the call", priority=True),
        Binding("ctrl+k", "skip", "Skip planning", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, setup, room=None):  # noqa: ANN001 - engine Setup, team.Room
        super().__init__()
        self.setup = setup
        self.room = room

    @property
    def rep(self):  # noqa: ANN201 - store.Rep
        """Whose plan this is: the rep practising, or the first in the room (the next in the hot seat)."""
        return self.app.store.rep(self.room.reps[0]) if self.room is not None else self.app.rep

    def compose(self) -> ComposeResult:
        s = self.setup.scenario
        saved = self.app.store.plan(self.rep, s.id) or {}
        yield Header()
        with VerticalScroll(id="plan"):
            yield Static(f"[b]{s.title}[/b] ({self.setup.difficulty_name})\n{s.summary}", classes="brief")
            notes = "".join(f"\n• {n}" for n in s.rep_brief.notes)
            yield Static(f"[b]You sell:[/b] {s.rep_brief.product} {s.rep_brief.price}\n"
                         f"[b]So far:[/b] {s.rep_brief.history.strip()}{notes}", classes="brief", markup=True)
            for key, label in FIELDS:
                yield Label(label, classes="plan-label")
                default = s.objective.milestone if key == "objective" else ""
                yield TextArea(saved.get(key, default), id=f"plan-{key}", classes="plan-field",
                               soft_wrap=True, show_line_numbers=False)
            yield Checkbox("Always skip planning", id="always-skip",
                           value=self.app.store.pref(f"skip-plan:{self.rep.name}") == "yes")
            with Horizontal(classes="buttons"):
                yield Button("Start the call", variant="primary", id="start")
                yield Button("Skip planning", id="skip")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Plan the call" if self.room is None else f"{self.rep.name} plans the call"
        objective = self.query_one("#plan-objective", TextArea)
        objective.focus(scroll_visible=False)
        objective.move_cursor(objective.document.end)  # typing adds to the milestone, not before it
        self.query_one("#plan", VerticalScroll).scroll_home(animate=False)

    def plan(self) -> dict[str, str]:
        return {key: self.query_one(f"#plan-{key}", TextArea).text.strip() for key, _ in FIELDS}

    def _remember_skip(self) -> None:
        value = "yes" if self.query_one("#always-skip", Checkbox).value else "no"
        self.app.store.set_pref(f"skip-plan:{self.rep.name}", value)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        plan = self.plan()
        self._remember_skip()
        if any(plan.values()):
            self.app.store.save_plan(self.rep, self.setup.scenario.id, plan)
        self.app.pop_screen()
        self.app.begin_session(self.setup, plan if any(plan.values()) else None, room=self.room)

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self._remember_skip()
        self.app.pop_screen()
        self.app.begin_session(self.setup, None, room=self.room)
