"""Home: who is practising, the scenarios, recent sessions, what to practise next, the model."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from ..guard import Guarded

from ...store import local_time
from ...words import moment, outcome_short  # moment: other screens import it from here too


DIFFICULTIES = [("Easy", "easy"), ("Medium", "medium"), ("Hard", "hard")]




def search_key(table: DataTable, event: events.Key) -> bool:
    """Apply a key typed on a list of the home screen to the search box, if it belongs there.

    The list keeps the focus while the rep types: keys typed fast all reach the same widget,
    so they are applied in the order typed ("p", backspace, "ghost" gives "ghost"), which a
    focus change halfway through a burst can't promise. Up, down and Enter still work the list."""
    search = table.screen.query_one("#search", Input)
    char = event.character
    if event.is_printable and char and (char not in " /" or (char == " " and search.value)):
        search.insert_text_at_cursor(char)
    elif event.key == "backspace" and search.value:
        search.action_delete_left()
    elif event.key == "ctrl+u" and search.value:
        search.value = ""
    else:
        return False
    event.stop()
    event.prevent_default()
    return True


class ScenarioTable(DataTable):
    """The scenario list. Typing a word searches, so no letter can fire a shortcut by surprise."""

    BINDINGS = [Binding("enter", "select_cursor", "Practise")]

    async def _on_key(self, event: events.Key) -> None:
        if not search_key(self, event):
            await super()._on_key(event)

    def action_select_cursor(self) -> None:
        self.screen.catch_up()  # a search typed in the same burst as the Enter is applied first
        super().action_select_cursor()


class RecentTable(DataTable):
    """Recent sessions: Enter resumes a paused one or opens a debrief. Typing searches the
    scenarios instead (the list of scenarios takes the focus), so an Enter typed after a search
    word never opens a session by surprise."""

    BINDINGS = [Binding("enter", "select_cursor", "Resume / debrief")]

    async def _on_key(self, event: events.Key) -> None:
        if search_key(self, event):
            self.screen.query_one("#scenarios", DataTable).focus()
            return
        await super()._on_key(event)


class DrillLine(Static, can_focus=True):
    """The rep's drill plans with their progress; Enter (or a click) starts the next step."""

    BINDINGS = [Binding("enter", "start_next", "Next drill step")]
    plans: list = []  # noqa: RUF012 - drills.PlanProgress, replaced, never changed in place

    def show(self, plans: list) -> None:
        self.plans = plans
        self.display = bool(plans)
        text = Text()
        for i, plan in enumerate(plans[:2]):
            from ...drills import home_line

            text.append("\n" if i else "")
            text.append("Drill ", "bold")
            text.append(home_line(plan))
        if len(plans) > 2:
            text.append(f"\n… and {len(plans) - 2} more plan(s): roleplay drills")
        self.update(text)

    def action_start_next(self) -> None:
        step = next((p.next for p in self.plans if p.next is not None and p.next.scenario), None)
        if step is None:
            self.notify("Every step of your drill plan is done.", timeout=4)
            return
        self.app.start_practice(step.scenario, step.difficulty)

    def on_click(self) -> None:
        self.action_start_next()


class HomeScreen(Guarded, Screen):
    filled_for: tuple = ()
    painted = False
    skills_shown: list[str] = []  # noqa: RUF012 - replaced, never changed in place
    BINDINGS = [
        Binding("f2,ctrl+r", "app.switch_rep", "Switch rep"),
        Binding("f3,ctrl+g", "app.progress", "Progress"),
        Binding("f4,ctrl+o", "app.change_model", "Model"),
        Binding("f5", "app.team", "Team"),
        Binding("f7", "preview", "Watch", tooltip="Watch a strong and a weak rep play this buyer"),
        Binding("slash", "search", "Search", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="status")
            yield DrillLine(id="drills")
            with Horizontal(id="filters"):
                yield Input(placeholder="Type to search", id="search", select_on_focus=False, compact=True)
                yield Select([], prompt="Any skill", id="skill", compact=True)
                yield Select(DIFFICULTIES, value="medium", allow_blank=False, id="difficulty", compact=True)
            yield ScenarioTable(id="scenarios", cursor_type="row", zebra_stripes=True)
            yield Static(id="detail")
            yield Static("Recent sessions  [dim](~ a score resting on too little of the rubric to call)[/dim]", classes="section-title")
            yield RecentTable(id="recent", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#scenarios", DataTable)
        table.add_column("Scenario", width=26)
        table.add_column("The buyer says")
        recent = self.query_one("#recent", DataTable)
        recent.add_columns("When", "Scenario", "Level", "Score", "Outcome")
        self.refresh_data()
        table.focus()
        self.call_after_refresh(self._painted)
        if self.app.rep is None:
            self.call_after_refresh(self.app.action_switch_rep)
        else:
            self.call_after_refresh(self.offer_resume)

    def refresh_data(self) -> None:
        skills = sorted({k for row in self.app.catalog for k in row.skills})
        if skills != self.skills_shown:  # the first fill, or a library file changed the skills
            select = self.query_one("#skill", Select)
            chosen = select.value
            select.set_options([(k, k) for k in skills])
            self.skills_shown = skills
            if chosen in skills:
                select.value = chosen
        self.fill_scenarios()
        self.fill_status()
        self.fill_recent()
        self.fill_drills()

    def _painted(self) -> None:
        self.painted = True
        self.fill_status()
        self.fill_drills()

    def fill_drills(self) -> None:
        """The rep's drill plans with their progress. They come from the library, read just
        after the first paint: so they are shown from then on, and again whenever home comes back."""
        line = self.query_one("#drills", DrillLine)
        # The plans are in the library, read (by the app) just after the first paint: until then
        # the line stays empty rather than holding the paint back.
        if self.app.rep is None or not self.painted or not self.app.library_read:
            line.show([])
            self.query_one("#status", Static).remove_class("drill-below")
            return
        from ... import drills

        line.show(drills.all_progress(self.app.store, self.app.lib, self.app.rep.name))
        self.query_one("#status", Static).set_class(line.display, "drill-below")

    def fill_status(self) -> None:
        app = self.app
        rep = app.rep.name if app.rep else "nobody yet (press F2)"
        self.sub_title = rep
        if app.settings.online:
            lines = [f"[b]{rep}[/b] · buyer and judge: {app.settings.mode_label().removeprefix('model: ')}"]
        else:
            lines = [f"[b]{rep}[/b] · [b]offline practice[/b]: scripted buyer, instant grades "
                     "(F4: use a model)"]
        if app.rep is not None:
            # One row, found by SQLite: the newest finished session that names a behaviour.
            line = self.practise_next_line()
            if line:
                lines.append(line)
        self.query_one("#status", Static).update("\n".join(lines))

    def practise_next_line(self) -> str | None:
        """The behaviour to practise next, from the newest finished session that names one, read
        as a typed scorecard (engine.scorecard reads a saved card without pydantic, so this is
        part of the first paint)."""
        from ...engine.scorecard import Scorecard

        saved = self.app.store.practise_next(self.app.rep.name)  # one row, found by SQLite
        if saved is None:
            return None
        card = Scorecard.from_json(saved)
        where = f" (try {moment(card.practise_scenario)})" if card.practise_scenario else ""
        return f"[b]Practise next:[/b] {card.practise_label}{where}: {card.practise_tip}"

    def highlighted(self) -> tuple[str | None, str]:
        """The scenario under the cursor and the difficulty picked."""
        self.catch_up()
        table = self.query_one("#scenarios", DataTable)
        difficulty = str(self.query_one("#difficulty", Select).value)
        if table.row_count == 0:
            return None, difficulty
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value), difficulty

    def catch_up(self) -> None:
        """Fill the list now if the search changed since it was last filled (its Changed message
        may still be queued behind keys typed fast)."""
        if self.filled_for != (self.query_one("#search", Input).value, self.query_one("#skill", Select).value):
            self.fill_scenarios()

    def fill_scenarios(self) -> None:
        table = self.query_one("#scenarios", DataTable)
        words = self.query_one("#search", Input).value.lower().split()
        skill = self.query_one("#skill", Select).value
        self.filled_for = (self.query_one("#search", Input).value, skill)
        current = None
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        found = []
        for row in self.app.catalog:
            if isinstance(skill, str) and skill not in row.skills:
                continue
            if words and not all(w in row.name_words or w in row.other_words for w in words):
                continue
            # scenarios whose name or skills match come before those matched only in their text
            found.append((0 if all(w in row.name_words for w in words) else 1, row.id, row))
        for _, _, row in sorted(found, key=lambda f: f[:2]):
            table.add_row(moment(row.id), row.title.strip('"'), key=row.id)
        if table.row_count == 0:
            self.query_one("#detail", Static).update("No scenario matches. Try another word, or clear the search.")
        elif current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    def fill_recent(self) -> None:
        recent = self.query_one("#recent", DataTable)
        recent.clear()
        if self.app.rep is None:
            return
        for r in self.app.store.sessions(self.app.rep.name, limit=5, light=True):
            # "~" marks a score that rests on too little of the rubric to call it a pass or a fail.
            score = "-" if r.score is None else f"{r.score:.0f}" + ("~" if r.passed is None else "")
            if r.status == "active":
                outcome = "paused: Enter resumes"
            elif r.status == "abandoned":
                outcome = "ended unscored"
            else:
                outcome = outcome_short(r.outcome)
            recent.add_row(local_time(r.started)[5:], moment(r.scenario_id), r.difficulty, score,
                           outcome, key=r.id)

    @on(Input.Changed, "#search")
    @on(Select.Changed, "#skill")
    def _filter(self) -> None:
        self.fill_scenarios()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#scenarios", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(DataTable.RowHighlighted, "#scenarios")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        s = next((row for row in self.app.catalog if row.id == str(event.row_key.value)), None)
        if s is None:
            return
        summary = " ".join(s.summary.split())
        if len(summary) > 140:
            summary = summary[:139].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        skills = ", ".join(k.replace("-", " ") for k in s.skills[:2])
        self.query_one("#detail", Static).update(Text.assemble((moment(s.id), "bold"), f" · {skills}\n{summary}"))

    @on(DataTable.RowSelected, "#scenarios")
    def _picked(self, event: DataTable.RowSelected) -> None:
        self._start(str(event.row_key.value))

    @on(DataTable.RowSelected, "#recent")
    def _picked_recent(self, event: DataTable.RowSelected) -> None:
        from .debrief import DebriefScreen

        row = self.app.store.session(str(event.row_key.value))
        if row is None:
            return
        if row.status == "active":
            self.app.resume(row.id)
        elif row.status == "abandoned":
            self.notify("That session was ended without a score; there is no debrief for it.", timeout=4)
        else:
            self.app.push_screen(DebriefScreen(row.id))

    def action_practise(self) -> None:
        table = self.query_one("#scenarios", DataTable)
        if table.row_count == 0:
            self.notify("No scenario matches the search.", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._start(str(key))

    def action_preview(self) -> None:
        """A strong and a weak scripted call against the highlighted scenario's buyer."""
        from .preview import PreviewScreen

        scenario_id, difficulty = self.highlighted()
        if scenario_id is None:
            self.notify("No scenario matches the search.", severity="warning")
            return
        self.app.push_screen(PreviewScreen(scenario_id, difficulty))

    def _start(self, scenario_id: str) -> None:
        difficulty = self.query_one("#difficulty", Select).value
        self.app.start_practice(scenario_id, str(difficulty))

    def offer_resume(self) -> None:
        """A session left unfinished (closed terminal, crash) is offered back."""
        from .dialogs import ResumeScreen

        if self.app.rep is None or self.app.start_session is not None:
            return
        open_rows = self.app.store.sessions(self.app.rep.name, status="active", limit=1, light=True)
        if not open_rows:
            return
        row = open_rows[0]

        def answer(choice: str | None) -> None:
            if choice == "resume":
                self.app.resume(row.id)
            elif choice == "close":
                self.app.store.abandon(row.id)
                self.fill_recent()

        self.app.push_screen(ResumeScreen(row), answer)

    def on_screen_resume(self) -> None:
        self.refresh_data()
