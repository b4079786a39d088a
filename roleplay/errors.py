"""Everything roleplay tells a user went wrong, as one family of exceptions.

Dependency-free on purpose: any module may raise these, and each front end catches
`RoleplayError` once (the command line in `cli.main`, the app in `app.App`), printing
`str(error)`: a sentence that says what happened, where, and what to do. Anything
else that escapes is a bug, and is reported as one, never as a traceback to the rep.
"""

from __future__ import annotations


class RoleplayError(Exception):
    """A problem the user can act on. `str()` is the whole sentence shown to them."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class LibraryError(RoleplayError):
    """A scenario, rubric, persona or transcript file that can't be used (located when possible)."""


class NotFound(RoleplayError):
    """Something named on the command line or in the app does not exist (a scenario, a session, a file)."""


class StoreError(RoleplayError):
    """The practice history can't be read or written: a read-only folder, a full disk, a corrupt or newer database."""


class ProviderFault(RoleplayError):
    """The model could not be reached or did not answer in time; the session goes on."""
