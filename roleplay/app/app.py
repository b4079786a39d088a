"""The Textual app: a thin front end over the engine.

Nothing here decides a grade or the buyer's state; screens draw what the
engine's events say. Slow things (importing litellm, talking to a model) run
in workers, so the first screen paints at once and typing never waits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding

from .. import catalog
from ..errors import RoleplayError
from ..settings import Settings
from ..store import Rep, Store, open_store
from .commands import RoleplayCommands
from .guard import Guarded

if TYPE_CHECKING:
    from .. import library

BUG_EXIT = 70
"""The app's exit code after a bug (as the command line's)."""


class RoleplayApp(Guarded, App[int]):
    """roleplay: practise the hard moments of a sales conversation."""

    CSS_PATH = "roleplay.tcss"
    TITLE = "roleplay"
    COMMANDS = {RoleplayCommands}
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
    ]

    def __init__(self, settings: Settings, *, store: Store | None = None,
                 lib: library.Library | None = None, session=None,  # noqa: ANN001 - engine Session
                 exit_after_paint: bool = False):
        super().__init__()
        self.settings = settings
        self.store = store or open_store(settings)
        self._lib = lib
        self.catalog: list[catalog.Row] | None = None
        """What home lists: saved rows until the library is read, then rows from it."""
        if lib is not None:  # given by the caller (tests, `practice`): nothing to save
            self.catalog = catalog.rows_of(lib)
        else:
            from ..folders import default_folders

            self.catalog = catalog.saved_rows(self._catalog_file(), default_folders())
            if self.catalog is None:
                self.lib  # noqa: B018 - nothing saved (or the files changed): read the library now
        self.rep: Rep | None = None
        self.start_session = session
        self.exit_after_paint = exit_after_paint
        self.problems_said = 0
        theme = self.store.pref("theme")
        if theme in ("textual-dark", "textual-light"):
            self.theme = theme

    # ---- the library: home paints from the saved catalogue, the files are read just after
    def local_folder(self) -> Path:
        """This machine's folder for what is not history (saved home rows, exports): beside the
        history file, or the data folder when the history is the team's database."""
        if isinstance(self.store.path, Path):
            return self.store.path.parent
        from ..settings import data_dir

        return self.settings.data_dir or data_dir()

    def _catalog_file(self) -> Path:
        return self.local_folder() / "catalog.json"

    @property
    def lib(self):  # noqa: ANN201 - library.Library
        """The scenarios, rubrics and personas, read from their files the first time they are needed."""
        if self._lib is None:
            from .. import library

            self._lib = library.load()
            rows = catalog.rows_of(self._lib)
            if rows != self.catalog:  # nothing saved yet, or a file changed since it was
                catalog.save_rows(self._catalog_file(), library.default_folders(), rows)
                painted, self.catalog = self.catalog is not None, rows
                if painted:
                    self.refresh_home()
        return self._lib

    @property
    def library_read(self) -> bool:
        """Whether the library files have been read (home paints before they are)."""
        return self._lib is not None

    def _read_library(self) -> None:
        """Read the library now, after the first paint, not when the rep presses Enter; then
        what home shows from it (the drill plans) is filled in."""
        if self._lib is None:
            self.lib  # noqa: B018
            self.refresh_home()

    # ---- problems: a RoleplayError is said and the app goes on; anything else is a bug
    def show_problem(self, problem: RoleplayError) -> None:
        """Say what went wrong, where and what to do; nothing else changes (the session stays
        open, the words typed stay in the box)."""
        self.problems_said += 1
        self.bell()
        self.notify(str(problem), title="Problem", severity="error", timeout=20, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        from textual.worker import WorkerFailed

        inner = error.error if isinstance(error, WorkerFailed) else error
        if isinstance(inner, RoleplayError):
            self.show_problem(inner)
            return
        if os.environ.get("ROLEPLAY_DEBUG") == "1":
            super()._handle_exception(error)
            return
        # A bug: one line on the way out, the traceback only with ROLEPLAY_DEBUG=1.
        self._return_code = BUG_EXIT
        if self._exception is None:  # tests driving the app through Pilot still see the bug
            self._exception = error
            self._exception_event.set()
        what = f"{type(inner).__name__}: {inner}" if str(inner) else type(inner).__name__
        self.panic(Text(f"roleplay hit a bug: {' '.join(what.split())[:300]}; please report it "
                        "(ROLEPLAY_DEBUG=1 roleplay shows the details). Your turns are saved."))

    async def action_quit(self) -> None:
        """Quit; a call in progress keeps its clock and the words typed but not sent."""
        from .screens.practice import PracticeScreen

        for screen in self.screen_stack:
            if isinstance(screen, PracticeScreen) and screen.is_mounted:
                screen.remember()
        await super().action_quit()

    # ---- the rep
    def remembered_rep(self) -> Rep | None:
        name = self.store.pref("rep")
        if name is None:
            recent = self.store.sessions(limit=1)
            name = recent[0].rep if recent else None
        return self.store.rep(name) if name else None

    def use_rep(self, name: str) -> Rep:
        self.rep = self.store.rep(name)
        self.store.set_pref("rep", self.rep.name)
        return self.rep

    def on_mount(self) -> None:
        from .screens.home import HomeScreen

        self.rep = self.remembered_rep()
        if self.start_session is not None:
            from .screens.practice import PracticeScreen  # the engine is not needed to paint home

            self.rep = self.start_session.rep
            self.push_screen(HomeScreen())
            self.push_screen(PracticeScreen(self.start_session))
        else:
            self.push_screen(HomeScreen())
        # After the first frame, and a moment more: the frame is written to the terminal by
        # another thread, which reading the library (imports, parsing) would otherwise starve.
        # Anything that needs the library sooner reads it on the spot (the `lib` property).
        self.call_after_refresh(lambda: self.set_timer(0.05, self._read_library))
        if self.exit_after_paint:
            self.call_after_refresh(self.exit, 0)
        elif self.settings.online:
            self.warm_model()

    @work(thread=True, exclusive=True, group="warm")
    def warm_model(self) -> None:
        """Import litellm in the background: it takes seconds, and the rep should not wait for it."""
        from ..llm.client import warm

        warm()

    # ---- actions used from several screens and the command palette
    def action_help(self) -> None:
        from .screens.dialogs import HelpScreen

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"
        self.store.set_pref("theme", self.theme)

    def action_toggle_planning(self) -> None:
        if self.rep is None:
            return
        key = f"skip-plan:{self.rep.name}"
        skip = self.store.pref(key) == "yes"
        self.store.set_pref(key, "no" if skip else "yes")
        self.notify("Planning is back on before each call." if skip else
                    "Calls now start without the plan (Ctrl+P turns it back on).", timeout=4)

    def action_progress(self) -> None:
        from .screens.progress import ProgressScreen

        if self.rep is None:
            self.notify("Pick who is practising first.", severity="warning")
            return
        self.push_screen(ProgressScreen(self.rep))

    def action_switch_rep(self) -> None:
        from .screens.dialogs import RepScreen

        def chosen(name: str | None) -> None:
            if name:
                self.use_rep(name)
                self.refresh_home()

        self.push_screen(RepScreen(), chosen)

    def action_change_model(self) -> None:
        from .screens.dialogs import ModelScreen

        def chosen(model: str | None) -> None:
            if model is None:
                return
            self.settings = self.settings.replace(model=model or None, offline=not model)
            self.notify("Offline practice." if not model else f"Using {model} from the next session. "
                        "Run 'roleplay doctor' to check it answers.")
            self.refresh_home()
            if model:
                self.warm_model()

        self.push_screen(ModelScreen(self.settings.model or ""), chosen)

    def refresh_home(self) -> None:
        from .screens.home import HomeScreen

        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.refresh_data()

    def start_practice(self, scenario_id: str, difficulty: str, *, plan_first: bool = True,
                       room=None) -> None:  # noqa: ANN001 - screens.team.Room
        """Plan (unless the rep skips planning), then practise; `room`: who is in it (None: the
        rep alone)."""
        from .screens.plan import PlanScreen

        if self.rep is None and room is None:
            self.notify("Pick who is practising first (r).", severity="warning")
            return
        try:
            from ..engine.session import Setup

            setup = Setup.from_library(self.lib, scenario_id, difficulty)
        except LookupError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        rep = self.store.rep(room.reps[0]) if room is not None else self.rep
        skip = self.store.pref(f"skip-plan:{rep.name}") == "yes"
        if plan_first and not skip:
            self.push_screen(PlanScreen(setup, room=room))
        else:
            self.begin_session(setup, self.store.plan(rep, setup.scenario.id), room=room)

    def begin_session(self, setup, plan: dict | None, room=None) -> None:  # noqa: ANN001
        """Open the call through the one factory every front end uses (practice.open_session)."""
        from ..practice import open_session
        from .screens.practice import PracticeScreen

        reps = list(room.reps) if room is not None else [self.rep.name] if self.rep else []
        try:
            session = open_session(self.settings, self.store, self.lib, setup.scenario.id, setup.difficulty_name,
                                   reps, mode=room.mode if room else "solo",
                                   buyer_player=room.buyer_player if room else None, plan=plan,
                                   team_id=room.team_id if room else None)
        except LookupError as exc:
            self.notify(f"Cannot start the call: {exc}.", severity="error", timeout=8)
            return
        if room is not None and room.observer:  # kept for a resume, and a hot seat's next call
            self.store.set_pref(observer_key(session), room.observer)
        self.push_screen(PracticeScreen(session, observer=room.observer if room else ""))

    def resume(self, session_id: str) -> None:
        from ..errors import RoleplayError
        from ..practice import resume_session
        from .screens.practice import PracticeScreen

        row = self.store.session(session_id)
        if row is None:
            return
        try:
            session = resume_session(self.settings, self.store, self.lib, row.id)
        except LookupError as exc:
            self.notify(f"Cannot resume: {exc}", severity="error", timeout=8)
            return
        except RoleplayError as exc:
            self.show_problem(exc)
            return
        if session.mode == "solo":
            self.rep = session.rep
        self.push_screen(PracticeScreen(session, observer=self.store.pref(observer_key(session)) or ""))

    # ---- practising together
    def action_team(self, scenario_id: str | None = None, difficulty: str | None = None) -> None:
        """Who is in the room, for the scenario highlighted on home (or the one given)."""
        from .screens.home import HomeScreen
        from .screens.team import RoomScreen

        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if scenario_id is None and home is not None:
            scenario_id, difficulty = home.highlighted()
        if scenario_id is None:
            self.notify("Pick a scenario on the home screen first.", severity="warning")
            return
        difficulty = difficulty or "medium"

        def chosen(room) -> None:  # noqa: ANN001 - screens.team.Room | None
            if room is not None:
                self.start_practice(scenario_id, difficulty, room=room)

        self.push_screen(RoomScreen(scenario_id, difficulty), chosen)

    def next_in_hot_seat(self, team_id: str) -> bool:
        """The next rep in the hot seat takes the same call (same seed); False when all have."""
        from ..practice import next_in_hot_seat
        from .screens.team import Room

        team = self.store.team(team_id)
        name = next_in_hot_seat(self.store, team_id) if team else None
        if team is None or name is None:
            return False
        observer = self.store.pref(f"observer:{team_id}") or ""
        room = Room([name], "hot-seat", team.buyer_player, observer, team_id)
        self.start_practice(team.scenario_id, team.difficulty, room=room)
        return True

    def show_team_board(self, team_id: str) -> None:
        from .screens.team import TeamBoardScreen

        self.push_screen(TeamBoardScreen(team_id))

    def export_session(self, session_id: str, fmt: str) -> Path | None:
        from ..practice import export_file

        row = self.store.session(session_id)
        if row is None:
            return None
        return export_file(self.store, row, fmt, self.local_folder() / "exports")


def observer_key(session) -> str:  # noqa: ANN001 - engine Session
    """The pref naming who observes a session: one per team session (its calls share it)."""
    return f"observer:{session.team_id or session.id}"


def run_app(settings: Settings, session=None, exit_after_paint: bool = False) -> int:  # noqa: ANN001
    app = RoleplayApp(settings, session=session, store=session.store if session else None,
                      exit_after_paint=exit_after_paint)
    result = app.run()
    return result or app.return_code or 0
