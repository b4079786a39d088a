"""Progress: whether the behaviour actually changed, session after session."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Sparkline, Static

BARS = " ▁▂▃▄▅▆▇█"


def week_of(stamp: str) -> date:
    day = datetime.fromisoformat(stamp).date()
    return day - timedelta(days=day.weekday())


class ProgressScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, rep):  # noqa: ANN001 - store.Rep
        super().__init__()
        self.rep = rep

    def compose(self) -> ComposeResult:
        rows = list(reversed(self.app.store.sessions(self.rep.name, status="finished")))
        yield Header()
        with VerticalScroll(id="progress"):
            if not rows:
                yield Static("No finished sessions yet. Practise one and your trends appear here.")
            else:
                yield Label("Score per criterion, oldest to newest", classes="section-title")
                series: dict[str, tuple[str, list[float]]] = {}
                for r in rows:
                    for c in (r.scorecard or {}).get("criteria", []):
                        if c["score"] is not None:
                            series.setdefault(c["id"], (c["name"], []))[1].append(c["score"] * 100)
                for cid, (name, values) in sorted(series.items(), key=lambda kv: kv[1][0]):
                    with Horizontal(classes="trend"):
                        yield Label(name[:26], classes="trend-name")
                        yield Sparkline(values, summary_function=max, classes="trend-line")
                        yield Label(self.change(values), classes="trend-value")
                yield Label("Sessions per week", classes="section-title")
                yield Static(self.weeks(rows), id="weeks")
                yield Label("Scenarios", classes="section-title")
                yield Static(self.scenarios(rows), id="passed")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Progress"
        self.sub_title = self.rep.name

    @staticmethod
    def change(values: list[float]) -> str:
        if len(values) < 2:
            return f"{values[-1]:.0f}"
        delta = values[-1] - values[0]
        return f"{values[-1]:.0f} ({'+' if delta >= 0 else ''}{delta:.0f})"

    @staticmethod
    def weeks(rows) -> Text:  # noqa: ANN001
        counts = Counter(week_of(r.started) for r in rows)
        last = max(counts)
        out = Text()
        for i in range(7, -1, -1):
            week = last - timedelta(weeks=i)
            n = counts.get(week, 0)
            out.append(f"{week:%d %b}  ", style="dim")
            out.append("█" * n, style="cyan")
            out.append(f" {n}\n")
        return out

    @staticmethod
    def scenarios(rows) -> Text:  # noqa: ANN001
        best: dict[str, tuple[str, float | None, bool]] = {}
        for r in rows:
            prev = best.get(r.scenario_id)
            passed = bool(r.passed) or (prev is not None and prev[2])
            score = max([s for s in (r.score, prev[1] if prev else None) if s is not None], default=None)
            best[r.scenario_id] = (r.scenario_title, score, passed)
        out = Text()
        for sid, (title, score, passed) in sorted(best.items()):
            out.append("✓ " if passed else "· ", style="green" if passed else "dim")
            out.append(f"{title[:50]}  best {('-' if score is None else f'{score:.0f}')}\n")
        return out
