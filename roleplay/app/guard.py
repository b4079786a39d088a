"""Where the app catches `RoleplayError`: once, at the place Textual runs every handler.

Textual stops a screen's message loop (and so the screen) after a handler raises. A problem
the rep can act on (a full disk, a history that can't be written, a file that can't be read)
must not do that: `Guarded` runs each message of a screen, or of the app itself (key bindings
and actions run there), and hands a `RoleplayError` to `RoleplayApp.show_problem`, which says
the sentence and leaves everything else as it was (the session, the words in the input box).
Workers are covered by `RoleplayApp._handle_exception`. Anything else is a bug and goes on to
Textual as before.
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from ..errors import RoleplayError


class Guarded:
    """Mixed into every screen and the app, before the Textual base class."""

    async def _dispatch_message(self, message: Message) -> None:
        if isinstance(message, events.Mount) and getattr(self, "_roleplay_unbuilt", False):
            return  # its compose failed: on_mount would only trip over the missing widgets
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except RoleplayError as problem:
            self.app.show_problem(problem)  # type: ignore[attr-defined]
            if isinstance(message, (events.Compose, events.Mount)):
                # A screen that could not be built is left at once, not shown half-drawn.
                self._roleplay_unbuilt = True
                self.app.call_later(self._leave_unbuilt)

    async def _compose(self) -> None:
        # Textual hands an error in compose() straight to App._handle_exception (which says a
        # RoleplayError): a problem said meanwhile means this screen was not built.
        said = self.app.problems_said  # type: ignore[attr-defined]
        await super()._compose()  # type: ignore[misc]
        if self.app.problems_said != said:  # type: ignore[attr-defined]
            self._roleplay_unbuilt = True
            self.app.call_later(self._leave_unbuilt)

    async def _leave_unbuilt(self) -> None:
        from textual.screen import Screen

        if isinstance(self, Screen) and self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
