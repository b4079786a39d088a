"""Debrief: the scorecard, the ONE thing to practise next, the plan checked, the rep's reflections."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Label, Static, TextArea

from ..guard import Guarded

from ...engine.scorecard import OUTRANKS, Scorecard
from ...engine.text import clip
from ..widgets.transcript import Speakers, call_text
from .home import local_time
from ...words import outcome_headline

QUESTIONS = ("What went well?", "What didn't go well?", "What did you learn?",
             "What will you do differently next time?")


class DebriefScreen(Guarded, Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save answers", priority=True),
        Binding("f6", "team_next", "Next in the room", priority=True),
        Binding("n", "practise_next", "Practise next"),
        # priority: one press goes home from anywhere on the debrief, an answer box included
        Binding("escape", "home", "Home", priority=True),
    ]

    def __init__(self, session_id: str):
        super().__init__()
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        store = self.app.store
        row = store.session(self.session_id)
        self.row = row
        card = Scorecard.from_json(row.scorecard) if row.scorecard else None
        if card is not None and row.outcome == "walked-away" and card.passed:
            card.passed = False  # a session saved before this rule: still never a pass
        self.card = card
        turns = store.turns(row.id)
        self.marks = store.marks(row.id)
        self.team = store.team(row.team_id) if row.team_id else None
        yield Header()
        with VerticalScroll(id="debrief"):
            yield Static(self.headline(row, card), id="headline")
            if self.team is not None:
                words, label = self.team_next()
                yield Static(words, id="hot-seat-next")
                yield Button(label, variant="primary", id="team-next")
            table = DataTable(id="scorecard", cursor_type="none", show_cursor=False)
            yield table
            if card is not None and card.practise_next:
                yield Static(Text.assemble(("Practise next: ", "bold"), (card.practise_label, "bold cyan"), "\n",
                                           card.practise_tip,
                                           (f"\nWhy this one: {card.practise_why}" if card.practise_why else "",
                                            "dim")), id="next")
                target = card.practise_scenario or row.scenario_id
                title = self.app.lib.scenarios[target].model.title if target in self.app.lib.scenarios else target
                yield Button(f"Practise it now: {title}", variant="primary", id="practise-next")
            agreed = self.agreement(row, turns)
            if agreed is not None:
                yield Static(agreed, id="agreement")
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
        row, card = self.row, self.card
        self.title = row.scenario_title
        self.sub_title = f"Debrief · {row.rep}"
        table = self.query_one("#scorecard", DataTable)
        table.add_columns("Criterion", "Weight", "Score", "Where points went", "Last time")
        before = self.previous()
        old_card = Scorecard.from_json(before.scorecard) if before is not None and before.scorecard else None
        old = {c.id: c.score for c in old_card.criteria} if old_card else {}
        for c in (card.criteria if card else []):
            if c.score is None:
                score, where = ("n/a", "never applied") if not c.applied else ("ungraded", c.ungraded_why or "needs a model judge")
            else:
                score = pct(c.score)
                turns = [f"{x.rep_turn or x.turn}" for x in c.lost if x.turn is not None]
                where = ("turn " + ", ".join(turns[:4]) + ("…" if len(turns) > 4 else "") if turns else
                         "across the call" if c.lost else "-")
            table.add_row(c.name, f"{c.weight:g}", score, where, pct(old.get(c.id)) if before else "-")
        if self.team is not None:
            self.query_one("#team-next", Button).focus(scroll_visible=False)
        elif card is not None and card.practise_next:
            self.query_one("#practise-next", Button).focus(scroll_visible=False)

    def previous(self):  # noqa: ANN201 - store.SessionRow | None
        return self.app.store.previous(self.row)  # one row, however long the history

    def headline(self, row, card: Scorecard | None) -> Text:  # noqa: ANN001
        words = outcome_headline(row.outcome)
        style = {"won": "bold green", "walked-away": "bold red", "ended-by-rep": "bold yellow"}.get(row.outcome, "bold")
        out = Text()
        out.append(f"{words}.\n", style=style)
        if card is None or card.score is None:
            out.append("No criterion could be graded.", style="yellow")
        else:
            # The rubric score is about behaviour; it is shown beside the outcome, never instead of it,
            # and is called a pass only when enough of the rubric was graded.
            out.append(card.verdict_words(), style={True: "green", False: "red", None: "yellow"}[card.passed])
            graded = sum(1 for t in self.app.store.turns(row.id) if t.speaker == "rep")
            if graded < 3:
                out.append(f" · only {graded} turn{'s' if graded != 1 else ''} to judge by", style="dim")
            if card.note:
                out.append(f"\n{card.note}", style="yellow")
        for f in (card.flags if card else []):
            out.append(f"\n! Turn {f.shown}: {f.detail}", style="bold red" if f.kind in OUTRANKS else "bold yellow")
        before = self.previous()
        # A change is shown only between two scores that each rest on enough of the rubric.
        if before is not None and before.score is not None and row.score is not None \
                and before.passed is not None and row.passed is not None:
            change = row.score - before.score
            out.append(f"\n{'+' if change >= 0 else ''}{change:.0f} against your last attempt "
                       f"({before.score:.0f}, {local_time(before.started)[:10]}).",
                       style="green" if change >= 0 else "red")
        if card is not None and card.strengths:
            names = {c.id: c.name for c in card.criteria}
            out.append("\nStrengths: " + "; ".join(names.get(s, s) for s in card.strengths))
        return out

    def plan_check(self, row, turns) -> Text | None:  # noqa: ANN001
        from ...engine.plan import check

        entry = self.app.lib.scenarios.get(row.scenario_id)
        persona = self.app.lib.persona_of(entry.model) if entry else None
        saved = (row.state or {}).get("state") or {}
        items = check(row.plan, turns, persona, saved.get("revealed", []), saved.get("told", {}))
        if not items:
            return None
        out = Text()
        out.append("Your plan, against what happened\n", style="bold")
        for item in items[:8]:
            did = item.asked or item.found is not None
            out.append("✓ " if did else "✗ ", style="green" if did else "red")
            what = "You planned to ask" if item.kind == "questions" else "You planned to find out"
            if item.kind == "questions" and item.asked:
                result = "You did."
            elif item.found is not None:
                result = f"You found out: “{clip(item.found, 70)}”"
            elif item.asked:
                result = "You asked, but did not get the answer yet."
            else:
                result = "You did not ask about it."
            out.append(f"{what}: “{item.text}”. {result}\n")
        return out

    def transcript(self, turns) -> Text:  # noqa: ANN001
        names = {c.id: c.name for c in self.app.lib.rubrics[self.row.rubric_id].model.criteria} \
            if self.row.rubric_id in self.app.lib.rubrics else {}
        played_by = (self.row.buyer or "").startswith("colleague: ") or \
            (self.team is not None and self.team.buyer_player is not None)
        named = self.row.mode != "solo" or played_by or bool(self.marks) \
            or any(t.author and t.author != self.row.rep for t in turns if t.speaker == "rep")
        speakers = Speakers("Buyer", named=named, played_by="yes" if played_by else None)
        marks: dict[int, list] = {}
        for m in self.marks:
            marks.setdefault(m.turn, []).append(m)
        return call_text(turns, speakers, names, marks)

    def agreement(self, row, turns) -> Text | None:  # noqa: ANN001
        """The observer's marks beside the grader's verdicts, per criterion; where they differ is
        a coaching moment to talk through, not a mistake by either."""
        from ...practice import observer_agreement

        agreed = observer_agreement(row, turns, self.marks)
        notes = [m for m in self.marks if m.kind == "note"]
        if not agreed and not notes:
            return None
        out = Text()
        out.append("The observer beside the grader\n", style="bold")
        for a in agreed:
            out.append(f"• {a.words()}\n")
        moments = [d for a in agreed for d in a.disagreements]
        if moments:
            out.append("Coaching moments: talk these through together\n", style="bold cyan")
            for d in moments:
                who = f"{d.rep}'s " if d.rep else ""
                about = "" if d.criterion == "whole turn" else f" on {d.criterion}"
                out.append(f"• {who}turn {d.turn}{about}: the observer marked it {d.observer}, "
                           f"the grader said {d.grader}" + (f" ({d.note})" if d.note else "") + "\n")
        if notes:
            out.append(f"{len(notes)} note{'s' if len(notes) != 1 else ''} from the observer, beside "
                       "the turns below.\n", style="dim")
        return out

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "team_next":
            return getattr(self, "team", None) is not None
        return True

    def team_next(self) -> tuple[Text, str]:
        """What comes next for the people in the room, and the button's words."""
        from ...practice import next_in_hot_seat

        team = self.team
        if team.mode == "hot-seat":
            name = next_in_hot_seat(self.app.store, team.id)
            if name:
                return (Text.assemble(("Hot seat: ", "bold"), f"{name} takes the same call next: "
                                      "the buyer opens the same way. F6 starts it."),
                        f"Next in the hot seat: {name}")
            return (Text.assemble(("Hot seat: ", "bold"), "everyone has taken the call. F6 shows "
                                  "the team scoreboard, side by side."), "Team scoreboard")
        return (Text.assemble(("Tag team: ", "bold"), "F6 shows each rep's scores from the turns they "
                              "typed, side by side."), "Team scoreboard")

    @on(Button.Pressed, "#team-next")
    def action_team_next(self) -> None:
        if self.team is None:
            return
        self._keep_answers()
        self.app.pop_screen()
        if not (self.team.mode == "hot-seat" and self.app.next_in_hot_seat(self.team.id)):
            self.app.show_team_board(self.team.id)

    def _keep_answers(self) -> None:
        answers = [self.query_one(f"#answer-{i}", TextArea).text.strip() for i in range(len(QUESTIONS))]
        if any(answers):
            self.action_save()

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
        card = self.card
        target = (card.practise_scenario if card else None) or self.row.scenario_id
        self.action_save()
        self.app.pop_screen()
        self.app.start_practice(target, self.row.difficulty)

    @on(Button.Pressed, "#home")
    def action_home(self) -> None:
        self._keep_answers()
        self.app.pop_screen()


def pct(score: float | None) -> str:
    return "ungraded" if score is None else f"{score * 100:.0f}"
