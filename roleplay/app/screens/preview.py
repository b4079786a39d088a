"""The preview of a scenario's buyer: a strong and a weak scripted rep, side by side.

For the manager who wrote the scenario: how the buyer takes a good call and a bad one, with
the buyer's state after each turn (trust against what it needs to agree, patience, the
objection open, the hidden facts told). Played offline through the engine by roleplay.preview,
with nothing saved to the history. `d` switches the difficulty.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..guard import Guarded
from ...words import moment

LEVELS = ("easy", "medium", "hard")
TONES = {"good": "green", "bad": "red", "dim": "dim", "warn": "yellow", "win": "bold green", "lost": "bold red"}




def turn_text(t) -> Text:  # noqa: ANN001 - preview.PreviewTurn
    """One turn of a preview call: the rep's line, the buyer's, how it landed and the state after it."""
    from ...engine.state import REACTIONS

    tone = TONES.get(REACTIONS.get(t.move, ("", "dim"))[1], "dim")
    out = Text.assemble((f"Turn {t.turn} ", "bold"), (t.reaction, tone), "\n")
    out.append("Rep: ", "bold")
    out.append(t.rep + "\n")
    if t.silent:
        out.append("No reply: ", "bold")
        out.append(t.buyer + "\n", "italic")
    else:
        out.append("Buyer: ", "bold")
        out.append(t.buyer + "\n")
    trust_style = "green" if t.trust >= t.trust_to_agree else ""
    out.append_text(Text.assemble(("trust ", "dim"), (f"{t.trust}/{t.trust_to_agree}", trust_style),
                                  ("  patience ", "dim"), str(t.patience)))
    if t.open_objection:
        out.append_text(Text.assemble(("  open: ", "dim"), (t.open_objection, "yellow")))
    out.append("\n")
    facts = Text.assemble(("facts ", "dim"))
    if not t.revealed:
        facts.append("none", "dim")
    for i, fact in enumerate(t.revealed):
        facts.append((", " if i else "") + fact, "bold green" if fact in t.new_facts else "")
    out.append_text(facts)
    out.append("\n")
    out.append_text(Text.assemble(("grades ", "dim"), t.grades))
    return out


def verdict_text(call) -> Text:  # noqa: ANN001 - preview.PreviewCall
    style = {"won": "bold green", "walked-away": "bold red"}.get(call.outcome, "yellow")
    return Text.assemble((f"{call.label.split()[0]}: ", "bold"), (call.verdict, style))


class PreviewScreen(Guarded, Screen):
    BINDINGS = [
        Binding("d", "next_difficulty", "Difficulty"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, scenario_id: str, difficulty: str = "medium"):
        super().__init__()
        self.scenario_id = scenario_id
        self.difficulty = difficulty if difficulty in LEVELS else "medium"
        self._previews: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="preview-head")
        with Horizontal(id="preview-verdicts"):
            yield Static(id="verdict-strong", classes="preview-col")
            yield Static(id="verdict-weak", classes="preview-col")
        yield VerticalScroll(id="preview-turns")
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = f"Preview: {moment(self.scenario_id)}"
        await self.show()

    async def preview(self, difficulty: str):  # noqa: ANN201 - roleplay.preview.Preview
        """The two calls on this difficulty, played once and kept while the screen is open."""
        if difficulty not in self._previews:
            from ...preview import preview_scenario_async

            found = await preview_scenario_async(self.app.lib, self.scenario_id, (difficulty,))
            self._previews[difficulty] = found[0]
        return self._previews[difficulty]

    async def show(self) -> None:
        p = await self.preview(self.difficulty)
        levels = Text(" ")
        for level in LEVELS:
            levels.append(f" {level} ", "reverse bold" if level == self.difficulty else "dim")
        head = Text.assemble((moment(p.scenario), "bold"), levels, ("  (d: switch)", "dim"), "\n")
        head.append(f"Trust starts at {p.starting_trust}, needs {p.trust_to_agree} to agree; "
                    f"patience {p.patience} turns.")
        opening = f"'{p.opening}'" if p.opening else "nothing"
        head.append_text(Text.assemble("\n", ("Buyer opens: ", "dim"), opening))
        self.query_one("#preview-head", Static).update(head)
        self.query_one("#verdict-strong", Static).update(verdict_text(p.strong))
        self.query_one("#verdict-weak", Static).update(verdict_text(p.weak))
        box = self.query_one("#preview-turns", VerticalScroll)
        await box.remove_children()
        rows = []
        for i in range(max(len(p.strong.turns), len(p.weak.turns))):
            cells = []
            for call in (p.strong, p.weak):
                if i < len(call.turns):
                    cells.append(Static(turn_text(call.turns[i]), classes="preview-col preview-turn"))
                elif i == len(call.turns):
                    cells.append(Static(Text(f"({call.verdict})", "dim"), classes="preview-col preview-turn"))
                else:
                    cells.append(Static("", classes="preview-col"))
            rows.append(Horizontal(*cells, classes="preview-row"))
        await box.mount_all(rows)
        box.scroll_home(animate=False)
        box.focus()

    async def action_next_difficulty(self) -> None:
        self.difficulty = LEVELS[(LEVELS.index(self.difficulty) + 1) % len(LEVELS)]
        await self.show()
