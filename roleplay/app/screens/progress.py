"""Progress: whether the behaviour actually changed, session after session."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static

from ..guard import Guarded

BARS = "▁▂▃▄▅▆▇█"  # 0 is the lowest mark, not a blank: every session leaves one


def week_of(stamp: str) -> date:
    day = datetime.fromisoformat(stamp).astimezone().date()
    return day - timedelta(days=day.weekday())


class ProgressScreen(Guarded, Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("t", "team", "The team at a glance")]

    def action_team(self) -> None:
        self.app.push_screen(TeamGlanceScreen())

    def __init__(self, rep):  # noqa: ANN001 - store.Rep
        super().__init__()
        self.rep = rep

    def compose(self) -> ComposeResult:
        # Only the columns shown, every finished session (no limit): the criterion scores are
        # taken out of the scorecards by SQLite, the rest is a start time or a per-scenario best.
        store, rep = self.app.store, self.rep.name
        starts = store.session_starts(rep)
        yield Header()
        with VerticalScroll(id="progress"):
            if not starts:
                yield Static("No finished sessions yet. Practise one and your trends appear here.")
            else:
                yield Label("Score per criterion, oldest to newest (each mark is one session, 0-100)",
                            classes="section-title")
                series: dict[tuple[str, str], tuple[str, list[float]]] = {}
                for rubric_id, criterion, title, score in store.criterion_scores(rep):
                    key = (rubric_id, criterion)  # the same id in two rubrics is two skills
                    series.setdefault(key, (title, []))[1].append(score * 100)
                for rubric_id in sorted({k[0] for k in series}):
                    yield Static(self.rubric_title(rubric_id), classes="trend-rubric")
                    for key, (name, values) in sorted(
                            ((k, v) for k, v in series.items() if k[0] == rubric_id), key=lambda kv: kv[1][0]):
                        yield Static(self.trend(name, values), classes="trend")
                yield Label("Sessions per week", classes="section-title")
                yield Static(self.weeks(starts), id="weeks")
                yield Label("Scenarios: objective reached at least once?", classes="section-title")
                yield Static(self.scenarios(store.scenario_bests(rep)), id="passed")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Progress"
        self.sub_title = self.rep.name

    def rubric_title(self, rubric_id: str) -> Text:
        entry = self.app.lib.rubrics.get(rubric_id)
        return Text(entry.model.title if entry else rubric_id, style="bold")

    @staticmethod
    def trend(name: str, values: list[float]) -> Text:
        """One row: the name, a bar per session on a fixed 0-100 scale, the latest score and change."""
        bars = "".join(BARS[min(7, round(v / 100 * 7))] for v in values[-24:])
        out = Text(f"{name[:34]:<36}", style="")
        out.append(f"{bars:<25}", style="cyan")
        out.append(ProgressScreen.change(values))
        return out

    @staticmethod
    def change(values: list[float]) -> str:
        if len(values) < 2:
            return f"{values[-1]:.0f}"
        delta = values[-1] - values[0]
        return f"{values[-1]:.0f} ({'+' if delta >= 0 else ''}{delta:.0f})"

    @staticmethod
    def weeks(starts: list[str]) -> Text:
        counts = Counter(week_of(started) for started in starts)  # local weeks
        last, first = max(counts), min(counts)
        span = min(7, (last - first).days // 7)
        out = Text()
        for i in range(span, -1, -1):
            week = last - timedelta(weeks=i)
            n = counts.get(week, 0)
            out.append(f"{week:%d %b}  ", style="dim")
            out.append("█" * n, style="cyan")
            out.append(f" {n}\n")
        return out

    @staticmethod
    def scenarios(bests: list[tuple[str, str, float | None, bool]]) -> Text:
        """One line per scenario: (id, title, best score, objective reached), as Store.scenario_bests."""
        out = Text()
        for sid, title, score, passed in sorted(bests):
            out.append("reached " if passed else "not yet ", style="green" if passed else "dim")
            name = sid.replace("-", " ").capitalize()
            out.append(f"{name:<28} best score {('-' if score is None else f'{score:.0f}')}\n")
        return out


class TeamGlanceScreen(Guarded, Screen):
    """For a manager before the 1:1s: every rep who practised in the last four weeks, side by side
    (the same figures as `roleplay report --team`, which has the detail)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("a", "period", "All time / 4 weeks")]
    DAYS = 28

    def __init__(self) -> None:
        super().__init__()
        self.all_time = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="team-glance"):
            yield Static(id="glance-title", classes="section-title")
            yield DataTable(id="glance", cursor_type="row", zebra_stripes=True)
            yield Static(id="glance-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "The team at a glance"
        table = self.query_one("#glance", DataTable)
        table.add_columns("Rep", "Sessions", "Objectives", "Score", "Working on", "Moved")
        self.fill()

    def action_period(self) -> None:
        self.all_time = not self.all_time
        self.fill()

    def fill(self) -> None:
        from ... import report

        since = None if self.all_time else date.today() - timedelta(days=self.DAYS - 1)
        built = report.build_report(self.app.store, self.app.lib, team=True, since=since)
        period = "all time" if self.all_time else f"the last {self.DAYS} days"
        self.query_one("#glance-title", Static).update(
            f"{len(built.reps)} rep{'s' if len(built.reps) != 1 else ''} practised in {period} "
            f"({built.sessions} finished session{'s' if built.sessions != 1 else ''}); a: "
            + ("the last 4 weeks" if self.all_time else "all time"))
        table = self.query_one("#glance", DataTable)
        table.clear()
        for r in built.reps:
            w = r.working_on
            table.add_row(r.rep, str(r.sessions), r.objective_words(), report._score_cell(r),
                          w.name if w else "-", w.moved() if w else "-", key=r.rep)
        notes = []
        narrowed = self.app.store.narrowed()
        if narrowed:
            notes.append(narrowed[0].upper() + narrowed[1:] + ".")
        if not built.reps:
            notes.append("Nobody has finished a session in this period.")
        if built.idle:
            notes.append(f"No finished session in this period: {', '.join(built.idle)}.")
        if any(r.thin for r in built.reps):
            notes.append(f"{report.THIN_MARK} a score resting on too little of the rubric to call a pass "
                         "or a fail (offline: add a model judge).")
        notes.append("The detail, as a file for the 1:1: roleplay report --team --format html --out team.html")
        self.query_one("#glance-notes", Static).update("\n".join(notes))
