"""Debrief: the scorecard, the ONE thing to practise next, the plan checked, the rep's reflections."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Label, Static, TextArea

from ...engine.grading import effective
from .home import local_time

QUESTIONS = ("What went well?", "What didn't go well?", "What did you learn?",
             "What will you do differently next time?")
_WORD = re.compile(r"[a-z0-9']{4,}")
_COMMON = {"what", "your", "have", "with", "that", "this", "they", "them", "their", "about", "does",
           "would", "could", "when", "which", "there", "were", "will", "from", "into", "much", "many",
           "how", "ask", "asks"}


def planned_items(plan: dict | None) -> list[tuple[str, str]]:
    """(kind, text) for each planned question and piece of information to find out."""
    if not plan:
        return []
    out = []
    for kind in ("questions", "information"):
        for line in (plan.get(kind) or "").splitlines():
            text = line.strip(" -•*\t").rstrip(" ?.")
            if text:
                out.append((kind, text))
    return out


def covered(item: str, asked: list[str]) -> bool:
    """Whether one of the rep's questions covered a planned item: at least two thirds of its key
    words (by their first five letters) in the same question."""
    words = {w[:5] for w in _WORD.findall(item.lower()) if w not in _COMMON}
    if not words:
        return False
    need = max(1, -(-2 * len(words) // 3))
    return any(sum(1 for w in words if w in q) >= need for q in asked)


class DebriefScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save answers", priority=True),
        Binding("n", "practise_next", "Practise next"),
        Binding("escape", "home", "Home"),
    ]

    def __init__(self, session_id: str):
        super().__init__()
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        store = self.app.store
        row = store.session(self.session_id)
        self.row = row
        card = row.scorecard or {}
        turns = store.turns(row.id)
        yield Header()
        with VerticalScroll(id="debrief"):
            yield Static(self.headline(row, card), id="headline")
            table = DataTable(id="scorecard", cursor_type="none", show_cursor=False)
            yield table
            if card.get("practise_next"):
                name = next((c["name"] for c in card["criteria"] if c["id"] == card["practise_next"]),
                            card["practise_next"])
                yield Static(Text.assemble(("Practise next: ", "bold"), (name, "bold cyan"), "\n",
                                           card.get("practise_tip", "")), id="next")
                target = card.get("practise_scenario") or row.scenario_id
                title = self.app.lib.scenarios[target].model.title if target in self.app.lib.scenarios else target
                yield Button(f"Practise it now: {title}", variant="primary", id="practise-next")
            plan_text = self.plan_check(row, turns)
            if plan_text:
                yield Static(plan_text, id="plan-check")
            yield Label("Your debrief", classes="section-title")
            answers = row.debrief or {}
            for i, q in enumerate(QUESTIONS):
                yield Label(q)
                yield TextArea(answers.get(q, ""), id=f"answer-{i}", classes="answer", soft_wrap=True)
            with Horizontal(classes="buttons"):
                yield Button("Save answers", id="save")
                yield Button("Export Markdown", id="export-md")
                yield Button("Export JSON", id="export-json")
                yield Button("Home", id="home")
            yield Label("The call, turn by turn", classes="section-title")
            yield Static(self.transcript(turns), id="call-transcript")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#debrief", VerticalScroll).scroll_home(animate=False)
        row, card = self.row, self.row.scorecard or {}
        self.title = row.scenario_title
        self.sub_title = f"Debrief · {row.rep}"
        table = self.query_one("#scorecard", DataTable)
        table.add_columns("Criterion", "Weight", "Score", "Last time")
        before = self.previous()
        old = {c["id"]: c["score"] for c in (before.scorecard or {}).get("criteria", [])} if before else {}
        for c in card.get("criteria", []):
            table.add_row(c["name"], f"{c['weight']:g}", pct(c["score"]), pct(old.get(c["id"])) if before else "-")
        if card.get("practise_next"):
            self.query_one("#practise-next", Button).focus(scroll_visible=False)

    def previous(self):  # noqa: ANN201 - store.SessionRow | None
        rows = self.app.store.sessions(self.row.rep, status="finished", scenario_id=self.row.scenario_id)
        earlier = [r for r in rows if r.id != self.row.id and r.started <= self.row.started]
        return earlier[0] if earlier else None

    def headline(self, row, card: dict) -> Text:  # noqa: ANN001
        words, style = {"won": ("Objective reached", "bold green"),
                        "walked-away": ("Objective not reached: the buyer ended it", "bold red"),
                        "ended-by-rep": ("Objective not reached: you ended the call", "bold yellow"),
                        }.get(row.outcome, (row.outcome, "bold"))
        out = Text()
        out.append(f"{words}.\n", style=style)
        if row.score is None:
            out.append("No criterion could be graded.", style="yellow")
        else:
            # The rubric score is about behaviour; it is shown beside the outcome, never instead of it.
            out.append(f"Behaviour score {row.score:.0f}/100: ", style="bold")
            if row.passed:
                out.append(f"passed the rubric (needs {card.get('passing_score', 0):g})", style="green")
            else:
                out.append(f"below the rubric's {card.get('passing_score', 0):g}", style="red")
            graded = sum(1 for t in self.app.store.turns(row.id) if t.speaker == "rep")
            if graded < 3:
                out.append(f" · only {graded} turn{'s' if graded != 1 else ''} to judge by", style="dim")
            criteria = card.get("criteria", [])
            scored = sum(1 for c in criteria if c["score"] is not None)
            if scored < len(criteria):
                out.append(f"\nBased on {scored} of {len(criteria)} criteria; the others need a model judge.",
                           style="yellow")
        before = self.previous()
        if before is not None and before.score is not None and row.score is not None:
            change = row.score - before.score
            out.append(f"\n{'+' if change >= 0 else ''}{change:.0f} against your last attempt "
                       f"({before.score:.0f}, {local_time(before.started)[:10]}).",
                       style="green" if change >= 0 else "red")
        if card.get("strengths"):
            names = {c["id"]: c["name"] for c in card["criteria"]}
            out.append("\nStrengths: " + "; ".join(names.get(s, s) for s in card["strengths"]))
        ungraded = [c["name"] for c in card.get("criteria", []) if c["score"] is None]
        if ungraded:
            out.append(f"\nNot graded: {'; '.join(ungraded)}", style="dim")
        return out

    def plan_check(self, row, turns) -> Text | None:  # noqa: ANN001
        items = planned_items(row.plan)
        if not items:
            return None
        from ...engine.signals import SignalContext, question

        asked = [q.lower() for t in turns if t.speaker == "rep"
                 for q in question(t.text, SignalContext()).evidence]
        out = Text()
        out.append("Your plan, against what you asked\n", style="bold")
        for kind, item in items[:8]:
            did = covered(item, asked)
            out.append("✓ " if did else "✗ ", style="green" if did else "red")
            what = "You planned to ask" if kind == "questions" else "You planned to find out"
            out.append(f"{what}: “{item}”. {'You did.' if did else 'You did not ask about it.'}\n")
        return out

    def transcript(self, turns) -> Text:  # noqa: ANN001
        names = {c.id: c.name for c in self.app.lib.rubrics[self.row.rubric_id].model.criteria} \
            if self.row.rubric_id in self.app.lib.rubrics else {}
        out = Text()
        buyer = self.row.scenario_title
        for t in turns:
            who = "You" if t.speaker == "rep" else "Buyer"
            out.append(f"{who}: ", style="bold")
            out.append((t.text or f"({t.note})") + "\n", style="" if t.text else "italic dim")
            for g in effective(t.grades).values():
                if g.verdict in ("n/a",):
                    continue
                mark, style = {"pass": ("✓", "green"), "fail": ("✗", "red"),
                               "ungraded": ("?", "yellow")}[g.verdict]
                out.append(f"   {mark} {names.get(g.criterion, g.criterion)}", style=style)
                if g.evidence:
                    out.append(f"  “{g.evidence[0][:60]}”", style="italic")
                out.append("\n")
        del buyer
        return out

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        answers = {q: self.query_one(f"#answer-{i}", TextArea).text.strip() for i, q in enumerate(QUESTIONS)}
        if not any(answers.values()):
            self.notify("Write an answer first: what went well, what didn't, what you learned.", timeout=4)
            return
        self.app.store.set_debrief(self.session_id, answers)
        self.notify("Your debrief is saved with the session.", timeout=3)

    @on(Button.Pressed, "#export-md")
    def _md(self) -> None:
        path = self.app.export_session(self.session_id, "md")
        self.notify(f"Saved {path}", timeout=8)

    @on(Button.Pressed, "#export-json")
    def _json(self) -> None:
        path = self.app.export_session(self.session_id, "json")
        self.notify(f"Saved {path}", timeout=8)

    @on(Button.Pressed, "#practise-next")
    def action_practise_next(self) -> None:
        card = self.row.scorecard or {}
        target = card.get("practise_scenario") or self.row.scenario_id
        self.action_save()
        self.app.pop_screen()
        self.app.start_practice(target, self.row.difficulty)

    @on(Button.Pressed, "#home")
    def action_home(self) -> None:
        answers = [self.query_one(f"#answer-{i}", TextArea).text.strip() for i in range(len(QUESTIONS))]
        if any(answers):
            self.action_save()
        self.app.pop_screen()


def pct(score: float | None) -> str:
    return "ungraded" if score is None else f"{score * 100:.0f}"
