"""What the engine needs from storage, as a protocol the store implements.

The engine never imports the store (roleplay.store imports this module and the records,
never the other way round), so a session can be kept by any store that has these methods:
SQLite today, a shared database tomorrow, a dict in a test. Each write is committed before
it returns: the engine shows a turn only once it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .records import Grade, Mark, Turn

CALL = -1
"""The turn index grades on the whole call are kept under."""


@dataclass
class Rep:
    """A person who practises: their history is kept under their name."""

    id: int
    name: str


class SessionStore(Protocol):
    """The storage a session is kept in (roleplay.store.Store implements it)."""

    def rep(self, name: str) -> Rep: ...

    def start_session(self, *, rep: Rep, scenario_id: str, scenario_title: str, rubric_id: str,
                      difficulty: str, buyer: str, judge: str, seed: int, state: dict,
                      plan: dict | None = None, team_id: str | None = None, mode: str = "solo") -> str: ...

    def session(self, session_id: str) -> Any:
        """The saved session (None if there is none): rep, buyer, judge, seed, state, team_id,
        mode, prompt_tokens, completion_tokens, cost are read."""

    def team(self, team_id: str) -> Any:
        """The team session (None if there is none): its reps are read."""

    def turns(self, session_id: str) -> list[Turn]: ...

    def add_turn(self, session_id: str, turn: Turn, state: dict | None = None,
                 past: dict | None = None) -> None: ...

    def add_grades(self, session_id: str, turn_index: int, grades: list[Grade]) -> None: ...

    def drop_turns_from(self, session_id: str, index: int, state: dict) -> None: ...

    def past_states(self, session_id: str, limit: int) -> list[dict]: ...

    def put_past_states(self, session_id: str, states: list[tuple[int, dict]]) -> None: ...

    def save_state(self, session_id: str, state: dict) -> None: ...

    def set_players(self, session_id: str, buyer: str, judge: str) -> None: ...

    def add_usage(self, session_id: str, prompt_tokens: int | None, completion_tokens: int | None,
                  cost: float | None) -> None: ...

    def finish(self, session_id: str, *, outcome: str, score: float | None, passed: bool | None,
               scorecard: dict, status: str = "finished") -> None: ...

    def add_mark(self, session_id: str, turn_index: int, kind: str, *, note: str = "",
                 criterion: str | None = None, observer: str = "") -> Mark: ...

    def marks(self, session_id: str) -> list[Mark]: ...
