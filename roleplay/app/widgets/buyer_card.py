"""The persona card, for a colleague playing the buyer: who they are, what they hide and what
earns it, their objections and what answers them, what they must never do, and the engine's
cue for the next line (a suggestion: the colleague says it in their own words)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def cue_text(cue, name: str) -> Text:  # noqa: ANN001 - engine BuyerCue | None
    out = Text()
    if cue is None:
        out.append("Your line comes after the rep's next turn.\n", style="dim")
        return out
    out.append("Now: ", style="bold")
    out.append(cue.do + "\n")
    flags = []
    if cue.move == "reveal":
        flags.append(("would reveal a fact", "bold green"))
    if cue.move == "walked-away" or (cue.ends_call and cue.move != "won"):
        flags.append(("would walk away", "bold red"))
    if cue.move == "won":
        flags.append(("would agree", "bold green"))
    for words, style in flags:
        out.append(f"[{words}] ", style=style)
    out.append(f"Trust {cue.trust} (agrees at {cue.trust_to_agree}) · patience {cue.patience}\n", style="dim")
    if cue.line:
        out.append("Say it your way, e.g.: ", style="bold")
        out.append(f"“{cue.line}”\n", style="italic")
    return out


def card_text(persona, cue, player: str, told: dict | None = None) -> Text:  # noqa: ANN001 - models.Persona
    """What the colleague plays from."""
    first = persona.name.split()[0]
    out = Text()
    out.append(f"{player} plays {persona.name}", style="bold")
    out.append(f", {persona.role} ({persona.company.name})\n", style="dim")
    out.append_text(cue_text(cue, first))
    out.append(f"\n{first}: ", style="bold")
    out.append(f"{persona.personality.strip()} {persona.speaking_style.strip()}\n")
    if persona.hidden_facts:
        out.append("\nHidden facts (never volunteered)\n", style="bold")
        for f in persona.hidden_facts:
            said = " (told)" if told and f.id in told else ""
            out.append(f"• {f.fact.strip()}{said}\n")
            out.append(f"  Earned by: {f.earned_by.strip()}\n", style="dim")
    if persona.objections:
        out.append("\nObjections\n", style="bold")
        for o in persona.objections:
            out.append(f"• “{o.line.strip()}”\n")
            out.append(f"  Answered by: {o.resolved_by.strip()}\n", style="dim")
    if persona.never:
        out.append(f"\n{first} must never\n", style="bold")
        for n in persona.never:
            out.append(f"• {n.strip()}\n")
    return out


class BuyerCard(Static):
    """The card; the practice screen hides it while the rep looks at the screen."""

    def show(self, session) -> None:  # noqa: ANN001 - engine Session
        self.update(card_text(session.setup.persona, session.cue(), session.buyer_player or "A colleague",
                              getattr(session.state, "told", None)))
