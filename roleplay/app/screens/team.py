"""Practising together: who is in the room, and the team scoreboard (who leads on what)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, RadioButton, RadioSet, Static

from ..guard import Guarded
from .home import moment

MODES = [("solo", "Alone: one rep takes the call"),
         ("hot-seat", "Hot seat: each rep takes the same call in turn"),
         ("tag-team", "Tag team: one call, the reps take turns")]
MODE_WORDS = {"solo": "solo", "hot-seat": "hot seat", "tag-team": "tag team"}


@dataclass
class Room:
    """Who is in the room for a call."""

    reps: list[str]
    mode: str = "solo"  # solo, hot-seat or tag-team
    buyer_player: str | None = None  # a colleague who plays the buyer from the persona card
    observer: str = ""  # who marks the turns (may be nobody named)
    team_id: str | None = None  # the hot seat's team, for the next rep's call


def split_names(text: str) -> list[str]:
    return [" ".join(n.split()) for n in text.replace(";", ",").split(",") if n.strip()]


class RoomScreen(Guarded, ModalScreen[Room | None]):
    """The reps (existing profiles or new names), how they take the call, a colleague as the buyer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scenario_id: str, difficulty: str):
        super().__init__()
        self.scenario_id = scenario_id
        self.difficulty = difficulty

    def last(self) -> dict:
        try:
            saved = json.loads(self.app.store.pref("room") or "{}")
        except ValueError:
            saved = {}
        return saved if isinstance(saved, dict) else {}

    def compose(self) -> ComposeResult:
        last = self.last()
        reps = last.get("reps") or ([self.app.rep.name] if self.app.rep else [])
        mode = last.get("mode") if last.get("mode") in dict(MODES) else "hot-seat"
        profiles = [r.name for r in self.app.store.reps()]
        with Vertical(classes="dialog", id="room"):
            yield Label(f"Who is in the room? {moment(self.scenario_id)} ({self.difficulty})",
                        classes="dialog-title")
            yield Label("Reps, a comma between names (the first one starts):")
            yield Input(", ".join(reps), id="room-reps", compact=True, max_length=120)
            if profiles:
                yield Static("Profiles: " + ", ".join(profiles[:8]) + ("…" if len(profiles) > 8 else ""),
                             classes="hint", id="room-profiles")
            with RadioSet(id="room-mode"):
                for key, words in MODES:
                    yield RadioButton(words, value=key == mode, id=f"mode-{key}")
            yield Label("A colleague plays the buyer (optional):", classes="field-label")
            yield Input(last.get("buyer") or "", id="room-buyer", compact=True, max_length=40,
                        placeholder="their name, e.g. Carl (empty: the app plays the buyer)")
            yield Label("Observer marking the turns (optional):", classes="field-label")
            yield Input(last.get("observer") or "", id="room-observer", compact=True, max_length=40,
                        placeholder="their name, e.g. Maya")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="room-start", compact=True)
                yield Button("Cancel", id="room-cancel", compact=True)
                yield Static("Enter in a box starts", classes="hint")

    def on_mount(self) -> None:
        box = self.query_one("#room-reps", Input)
        box.focus()
        box.cursor_position = len(box.value)

    def mode(self) -> str:
        pressed = self.query_one("#room-mode", RadioSet).pressed_button
        return (pressed.id or "mode-solo").removeprefix("mode-") if pressed else "solo"

    def room(self) -> Room | str:
        """The room, or a sentence saying what to fix."""
        profiles = {r.name.lower(): r.name for r in self.app.store.reps()}
        names = [profiles.get(n.lower(), n[:40]) for n in split_names(self.query_one("#room-reps", Input).value)]
        buyer = " ".join(self.query_one("#room-buyer", Input).value.split()) or None
        observer = " ".join(self.query_one("#room-observer", Input).value.split())
        mode = self.mode()
        if not names:
            return "Type who is practising, e.g. Ana, Ben."
        if len({n.lower() for n in names}) < len(names):
            return f"A name is given twice: {', '.join(names)}."
        if mode == "solo" and len(names) > 1:
            return "Two or more reps: pick hot seat or tag team (or leave one name)."
        if mode != "solo" and len(names) < 2:
            return f"{MODE_WORDS[mode].capitalize()} needs two or more reps: add a name, e.g. {names[0]}, Ben."
        if buyer and buyer.lower() in {n.lower() for n in names}:
            return f"{buyer} cannot play the buyer and be a rep in the same call."
        return Room(names, mode, buyer, observer)

    @on(Input.Submitted)
    @on(Button.Pressed, "#room-start")
    def action_start(self) -> None:
        room = self.room()
        if isinstance(room, str):
            self.notify(room, severity="warning", timeout=6)
            return
        self.app.store.set_pref("room", json.dumps({"reps": room.reps, "mode": room.mode,
                                                    "buyer": room.buyer_player or "", "observer": room.observer}))
        self.dismiss(room)

    @on(Button.Pressed, "#room-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}"


class TeamBoardScreen(Guarded, Screen):
    """Side by side: each rep's score per criterion, the objective, the one behaviour to practise,
    their own words as evidence, and who leads on what."""

    BINDINGS = [
        Binding("m", "export('md')", "Export Markdown"),
        Binding("j", "export('json')", "Export JSON"),
        Binding("escape", "home", "Home"),
    ]

    def __init__(self, team_id: str):
        super().__init__()
        self.team_id = team_id

    def compose(self) -> ComposeResult:
        from ...practice import next_in_hot_seat, team_board

        store = self.app.store
        self.team = store.team(self.team_id)
        self.board = team_board(store, self.app.lib, self.team_id)
        self.waiting = next_in_hot_seat(store, self.team_id) if self.team.mode == "hot-seat" else None
        yield Header()
        with VerticalScroll(id="board"):
            yield Static(self.headline(), id="board-leads")
            yield DataTable(id="board-table", cursor_type="none", show_cursor=False, zebra_stripes=True)
            yield Static(self.evidence(), id="board-evidence")
            with Horizontal(classes="buttons"):
                if self.waiting:
                    yield Button(f"Next in the hot seat: {self.waiting}", variant="primary", id="board-next")
                yield Button("Export Markdown", id="board-md")
                yield Button("Export JSON", id="board-json")
                yield Button("Home", id="board-home")
        yield Footer()

    def on_mount(self) -> None:
        board = self.board
        self.title = "Team scoreboard"
        self.sub_title = f"{board.scenario} · {board.difficulty} · {MODE_WORDS.get(board.mode, board.mode)}"
        table = self.query_one("#board-table", DataTable)
        table.add_column("Criterion")
        for r in board.reps:
            table.add_column(r.rep)
        for cid, name in board.criteria:
            table.add_row(name, *[pct(r.criteria.get(cid)) for r in board.reps])
        table.add_row(Text("Score", style="bold"), *[
            Text("ungraded" if r.score is None else f"{r.score:.0f}" + ("~" if r.passed is None else ""),
                 style="bold") for r in board.reps])
        table.add_row("Objective reached", *["yes" if r.objective else "no" for r in board.reps])
        if board.mode == "tag-team":
            table.add_row("Share of the turns", *[f"{r.share:.0%} ({r.turns})" for r in board.reps])
        self.query_one("#board-table", DataTable).focus()

    def headline(self) -> Text:
        board = self.board
        out = Text()
        if not board.reps:
            out.append("Nobody has finished the call yet.", style="yellow")
            return out
        if board.leads:
            out.append("Who leads: ", style="bold")
            out.append("; ".join(board.leads) + ".", style="bold cyan")
        else:
            out.append("Nobody leads by 10 points or more on any criterion: close scores.", style="dim")
        for r in board.reps:
            out.append(f"\n{r.rep} practises next: ", style="bold")
            out.append(r.practise_name or "nothing stood out")
        if self.waiting:
            out.append(f"\n{self.waiting} has not taken the hot seat yet.", style="yellow")
        return out

    def evidence(self) -> Text:
        """Per criterion, each rep's own words that passed it."""
        out = Text()
        out.append("In their own words\n", style="bold")
        any_words = False
        for cid, name in self.board.criteria:
            quotes = [(r.rep, r.evidence.get(cid) or []) for r in self.board.reps]
            if not any(q for _, q in quotes):
                continue
            any_words = True
            out.append(f"{name}\n", style="bold")
            for rep, q in quotes:
                out.append(f"  {rep}: ", style="bold")
                out.append(f"“{q[0]}”\n" if q else "-\n", style="italic" if q else "dim")
        if not any_words:
            out.append("No criterion was passed with words to quote.\n", style="dim")
        out.append("~ a score resting on too little of the rubric to call a pass or a fail.", style="dim")
        return out

    def action_export(self, fmt: str) -> None:
        from ...errors import RoleplayError

        text = self.board.markdown() if fmt == "md" else json.dumps(self.board.to_json(), indent=2) + "\n"
        path = self.app.local_folder() / "exports" / f"team-{self.team_id}-{self.team.scenario_id}.{fmt}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise RoleplayError(f"cannot write the scoreboard to {path}: {exc.strerror or exc}") from None
        self.notify(f"Saved {path}", timeout=8)

    @on(Button.Pressed, "#board-md")
    def _md(self) -> None:
        self.action_export("md")

    @on(Button.Pressed, "#board-json")
    def _json(self) -> None:
        self.action_export("json")

    @on(Button.Pressed, "#board-next")
    def _next(self) -> None:
        self.app.pop_screen()
        self.app.next_in_hot_seat(self.team_id)

    @on(Button.Pressed, "#board-home")
    def action_home(self) -> None:
        self.app.pop_screen()
