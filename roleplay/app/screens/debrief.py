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

QUESTIONS = ("What went well?", "What didn't go well?", "What would you do differently next time?")
_WORD = re.compile(r"[a-z0-9']{4,}")
_COMMON = {"what", "your", "have", "with", "that", "this", "they", "them", "their", "about", "does",
           "would", "could", "when", "which", "there", "were", "will", "from", "into", "much", "many",
           "how", "ask", "asks"}


def planned_items(plan: dict | None) -> list[str]:
    if not plan:
        return []
    lines = (plan.get("questions") or "").splitlines() + (plan.get("information") or "").splitlines()
    return [ln.strip(" -•*\t") for ln in lines if ln.strip(" -•*\t")]


def covered(item: str, said: str) -> bool:
    """Whether the rep's turns touched a planned question: most of its key words came up."""
    words = {w for w in _WORD.findall(item.lower()) if w not in _COMMON}
    if not words:
        return False
    hits = sum(1 for w in words if w[:5] in said)
    return hits >= max(1, (len(words) + 1) // 2)


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
            self.query_one("#practise-next", Button).focus()

    def previous(self):  # noqa: ANN201 - store.SessionRow | None
        rows = self.app.store.sessions(self.row.rep, status="finished", scenario_id=self.row.scenario_id)
        earlier = [r for r in rows if r.id != self.row.id and r.started <= self.row.started]
        return earlier[0] if earlier else None

    def headline(self, row, card: dict) -> Text:  # noqa: ANN001
        words = {"won": "Objective reached", "walked-away": "The buyer walked away",
                 "ended-by-rep": "You ended the call"}.get(row.outcome, row.outcome)
        out = Text()
        out.append(f"{words}. ", style="bold")
        if row.score is None:
            out.append("No criterion could be graded.", style="yellow")
        else:
            out.append(f"Score {row.score:.0f}/100 ", style="bold")
            if row.passed:
                out.append(f"PASS (needs {card.get('passing_score', 0):g})", style="bold green")
            else:
                out.append(f"NOT YET (needs {card.get('passing_score', 0):g})", style="bold red")
        before = self.previous()
        if before is not None and before.score is not None and row.score is not None:
            change = row.score - before.score
            out.append(f"\n{'+' if change >= 0 else ''}{change:.0f} against your last attempt "
                       f"({before.score:.0f}, {before.started[:10]}).", style="green" if change >= 0 else "red")
        if card.get("strengths"):
            names = {c["id"]: c["name"] for c in card["criteria"]}
            out.append("\nStrengths: " + ", ".join(names.get(s, s) for s in card["strengths"]))
        ungraded = [c["name"] for c in card.get("criteria", []) if c["score"] is None]
        if ungraded:
            out.append(f"\nNot graded (needs a model judge): {', '.join(ungraded)}", style="dim")
        return out

    def plan_check(self, row, turns) -> Text | None:  # noqa: ANN001
        items = planned_items(row.plan)
        if not items:
            return None
        said = " ".join(t.text.lower() for t in turns if t.speaker == "rep")
        out = Text("Your plan\n", style="bold")
        for item in items[:8]:
            if covered(item, said):
                out.append("✓ ", style="green")
                out.append(f"You planned to ask: {item}. You did.\n")
            else:
                out.append("✗ ", style="red")
                out.append(f"You planned to ask: {item}. You did not.\n")
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
