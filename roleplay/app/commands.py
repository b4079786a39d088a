"""The command palette (ctrl+p): start a scenario, switch rep, progress, model, theme."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class RoleplayCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app = self.app
        out: list[tuple[str, str, object]] = [
            ("Switch rep", "Change who is practising", app.action_switch_rep),
            ("Open progress", "Trends per criterion across your sessions", app.action_progress),
            ("Change model", "Pick a model, or practise offline", app.action_change_model),
            ("Plan before each call (on/off)", "Turn the pre-call plan on or off", app.action_toggle_planning),
            ("Toggle theme", "Dark or light", app.action_toggle_theme),
            ("Quit", "Your sessions are saved", app.action_quit),
            ("Help", "Keys and how practice works", app.action_help),
        ]
        for entry in sorted(app.lib.usable_scenarios(), key=lambda e: e.model.id):
            s = entry.model
            name = s.id.replace("-", " ").capitalize()
            for level in ("easy", "medium", "hard"):
                out.append((f"Practise: {name} ({level})", s.title,
                            partial(app.start_practice, s.id, level)))
        return out

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands()[:5]:
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
