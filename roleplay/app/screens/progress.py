"""Progress: whether the behaviour actually changed, session after session."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from ..guard import Guarded

BARS = "▁▂▃▄▅▆▇█"  # 0 is the lowest mark, not a blank: every session leaves one


def week_of(stamp: str) -> date:
    day = datetime.fromisoformat(stamp).astimezone().date()
    return day - timedelta(days=day.weekday())


class ProgressScreen(Guarded, Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

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
