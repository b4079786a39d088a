"""The practice history: SQLite, one file in the user's data folder.

Every turn and its grades are committed before the caller shows them, so a
crash loses nothing that was on screen. WAL keeps writes cheap and lets a
second process (`roleplay history`) read while a session runs. The schema
is versioned with `PRAGMA user_version`; the version is read and every upgrade
step run inside one `BEGIN IMMEDIATE` transaction, so processes starting at
once on a new data folder never race. No API key or other secret is written here.

Whatever goes wrong with the file (a read-only folder, a full disk, a damaged
or newer database) is raised as `roleplay.errors.StoreError`: one sentence
saying what happened, where, and what to do. A write that fails leaves the
database as it was (each write is one transaction). A damaged database is
never written to; `Store.open_fresh_beside(path)` moves it aside, untouched,
and starts a fresh history in its place.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.ports import CALL, Rep  # noqa: F401 - CALL, Rep: re-exported for callers
from .errors import NotFound, StoreError

if TYPE_CHECKING:  # the records (pydantic models) are imported where turns are read back, not
    # when the store opens: home's first paint reads rows only, before pydantic is loaded.
    from .engine.records import Grade, Mark, Turn

"""turn index under which grades on the whole call (end-of-call criteria) are kept"""

_UPGRADES: list[str] = [
    # 1: reps, sessions, turns, grades
    """
    CREATE TABLE reps (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        rep_id INTEGER NOT NULL REFERENCES reps(id),
        scenario_id TEXT NOT NULL,
        scenario_title TEXT NOT NULL,
        rubric_id TEXT NOT NULL,
        difficulty TEXT NOT NULL,
        buyer TEXT NOT NULL,
        judge TEXT NOT NULL,
        seed INTEGER NOT NULL,
        started TEXT NOT NULL,
        ended TEXT,
        status TEXT NOT NULL DEFAULT 'active',
        outcome TEXT NOT NULL DEFAULT 'in-progress',
        score REAL,
        passed INTEGER,
        scorecard TEXT,
        state TEXT NOT NULL DEFAULT '{}',
        debrief TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX sessions_by_rep ON sessions(rep_id, started);
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        text TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        interrupted INTEGER NOT NULL DEFAULT 0,
        hint_used INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE grades (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        turn_idx INTEGER NOT NULL,
        criterion TEXT NOT NULL,
        source TEXT NOT NULL,
        verdict TEXT NOT NULL,
        score REAL,
        evidence TEXT NOT NULL DEFAULT '[]',
        reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (session_id, turn_idx, criterion, source)
    );
    """,
    # 2: the rep's pre-call plan, remembered per rep and scenario
    """
    CREATE TABLE plans (
        rep_id INTEGER NOT NULL REFERENCES reps(id),
        scenario_id TEXT NOT NULL,
        plan TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (rep_id, scenario_id)
    );
    ALTER TABLE sessions ADD COLUMN plan TEXT;
    """,
    # 3: small remembered choices (the last rep, the theme)
    """
    CREATE TABLE prefs (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 4: the buyer state before each rep turn (for redo), one row each, written once
    # (it used to be re-serialised, 30 at a time, inside sessions.state on every turn)
    """
    CREATE TABLE past_states (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        turn_idx INTEGER NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (session_id, turn_idx)
    );
    CREATE INDEX sessions_by_started ON sessions(started);
    """,
    # 5: a rep's sessions by status (home asks for a paused one: one row, however long the history)
    """
    CREATE INDEX sessions_by_rep_status ON sessions(rep_id, status, started, id);
    """,
    # 6: which usage figures are unknown (no count from the provider, no price for the model):
    # SQLite can't drop NOT NULL from a column, so "unknown" is recorded beside it, never as a 0
    """
    ALTER TABLE sessions ADD COLUMN usage_unknown TEXT NOT NULL DEFAULT '';
    """,
    # 7: practising together: who typed each turn, a team session's calls, an observer's marks
    """
    ALTER TABLE turns ADD COLUMN author TEXT;
    CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        reps TEXT NOT NULL,
        scenario_id TEXT NOT NULL,
        difficulty TEXT NOT NULL,
        seed INTEGER NOT NULL,
        buyer_player TEXT,
        started TEXT NOT NULL
    );
    ALTER TABLE sessions ADD COLUMN team_id TEXT REFERENCES teams(id);
    ALTER TABLE sessions ADD COLUMN mode TEXT NOT NULL DEFAULT 'solo';
    CREATE INDEX sessions_by_team ON sessions(team_id);
    CREATE TABLE marks (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        turn_idx INTEGER NOT NULL,
        kind TEXT NOT NULL,
        criterion TEXT,
        note TEXT NOT NULL DEFAULT '',
        observer TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE INDEX marks_by_session ON marks(session_id, turn_idx);
    CREATE INDEX sessions_by_mode ON sessions(mode, started);
    """,
    # 8: a shared history (PostgreSQL): which login wrote each session, team, plan and pref, so
    # row-level security can keep each rep's to them (on SQLite the owner is left empty)
    """
    ALTER TABLE sessions ADD COLUMN owner TEXT;
    ALTER TABLE teams ADD COLUMN owner TEXT;
    CREATE INDEX sessions_by_owner ON sessions(owner, started);
    CREATE TABLE prefs_8 (
        owner TEXT NOT NULL DEFAULT '',
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (owner, key)
    );
    INSERT INTO prefs_8(key, value) SELECT key, value FROM prefs;
    DROP TABLE prefs;
    ALTER TABLE prefs_8 RENAME TO prefs;
    CREATE TABLE plans_8 (
        owner TEXT NOT NULL DEFAULT '',
        rep_id INTEGER NOT NULL REFERENCES reps(id),
        scenario_id TEXT NOT NULL,
        plan TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (owner, rep_id, scenario_id)
    );
    INSERT INTO plans_8(rep_id, scenario_id, plan, updated) SELECT rep_id, scenario_id, plan, updated FROM plans;
    DROP TABLE plans;
    ALTER TABLE plans_8 RENAME TO plans;
    """,
]
VERSION = len(_UPGRADES)

_PUT_PAST = ("INSERT INTO past_states(session_id, turn_idx, state) VALUES (?,?,?)"
             " ON CONFLICT (session_id, turn_idx) DO UPDATE SET state = excluded.state")

_ALL = 1 << 62
"""LIMIT for "no limit" (SQLite reads -1 so, PostgreSQL refuses it)."""

SESSION_PREFS = ("clock", "draft")
"""Prefs kept per session while it can be resumed, as 'NAME:SESSION_ID' (`session_pref_key`)."""


def session_pref_key(name: str, session_id: str) -> str:
    assert name in SESSION_PREFS, name
    return f"{name}:{session_id}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def local_time(stamp: str) -> str:
    """A stored UTC time as the rep's local 'YYYY-MM-DD HH:MM'."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16].replace("T", " ")


@dataclass
class SessionRow:
    id: str
    rep: str
    scenario_id: str
    scenario_title: str
    rubric_id: str
    difficulty: str
    buyer: str
    judge: str
    seed: int
    started: str
    ended: str | None
    status: str
    outcome: str
    score: float | None
    passed: bool | None
    scorecard: dict | None
    state: dict
    debrief: dict | None
    plan: dict | None
    prompt_tokens: int | None  # None: unknown (the provider sent no count)
    completion_tokens: int | None
    cost: float | None  # None: unknown (no price for the model)
    team_id: str | None = None  # the team session this call was part of (None: practised alone)
    mode: str = "solo"  # solo, hot-seat or tag-team
    room: list[str] | None = None  # a tag-team call: every rep in it (rep is the one who started it)

    @property
    def who(self) -> str:
        """Who practised: the rep, or a tag team's reps ("Ana+Ben")."""
        return "+".join(self.room) if self.room else self.rep

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TeamRow:
    """A team session: the reps in the room, the scenario they took, and the calls it made."""

    id: str
    mode: str  # hot-seat (each rep a call of their own) or tag-team (one call, turns shared)
    reps: list[str]
    scenario_id: str
    difficulty: str
    seed: int
    buyer_player: str | None  # the colleague who played the buyer, if one did
    started: str
    session_ids: list[str]


# ---- ids

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_session_id() -> str:
    """A ULID in lower case: 48 bits of milliseconds, then 80 random bits (26 characters).

    Sorted as text, ids are in time order; two sessions started in the same millisecond
    differ in 80 random bits, so ids never collide in practice. Any unique prefix of
    an id (e.g. its first 10-12 characters) is accepted wherever an id is asked for."""
    ms = int(datetime.now(timezone.utc).timestamp() * 1000) & ((1 << 48) - 1)
    value = ms << 80 | int(secrets.token_hex(10), 16)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


# ---- what went wrong, in words

_FULL, _READ_ONLY, _DAMAGED, _BUSY = "full", "read-only", "damaged", "busy"


def _kind(exc: BaseException, path: Path | None = None) -> str | None:
    """Which of the failures a user can act on this is (None: something else)."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return _FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST):
            return _READ_ONLY
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    text = str(exc).lower()
    if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
        return _FULL
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) or any(
            w in text for w in ("readonly database", "read-only", "unable to open database")):
        return _READ_ONLY
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or any(
            w in text for w in ("not a database", "malformed", "corrupt")):
        return _DAMAGED
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        return _BUSY
    if (primary == sqlite3.SQLITE_IOERR or "disk i/o error" in text) and path is not None and _no_room(path):
        return _FULL  # a full disk met while growing the -wal or -shm file is an I/O error to SQLite
    return None


def _no_room(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


class DamagedStore(StoreError):
    """The history file is not a readable SQLite database. It is never written to.

    `aside` is where `Store.open_fresh_beside(path)` would move it (kept, untouched)
    before starting a fresh, empty history at `path`."""

    def __init__(self, path: Path, detail: str):
        self.path, self.aside = path, damaged_name(path)
        super().__init__(
            f"The practice history at {path} is damaged ({detail}), so roleplay has not touched it.",
            hint="To start a fresh history, run: roleplay history --start-fresh (the damaged file is kept "
                 f"beside it, untouched, as {self.aside.name}, for recovery).")


def damaged_name(path: Path) -> Path:
    """Where a damaged history is moved aside: roleplay.damaged-YYYYMMDD-HHMMSS.db, beside it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")


def _failure(path: Path, exc: BaseException, *, saving: bool) -> StoreError:
    """The StoreError for `exc`, in words."""
    kind = _kind(exc, path)
    what = "Your practice history can't be saved" if saving else "Your practice history can't be opened"
    kept = "; nothing you typed is lost." if saving else "."
    if kind == _FULL:
        return StoreError(f"{what}: the disk is full ({path}).", hint="Free some space and try again;" + (
            " nothing you typed is lost." if saving else " nothing was lost."))
    if kind == _READ_ONLY:
        return StoreError(
            f"{what}: the folder {path.parent} is read-only or not writable ({path}).",
            hint="Make it writable, or set data_dir in the config (or ROLEPLAY_DATA_DIR) to a folder "
                 "you can write to" + kept)
    if kind == _DAMAGED:
        return DamagedStore(path, str(exc))
    if kind == _BUSY:
        return StoreError(f"{what}: another roleplay kept the history at {path} locked for too long.",
                          hint="Close the other roleplay windows and try again" + kept)
    return StoreError(f"{what}: {exc} ({path}).", hint="Check the file and the disk;" + (
        " nothing you typed is lost." if saving else " nothing was changed."))


def _guarded(method):  # noqa: ANN001, ANN202
    """Reading methods: a damaged or unreadable database becomes a StoreError, not a traceback."""
    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except self._ERRORS as exc:
            if not self._connection_lost():
                raise self._failure(exc, saving=False) from exc
        try:  # a read is safe to make again once the connection it lost is back
            return method(self, *args, **kwargs)
        except self._ERRORS as exc:
            raise self._failure(exc, saving=False) from exc
    return wrapper


def _connect(path: Path) -> sqlite3.Connection:
    """The one place a connection is made (tests open it read-only or fault-injected here)."""
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def open_store(settings: Any) -> Store:
    """The practice history the settings point at: the team's PostgreSQL database when
    database_url is set (psycopg is imported only then), else the SQLite file."""
    if settings.database_url:
        from .store_pg import PgStore

        return PgStore(settings.database_url)
    return Store(settings.database())


class Store:
    """The practice history in SQLite (`PgStore` in store_pg.py: the same on PostgreSQL).

    The SQL is written once for both: what differs (a transaction's start, reading JSON,
    a prefix search, the words for a failure) is in the few attributes just below."""

    _ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)
    _BEGIN = "BEGIN IMMEDIATE"  # take the write lock at once: a turn never waits half-way through
    _CRITERIA = "json_each(s.scorecard, '$.criteria') c"  # c.value: one criterion; c.key: its place
    _STARTS = "lower(s.id) >= ? AND lower(s.id) < ?"
    _CARD, _CARD_FROM = "s.scorecard", ""  # a session's scorecard, for reading several of its fields
    _MINE = "owner = ''"  # a pref or plan of the one who is reading (on SQLite: this machine's)
    _THEIRS = ("(s.rep_id = (SELECT id FROM reps WHERE name = ?) OR (s.mode = 'tag-team' AND EXISTS"
               " (SELECT 1 FROM turns t WHERE t.session_id = s.id AND t.speaker = 'rep'"
               " AND t.author = (SELECT name FROM reps WHERE name = ?))))")
    """A rep's sessions (args: the name twice): those they started and the tag-team calls they typed in.
    Read as two index searches (by rep, by mode), never a scan of the turns."""

    @staticmethod
    def _j(column: str, key: str, *, number: bool = False) -> str:
        """SQL for one field of a JSON column (NULL when it is missing or null)."""
        return f"json_extract({column}, '$.{key}')"

    @staticmethod
    def _starts(prefix: str) -> tuple[str, ...]:
        return prefix, prefix + "\uffff"

    @property
    def _CRITERION(self) -> str:  # noqa: N802 - read like the SQL constants beside it
        return (f"{self._j('c.value', 'id')}, {self._j('c.value', 'name')},"
                f" {self._j('c.value', 'score', number=True)}")

    def _failure(self, exc: BaseException, *, saving: bool) -> StoreError:
        return _failure(self.path, exc, saving=saving)

    @staticmethod
    def _dumps(value: Any) -> str:
        """A JSON column's text."""
        return json.dumps(value)

    def _connection_lost(self) -> bool:
        """Whether a read failed because its connection was lost, so it is worth making once more
        (a file is never lost)."""
        return False

    def narrowed(self) -> str | None:
        """Why this store shows only part of the team's history (None: it shows all of it)."""
        return None

    @property
    def where(self) -> str:
        """Where the history is, in words a user can act on (never a password)."""
        return str(self.path)

    def __init__(self, path: Path):
        self.path = path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _failure(path, exc, saving=False) from exc
        self.db: sqlite3.Connection | None = None
        try:
            self.db = _connect(path)
            self.db.row_factory = sqlite3.Row
            # Waiting for a lock comes first: every statement after it may meet another
            # process starting at the same moment.
            self.db.execute("PRAGMA busy_timeout=10000")
            self._check_readable()
            self._wal()
            # WAL with NORMAL sync: a committed turn survives the process being killed;
            # only a power cut can lose the last moments, and each commit stays cheap.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._upgrade()
        except (sqlite3.Error, OSError, StoreError) as exc:
            if self.db is not None:
                self.db.close()
            if isinstance(exc, StoreError):
                raise
            failure = _failure(path, exc, saving=False)
            if _kind(exc, path) != _READ_ONLY or not path.is_file() or not self._open_read_only():
                raise failure from exc
        self.read_only = self.db.execute("PRAGMA query_only").fetchone()[0] == 1

    def _open_read_only(self) -> bool:
        """A history on a read-only disk or in a read-only folder can still be read (history,
        progress, export); every write then says it can't be saved. True if it could be opened."""
        # immutable: nothing can change the file under us; SQLite needs no -shm for it.
        for query in ("mode=ro", "mode=ro&immutable=1"):
            try:
                db = sqlite3.connect(f"file:{self.path}?{query}", uri=True, isolation_level=None,
                                     check_same_thread=False)
                db.row_factory = sqlite3.Row
                if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                    db.close()
                    return False  # an older one needs an upgrade, a newer one is not ours to read
                db.execute("SELECT count(*) FROM sessions").fetchone()
                db.execute("PRAGMA query_only=ON")
            except sqlite3.Error:
                continue
            self.db = db
            return True
        return False

    def _check_readable(self) -> None:
        """A file that isn't SQLite is reported as damaged before anything could write to it."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
        except FileNotFoundError:
            return
        if head and head != b"SQLite format 3\x00":
            raise DamagedStore(self.path, "it is not an SQLite database")
        self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def _wal(self) -> None:
        # Switching a new file to WAL takes a lock that a process starting at the same
        # moment may hold; the busy handler doesn't cover it, so wait here.
        for attempt in range(200):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if _kind(exc) != _BUSY or attempt == 199:
                    raise
                time.sleep(0.01)

    @classmethod
    def open_fresh_beside(cls, path: Path) -> Store:
        """Move a damaged history aside (renamed, never changed) and start a fresh one at `path`.

        The damaged file becomes `roleplay.damaged-YYYYMMDD-HHMMSS.db` in the same folder,
        with its -wal and -shm files if any; returns the new, empty store."""
        path = Path(path)
        aside = damaged_name(path)
        try:
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(path) + suffix)
                if src.exists():
                    os.replace(src, Path(str(aside) + suffix))
        except OSError as exc:
            raise _failure(path, exc, saving=True) from exc
        return cls(path)

    def close(self) -> None:
        self.db.close()

    def _upgrade(self) -> None:
        if self.db.execute("PRAGMA user_version").fetchone()[0] == VERSION:
            return  # the common case; versions only go up, so no lock is needed to know it
        with self._tx():
            # Read inside the write lock: another process may have just created or upgraded it.
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                raise StoreError(
                    f"The practice history at {self.path} was written by a newer roleplay (database "
                    f"format {version}; this roleplay reads formats up to {VERSION}).",
                    hint="Upgrade roleplay (pip install -U roleplay) to use it; nothing was changed.")
            for number in range(version, VERSION):
                for statement in _split(_UPGRADES[number]):
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version={VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on error: each write is all or nothing.

        A failure the user can act on (disk full, read-only, damaged) leaves as a StoreError."""
        try:
            self.db.execute(self._BEGIN)
        except self._ERRORS as exc:
            raise self._failure(exc, saving=True) from exc
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            try:
                self.db.execute("ROLLBACK")
            except self._ERRORS:
                pass  # already rolled back (or the connection is gone, and the transaction with it)
            if isinstance(exc, self._ERRORS):
                raise self._failure(exc, saving=True) from exc
            raise

    # reps
    def rep(self, name: str) -> Rep:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a rep needs a name")
        row = self.db.execute("SELECT id, name FROM reps WHERE name = ?", (name,)).fetchone()
        if row is None:
            with self._tx():
                self.db.execute("INSERT INTO reps(name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                                (name, _now()))
            row = self.db.execute("SELECT id, name FROM reps WHERE name = ?", (name,)).fetchone()
        if row is None:  # written, yet not there to read: the history is not as roleplay left it
            raise StoreError(f"The rep '{name}' could not be added to the practice history at {self.where}.",
                             hint="Try again; if it happens again, tell whoever looks after the history.")
        return Rep(row["id"], row["name"])

    def reps(self) -> list[Rep]:
        return [Rep(r["id"], r["name"]) for r in self.db.execute("SELECT id, name FROM reps ORDER BY name")]

    # sessions
    def start_session(self, *, rep: Rep, scenario_id: str, scenario_title: str, rubric_id: str,
                      difficulty: str, buyer: str, judge: str, seed: int, state: dict,
                      plan: dict | None = None, team_id: str | None = None, mode: str = "solo") -> str:
        sid = new_session_id()
        with self._tx():
            self.db.execute(
                "INSERT INTO sessions(id, rep_id, scenario_id, scenario_title, rubric_id, difficulty,"
                " buyer, judge, seed, started, state, plan, team_id, mode)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sid, rep.id, scenario_id, scenario_title, rubric_id, difficulty, buyer, judge, seed,
                 _now(), self._dumps(state), self._dumps(plan) if plan else None, team_id, mode))
        return sid

    # team sessions: several reps, one scenario, one screen
    def start_team(self, *, mode: str, reps: list[str], scenario_id: str, difficulty: str, seed: int,
                   buyer_player: str | None = None) -> str:
        tid = new_session_id()
        with self._tx():
            self.db.execute(
                "INSERT INTO teams(id, mode, reps, scenario_id, difficulty, seed, buyer_player, started)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (tid, mode, self._dumps(reps), scenario_id, difficulty, seed, buyer_player, _now()))
        return tid

    def team(self, team_id: str) -> TeamRow | None:
        r = self.db.execute("SELECT * FROM teams WHERE id = ?", (team_id,)).fetchone()
        if r is None:
            return None
        ids = [x[0] for x in self.db.execute("SELECT id FROM sessions WHERE team_id = ? ORDER BY started, id",
                                             (team_id,))]
        return TeamRow(id=r["id"], mode=r["mode"], reps=json.loads(r["reps"]), scenario_id=r["scenario_id"],
                       difficulty=r["difficulty"], seed=r["seed"], buyer_player=r["buyer_player"],
                       started=r["started"], session_ids=ids)

    # an observer's marks on turns
    def add_mark(self, session_id: str, turn_index: int, kind: str, *, note: str = "",
                 criterion: str | None = None, observer: str = "") -> Mark:
        from .engine.records import Mark

        with self._tx():
            cur = self.db.execute(
                "INSERT INTO marks(session_id, turn_idx, kind, criterion, note, observer, created)"
                " VALUES (?,?,?,?,?,?,?) RETURNING id",
                (session_id, turn_index, kind, criterion, note, observer, _now()))
            mark_id = cur.fetchone()[0]
        return Mark(id=mark_id, turn=turn_index, kind=kind, criterion=criterion, note=note,
                    observer=observer)

    def remove_mark(self, mark_id: int) -> None:
        with self._tx():
            self.db.execute("DELETE FROM marks WHERE id = ?", (mark_id,))

    def marks(self, session_id: str) -> list[Mark]:
        from .engine.records import Mark

        return [Mark(id=r["id"], turn=r["turn_idx"], kind=r["kind"], criterion=r["criterion"], note=r["note"],
                     observer=r["observer"])
                for r in self.db.execute("SELECT * FROM marks WHERE session_id = ? ORDER BY turn_idx, id",
                                         (session_id,))]

    def add_turn(self, session_id: str, turn: Turn, state: dict | None = None,
                 past: dict | None = None) -> None:
        """Commit one turn (and its grades, the buyer state after it and, for a rep turn, the
        state before it) in one transaction."""
        with self._tx():
            self.db.execute(
                "INSERT INTO turns(session_id, idx, speaker, text, note, interrupted, hint_used, created, author)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (session_id, idx) DO UPDATE SET speaker = excluded.speaker,"
                " text = excluded.text, note = excluded.note, interrupted = excluded.interrupted,"
                " hint_used = excluded.hint_used, created = excluded.created, author = excluded.author",
                (session_id, turn.index, turn.speaker, turn.text, turn.note, int(turn.interrupted),
                 int(turn.hint_used), _now(), turn.author))
            self._put_grades(session_id, turn.index, turn.grades)
            if past is not None:
                self.db.execute(_PUT_PAST,
                                (session_id, turn.index, self._dumps(past)))
            if state is not None:
                self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (self._dumps(state), session_id))

    def drop_turns_from(self, session_id: str, index: int, state: dict) -> None:
        """Take back turns from `index` on (redo the last turn), with the state before them."""
        with self._tx():
            self.db.execute("DELETE FROM turns WHERE session_id = ? AND idx >= ?", (session_id, index))
            self.db.execute("DELETE FROM grades WHERE session_id = ? AND turn_idx >= ?", (session_id, index))
            self.db.execute("DELETE FROM past_states WHERE session_id = ? AND turn_idx >= ?", (session_id, index))
            self.db.execute("DELETE FROM marks WHERE session_id = ? AND turn_idx >= ?", (session_id, index))
            self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (self._dumps(state), session_id))

    def past_states(self, session_id: str, limit: int) -> list[dict]:
        """The buyer state before each of the last `limit` rep turns, oldest first."""
        rows = self.db.execute("SELECT state FROM past_states WHERE session_id = ? ORDER BY turn_idx DESC"
                               " LIMIT ?", (session_id, limit)).fetchall()
        return [json.loads(r["state"]) for r in reversed(rows)]

    def put_past_states(self, session_id: str, states: list[tuple[int, dict]]) -> None:
        """Write states before rep turns (turn index, state) at once: a session saved before
        they had their own table moves them here when it is resumed."""
        with self._tx():
            self.db.executemany(_PUT_PAST,
                                [(session_id, i, self._dumps(s)) for i, s in states])

    def add_grades(self, session_id: str, turn_index: int, grades: list[Grade]) -> None:
        with self._tx():
            self._put_grades(session_id, turn_index, grades)

    def _put_grades(self, session_id: str, turn_index: int, grades: list[Grade]) -> None:
        self.db.executemany(
            "INSERT INTO grades(session_id, turn_idx, criterion, source, verdict, score, evidence, reason)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (session_id, turn_idx, criterion, source) DO UPDATE SET"
            " verdict = excluded.verdict, score = excluded.score, evidence = excluded.evidence,"
            " reason = excluded.reason",
            [(session_id, turn_index, g.criterion, g.source, g.verdict, g.score,
              self._dumps(g.evidence), g.reason) for g in grades])

    def save_state(self, session_id: str, state: dict) -> None:
        with self._tx():
            self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (self._dumps(state), session_id))

    def add_usage(self, session_id: str, prompt_tokens: int | None, completion_tokens: int | None,
                  cost: float | None) -> None:
        """Tokens and cost so far; None is unknown, and reads back as None (never as 0)."""
        values = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "cost": cost}
        unknown = ",".join(k for k, v in values.items() if v is None)
        with self._tx():
            self.db.execute(
                "UPDATE sessions SET prompt_tokens = ?, completion_tokens = ?, cost = ?, usage_unknown = ? "
                "WHERE id = ?",
                (prompt_tokens or 0, completion_tokens or 0, cost or 0.0, unknown, session_id))

    def finish(self, session_id: str, *, outcome: str, score: float | None, passed: bool | None,
               scorecard: dict, status: str = "finished") -> None:
        with self._tx():
            self.db.execute(
                "UPDATE sessions SET ended = ?, status = ?, outcome = ?, score = ?, passed = ?,"
                " scorecard = ? WHERE id = ?",
                (_now(), status, outcome, score, None if passed is None else int(passed),
                 self._dumps(scorecard), session_id))
            self._forget_session_prefs()

    def _forget_session_prefs(self) -> None:
        # What a paused call keeps (its clock, the words typed but not sent) is kept only while
        # the call can be resumed; this also clears what older versions left behind.
        self.db.execute(
            "DELETE FROM prefs WHERE " + " OR ".join(
                f"(key LIKE '{name}:%' AND substr(key, {len(name) + 2}) NOT IN"
                " (SELECT id FROM sessions WHERE status = 'active'))" for name in SESSION_PREFS))

    def set_players(self, session_id: str, buyer: str, judge: str) -> None:
        """Who plays the buyer and who grades, when a resumed session goes on with others."""
        with self._tx():
            self.db.execute("UPDATE sessions SET buyer = ?, judge = ? WHERE id = ?", (buyer, judge, session_id))

    def set_debrief(self, session_id: str, answers: dict[str, str]) -> None:
        with self._tx():
            self.db.execute("UPDATE sessions SET debrief = ? WHERE id = ?", (self._dumps(answers), session_id))

    def save_plan(self, rep: Rep, scenario_id: str, plan: dict) -> None:
        with self._tx():
            self.db.execute("INSERT INTO plans(rep_id, scenario_id, plan, updated) VALUES (?,?,?,?)"
                            " ON CONFLICT (owner, rep_id, scenario_id) DO UPDATE SET plan = excluded.plan,"
                            " updated = excluded.updated",
                            (rep.id, scenario_id, self._dumps(plan), _now()))

    def plan(self, rep: Rep, scenario_id: str) -> dict | None:
        row = self.db.execute(f"SELECT plan FROM plans WHERE rep_id = ? AND scenario_id = ? AND {self._MINE}",
                              (rep.id, scenario_id)).fetchone()
        return json.loads(row["plan"]) if row else None

    def pref(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute(f"SELECT value FROM prefs WHERE key = ? AND {self._MINE}", (key,)).fetchone()
        return row["value"] if row else default

    def set_pref(self, key: str, value: str) -> None:
        with self._tx():
            self.db.execute("INSERT INTO prefs(key, value) VALUES (?, ?)"
                            " ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value", (key, value))

    def abandon(self, session_id: str) -> None:
        """Close an interrupted session without a score (the rep chose not to resume it)."""
        with self._tx():
            self.db.execute("UPDATE sessions SET status = 'abandoned', ended = ? WHERE id = ? "
                            "AND status = 'active'", (_now(), session_id))
            self._forget_session_prefs()

    # reading
    _ROOM = ", (SELECT t.reps FROM teams t WHERE t.id = s.team_id AND s.mode = 'tag-team') AS room"
    _SELECT = ("SELECT s.*, r.name AS rep" + _ROOM + " FROM sessions s JOIN reps r ON r.id = s.rep_id")
    _LIGHT = ("SELECT s.id, r.name AS rep, s.scenario_id, s.scenario_title, s.rubric_id, s.difficulty,"
              " s.buyer, s.judge, s.seed, s.started, s.ended, s.status, s.outcome, s.score, s.passed,"
              " s.prompt_tokens, s.completion_tokens, s.cost, s.usage_unknown, s.team_id, s.mode" + _ROOM +
              " FROM sessions s JOIN reps r ON r.id = s.rep_id")

    def _row(self, r: sqlite3.Row) -> SessionRow:
        def j(key: str) -> Any:
            v = r[key] if key in r.keys() else None
            return json.loads(v) if v else None

        return SessionRow(
            id=r["id"], rep=r["rep"], scenario_id=r["scenario_id"], scenario_title=r["scenario_title"],
            rubric_id=r["rubric_id"], difficulty=r["difficulty"], buyer=r["buyer"], judge=r["judge"],
            seed=r["seed"], started=r["started"], ended=r["ended"], status=r["status"],
            outcome=r["outcome"], score=r["score"],
            passed=None if r["passed"] is None else bool(r["passed"]),
            scorecard=j("scorecard"), state=j("state") or {}, debrief=j("debrief"),
            plan=j("plan"), **self._usage(r),
            team_id=r["team_id"] if "team_id" in r.keys() else None,
            mode=r["mode"] if "mode" in r.keys() else "solo",
            room=json.loads(r["room"]) if "room" in r.keys() and r["room"] else None)

    @staticmethod
    def _usage(r: sqlite3.Row) -> dict[str, Any]:
        unknown = set((r["usage_unknown"] if "usage_unknown" in r.keys() else "").split(","))
        return {k: None if k in unknown else r[k] for k in ("prompt_tokens", "completion_tokens", "cost")}

    def session(self, session_id: str) -> SessionRow | None:
        """The session with this id, or with the only id that starts with it (at least 4
        characters, any case); None if there is none. Several matches: NotFound, saying so."""
        r = self.db.execute(self._SELECT + " WHERE s.id = ?", (session_id,)).fetchone()
        if r is None and len(session_id.strip()) >= 4:
            prefix = session_id.strip().lower().replace("\\", "").replace("%", "").replace("_", "")
            found = self.db.execute(self._SELECT + f" WHERE {self._STARTS}"
                                    " ORDER BY s.id LIMIT 2", self._starts(prefix)).fetchall()
            if len(found) > 1:
                raise NotFound(f"More than one session starts with '{session_id}'.",
                               hint="Type more of its id (see 'roleplay history').")
            r = found[0] if found else None
        return self._row(r) if r else None

    def _where(self, rep: str | None, status: str | None,
               scenario_id: str | None) -> tuple[str, list[Any]]:
        where, args = [], []
        if rep is not None:
            where.append("s.rep_id = (SELECT id FROM reps WHERE name = ?)")
            args.append(rep)
        if status is not None:
            where.append("s.status = ?")
            args.append(status)
        if scenario_id is not None:
            where.append("s.scenario_id = ?")
            args.append(scenario_id)
        return (" WHERE " + " AND ".join(where) if where else ""), args

    def sessions(self, rep: str | None = None, *, status: str | None = None,
                 scenario_id: str | None = None, limit: int | None = None, offset: int = 0,
                 light: bool = False) -> list[SessionRow]:
        """Sessions, newest first: all of them unless `limit` says how many.

        `light`: without the JSON columns (scorecard, state, debrief, plan are left empty),
        for lists that show only the scores."""
        where, args = self._where(rep, status, scenario_id)
        sql = (self._LIGHT if light else self._SELECT) + where
        sql += " ORDER BY s.started DESC, s.id DESC LIMIT ? OFFSET ?"
        if rep is None:
            return [self._row(r) for r in self.db.execute(sql, (*args, _ALL if limit is None else limit, offset))]
        # The rep's own sessions, and the tag-team calls others started where this rep typed turns:
        # two bounded reads (each by its index), merged newest first.
        upto = _ALL if limit is None else limit + offset
        rows = [self._row(r) for r in self.db.execute(sql, (*args, upto, 0))]
        rows += self._joined(rep, status, scenario_id, light=light, limit=upto)
        rows.sort(key=lambda r: (r.started, r.id), reverse=True)
        return rows[offset:None if limit is None else offset + limit]

    def _joined(self, rep: str, status: str | None, scenario_id: str | None, *, light: bool = False,
                limit: int = _ALL, count: bool = False) -> Any:
        """Tag-team calls started by someone else in which `rep` typed rep turns."""
        where, args = self._where(None, status, scenario_id)
        # Driven by the tag-team calls (few, by their index), each checked for a turn by the rep:
        # never a scan of the turns, however long the history.
        where = (where + " AND" if where else " WHERE") + (
            " s.mode = 'tag-team' AND s.rep_id != coalesce((SELECT id FROM reps WHERE name = ?), -1)"
            " AND EXISTS (SELECT 1 FROM turns t WHERE t.session_id = s.id AND t.speaker = 'rep'"
            " AND t.author = (SELECT name FROM reps WHERE name = ?))")
        args += [rep, rep]
        if count:
            return self.db.execute("SELECT count(*) FROM sessions s" + where, args).fetchone()[0]
        sql = (self._LIGHT if light else self._SELECT) + where + " ORDER BY s.started DESC, s.id DESC LIMIT ?"
        return [self._row(r) for r in self.db.execute(sql, (*args, limit))]

    def count_sessions(self, rep: str | None = None, *, status: str | None = None,
                       scenario_id: str | None = None) -> int:
        where, args = self._where(rep, status, scenario_id)
        own = self.db.execute("SELECT count(*) FROM sessions s" + where, args).fetchone()[0]
        return own + (self._joined(rep, status, scenario_id, count=True) if rep is not None else 0)

    def previous(self, row: SessionRow) -> SessionRow | None:
        """The rep's newest finished session of the same scenario before `row` (one row read)."""
        r = self.db.execute(
            self._SELECT + " WHERE s.rep_id = (SELECT id FROM reps WHERE name = ?) AND s.status = 'finished'"
            " AND s.scenario_id = ? AND s.id != ? AND s.started <= ? ORDER BY s.started DESC, s.id DESC LIMIT 1",
            (row.rep, row.scenario_id, row.id, row.started)).fetchone()
        return self._row(r) if r else None

    def practise_next(self, rep: str) -> dict | None:
        """The scorecard of the rep's newest finished session that names one behaviour to practise."""
        r = self.db.execute(
            "SELECT scorecard FROM sessions WHERE rep_id = (SELECT id FROM reps WHERE name = ?)"
            " AND status = 'finished' AND scorecard IS NOT NULL"
            f" AND {self._j('scorecard', 'practise_next')} IS NOT NULL"
            " ORDER BY started DESC, id DESC LIMIT 1", (rep,)).fetchone()
        return json.loads(r["scorecard"]) if r else None

    def criterion_scores(self, rep: str) -> list[tuple[str, str, str, float]]:
        """(rubric id, criterion id, name, score 0-1) of every graded criterion of the rep's
        finished sessions, oldest session first: read by SQLite, no scorecard decoded here."""
        return [tuple(r) for r in self.db.execute(
            f"SELECT s.rubric_id, {self._CRITERION}"
            f" FROM sessions s, {self._CRITERIA}"
            f" WHERE {self._THEIRS} AND s.status = 'finished'"
            f" AND s.scorecard IS NOT NULL AND {self._j('c.value', 'score')} IS NOT NULL"
            " ORDER BY s.started, s.id, c.key", (rep, rep))]

    def session_starts(self, rep: str, *, status: str = "finished") -> list[str]:
        """When each of the rep's sessions started (stored UTC), oldest first."""
        return [r[0] for r in self.db.execute(
            f"SELECT s.started FROM sessions s WHERE {self._THEIRS} AND s.status = ? ORDER BY s.started",
            (rep, rep, status))]

    def scenario_bests(self, rep: str) -> list[tuple[str, str, float | None, bool]]:
        """Per scenario the rep finished: (id, title, best score, objective ever reached)."""
        return [(r[0], r[1], r[2], bool(r[3])) for r in self.db.execute(
            "SELECT s.scenario_id, max(s.scenario_title), max(s.score),"
            " max(CASE WHEN s.outcome = 'won' THEN 1 ELSE 0 END) FROM sessions s"
            f" WHERE {self._THEIRS} AND s.status = 'finished'"
            " GROUP BY s.scenario_id ORDER BY s.scenario_id", (rep, rep))]

    def finished_for_drill(self, rep: str, *, since: str | None, until: str | None,
                           scenarios: Iterable[str], rubrics: Iterable[str],
                           limit: int = 5000) -> list[tuple[str, str, str, bool | None]]:
        """(scenario id, difficulty, rubric id, passed) of the rep's finished sessions started in
        [since, until) (stored UTC stamps; None: no bound) of the scenarios or rubrics named, oldest
        first, at most `limit`: only the four columns a drill plan's progress needs, read along
        the (rep, status, started) index."""
        scenarios, rubrics = sorted(set(scenarios)), sorted(set(rubrics))
        if not scenarios and not rubrics:
            return []
        args: list[Any] = []
        sql = self._period("SELECT s.scenario_id, s.difficulty, s.rubric_id, s.passed FROM sessions s"
                           " WHERE s.status = 'finished'", args, rep, since, until)
        named = [f"s.{column} IN ({','.join('?' * len(ids))})"  # never "IN ()": PostgreSQL refuses it
                 for column, ids in (("scenario_id", scenarios), ("rubric_id", rubrics)) if ids]
        sql += f" AND ({' OR '.join(named)}) ORDER BY s.started, s.id LIMIT ?"
        args += [*scenarios, *rubrics, limit]
        return [(r[0], r[1], r[2], None if r[3] is None else bool(r[3])) for r in self.db.execute(sql, args)]

    @staticmethod
    def _period(sql: str, args: list[Any], rep: str | None, since: str | None,
                until: str | None) -> str:
        """`sql` narrowed to a rep (None: every rep) and to sessions started in [since, until)."""
        if rep is not None:
            sql += " AND s.rep_id = (SELECT id FROM reps WHERE name = ?)"
            args.append(rep)
        if since is not None:
            sql += " AND s.started >= ?"
            args.append(since)
        if until is not None:
            sql += " AND s.started < ?"
            args.append(until)
        return sql

    def report_sessions(self, rep: str | None = None, *, since: str | None = None, until: str | None = None,
                        limit: int = 200_000) -> list[tuple]:
        """(id, rep, started, scenario id, rubric id, outcome, score, passed, graded share,
        practise_next, practise_name, mode) of the finished sessions started in [since, until)
        (stored UTC stamps; None: no bound), oldest first, at most `limit`: the few fields of each
        scorecard a report needs, picked out by the database (no scorecard is decoded here).

        A tag-team call is a row for the rep who started it and one more for each other rep who
        typed in it (the same id), so it counts in each of their reports."""
        fields = ("s.started, s.scenario_id, s.rubric_id, s.outcome, s.score, s.passed,"
                  f" {self._j(self._CARD, 'graded_share', number=True)}, {self._j(self._CARD, 'practise_next')},"
                  f" {self._j(self._CARD, 'practise_name')}, s.mode")
        args: list[Any] = []
        own = self._period(f"SELECT s.id, r.name, {fields} FROM sessions s JOIN reps r ON r.id = s.rep_id"
                           f"{self._CARD_FROM} WHERE s.status = 'finished'", args, rep, since, until)
        # The other typists, driven by the tag-team calls (by their index), never by a scan of the turns.
        joined = self._period(
            f"SELECT s.id, t.author, {fields} FROM sessions s JOIN reps r ON r.id = s.rep_id{self._CARD_FROM}"
            " JOIN (SELECT DISTINCT t.session_id, t.author FROM turns t JOIN sessions x ON x.id = t.session_id"
            " WHERE x.mode = 'tag-team' AND t.speaker = 'rep' AND t.author IS NOT NULL) t ON t.session_id = s.id"
            " WHERE s.status = 'finished' AND s.mode = 'tag-team' AND t.author != r.name", args, None, since, until)
        if rep is not None:
            joined += " AND t.author = (SELECT name FROM reps WHERE name = ?)"
            args.append(rep)
        sql = f"SELECT * FROM ({own} UNION ALL {joined}) u ORDER BY 3, 1, 2 LIMIT ?"
        return [(*r[:7], None if r[7] is None else bool(r[7]), *r[8:])
                for r in self.db.execute(sql, (*args, limit))]

    def report_criteria(self, rep: str | None = None, *, since: str | None = None, until: str | None = None,
                        limit: int = 2_000_000) -> list[tuple[str, str, str, float | None]]:
        """(session id, criterion id, name, score 0-1 or None when nothing graded it) of every
        criterion on the scorecards of the finished sessions started in [since, until), oldest
        session first, in the rubric's order, at most `limit` rows. A rep's: the sessions they
        started and the tag-team calls they typed in (as `report_sessions`)."""
        args: list[Any] = []
        sql = self._period(
            f"SELECT s.id, {self._CRITERION}"
            f" FROM sessions s, {self._CRITERIA}"
            " WHERE s.status = 'finished' AND s.scorecard IS NOT NULL", args, None, since, until)
        if rep is not None:
            sql += f" AND {self._THEIRS}"
            args += [rep, rep]
        sql += " ORDER BY s.started, s.id, c.key LIMIT ?"
        return [tuple(r) for r in self.db.execute(sql, (*args, limit))]

    def marked_sessions(self, rep: str | None = None, *, since: str | None = None, until: str | None = None,
                        limit: int = 5000) -> list[str]:
        """The ids of the finished sessions started in [since, until) that an observer marked,
        oldest first, at most `limit`."""
        args: list[Any] = []
        sql = self._period("SELECT s.id FROM sessions s WHERE s.status = 'finished'"
                           " AND EXISTS (SELECT 1 FROM marks m WHERE m.session_id = s.id)", args, rep, since, until)
        sql += " ORDER BY s.started, s.id LIMIT ?"
        return [r[0] for r in self.db.execute(sql, (*args, limit))]

    def unfinished_counts(self, rep: str | None = None, *, since: str | None = None,
                          until: str | None = None) -> dict[str, int]:
        """Per rep, how many sessions started in [since, until) were paused or left unfinished."""
        args: list[Any] = []
        sql = self._period("SELECT r.name, count(*) FROM sessions s JOIN reps r ON r.id = s.rep_id"
                           " WHERE s.status != 'finished'", args, rep, since, until)
        return {r[0]: r[1] for r in self.db.execute(sql + " GROUP BY r.name", args)}

    def turns(self, session_id: str) -> list[Turn]:
        from .engine.records import Grade, Turn

        grades: dict[int, list[Grade]] = {}
        for g in self.db.execute("SELECT * FROM grades WHERE session_id = ? ORDER BY turn_idx, criterion, source",
                                 (session_id,)):
            grades.setdefault(g["turn_idx"], []).append(Grade(
                criterion=g["criterion"], verdict=g["verdict"], score=g["score"],
                evidence=json.loads(g["evidence"]), reason=g["reason"], source=g["source"]))
        return [Turn(index=t["idx"], speaker=t["speaker"], text=t["text"], note=t["note"],
                     interrupted=bool(t["interrupted"]), hint_used=bool(t["hint_used"]),
                     grades=grades.get(t["idx"], []), author=t["author"])
                for t in self.db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx",
                                         (session_id,))]

    def call_grades(self, session_id: str) -> list[Grade]:
        from .engine.records import Grade

        return [Grade(criterion=g["criterion"], verdict=g["verdict"], score=g["score"],
                      evidence=json.loads(g["evidence"]), reason=g["reason"], source=g["source"])
                for g in self.db.execute("SELECT * FROM grades WHERE session_id = ? AND turn_idx = ?",
                                         (session_id, CALL))]


for _name in ("rep", "reps", "team", "marks", "past_states", "plan", "pref", "session", "sessions", "count_sessions",
              "previous", "practise_next", "criterion_scores", "session_starts", "scenario_bests", "turns",
              "call_grades", "finished_for_drill", "report_sessions", "report_criteria", "marked_sessions",
              "unfinished_counts"):
    setattr(Store, _name, _guarded(getattr(Store, _name)))


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
