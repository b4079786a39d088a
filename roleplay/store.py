"""The practice history: SQLite, one file in the user's data folder.

Every turn and its grades are committed before the caller shows them, so a
crash loses nothing that was on screen. WAL keeps writes cheap and lets a
second process (`roleplay history`) read while a session runs. The schema
is versioned with `PRAGMA user_version`; each upgrade step runs once, in order.
No API key or other secret is ever written here.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .engine.records import Grade, Turn

CALL = -1
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
]
VERSION = len(_UPGRADES)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def local_time(stamp: str) -> str:
    """A stored UTC time as the rep's local 'YYYY-MM-DD HH:MM'."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16].replace("T", " ")


@dataclass
class Rep:
    id: int
    name: str


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
    prompt_tokens: int
    completion_tokens: int
    cost: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class StoreError(Exception):
    """The history file cannot be used; the message says why, in plain words."""


class Store:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync: a committed turn survives the process being killed;
            # only a power cut can lose the last moments, and each commit stays cheap.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the practice history at {path} cannot be opened: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def _upgrade(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StoreError(f"the practice history at {self.path} was written by a newer roleplay "
                             f"(format {version}, this one knows {VERSION}); upgrade roleplay")
        for number in range(version, VERSION):
            with self._tx():
                for statement in _split(_UPGRADES[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number + 1}")

    def _tx(self) -> _Tx:
        return _Tx(self.db)

    # reps
    def rep(self, name: str) -> Rep:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a rep needs a name")
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO reps(name, created) VALUES (?, ?)", (name, _now()))
        row = self.db.execute("SELECT id, name FROM reps WHERE name = ?", (name,)).fetchone()
        return Rep(row["id"], row["name"])

    def reps(self) -> list[Rep]:
        return [Rep(r["id"], r["name"]) for r in self.db.execute("SELECT id, name FROM reps ORDER BY name")]

    # sessions
    def start_session(self, *, rep: Rep, scenario_id: str, scenario_title: str, rubric_id: str,
                      difficulty: str, buyer: str, judge: str, seed: int, state: dict,
                      plan: dict | None = None) -> str:
        sid = datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        with self._tx():
            self.db.execute(
                "INSERT INTO sessions(id, rep_id, scenario_id, scenario_title, rubric_id, difficulty,"
                " buyer, judge, seed, started, state, plan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (sid, rep.id, scenario_id, scenario_title, rubric_id, difficulty, buyer, judge, seed,
                 _now(), json.dumps(state), json.dumps(plan) if plan else None))
        return sid

    def add_turn(self, session_id: str, turn: Turn, state: dict | None = None) -> None:
        """Commit one turn (and its grades, and the buyer state after it) in one transaction."""
        with self._tx():
            self.db.execute(
                "INSERT OR REPLACE INTO turns(session_id, idx, speaker, text, note, interrupted,"
                " hint_used, created) VALUES (?,?,?,?,?,?,?,?)",
                (session_id, turn.index, turn.speaker, turn.text, turn.note, int(turn.interrupted),
                 int(turn.hint_used), _now()))
            self._put_grades(session_id, turn.index, turn.grades)
            if state is not None:
                self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id))

    def drop_turns_from(self, session_id: str, index: int, state: dict) -> None:
        """Take back turns from `index` on (redo the last turn), with the state before them."""
        with self._tx():
            self.db.execute("DELETE FROM turns WHERE session_id = ? AND idx >= ?", (session_id, index))
            self.db.execute("DELETE FROM grades WHERE session_id = ? AND turn_idx >= ?", (session_id, index))
            self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id))

    def add_grades(self, session_id: str, turn_index: int, grades: list[Grade]) -> None:
        with self._tx():
            self._put_grades(session_id, turn_index, grades)

    def _put_grades(self, session_id: str, turn_index: int, grades: list[Grade]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO grades(session_id, turn_idx, criterion, source, verdict, score,"
            " evidence, reason) VALUES (?,?,?,?,?,?,?,?)",
            [(session_id, turn_index, g.criterion, g.source, g.verdict, g.score,
              json.dumps(g.evidence), g.reason) for g in grades])

    def save_state(self, session_id: str, state: dict) -> None:
        with self._tx():
            self.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id))

    def add_usage(self, session_id: str, prompt_tokens: int, completion_tokens: int, cost: float) -> None:
        with self._tx():
            self.db.execute(
                "UPDATE sessions SET prompt_tokens = ?, completion_tokens = ?, cost = ? WHERE id = ?",
                (prompt_tokens, completion_tokens, cost, session_id))

    def finish(self, session_id: str, *, outcome: str, score: float | None, passed: bool | None,
               scorecard: dict, status: str = "finished") -> None:
        with self._tx():
            self.db.execute(
                "UPDATE sessions SET ended = ?, status = ?, outcome = ?, score = ?, passed = ?,"
                " scorecard = ? WHERE id = ?",
                (_now(), status, outcome, score, None if passed is None else int(passed),
                 json.dumps(scorecard), session_id))

    def set_debrief(self, session_id: str, answers: dict[str, str]) -> None:
        with self._tx():
            self.db.execute("UPDATE sessions SET debrief = ? WHERE id = ?", (json.dumps(answers), session_id))

    def save_plan(self, rep: Rep, scenario_id: str, plan: dict) -> None:
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO plans(rep_id, scenario_id, plan, updated) VALUES (?,?,?,?)",
                            (rep.id, scenario_id, json.dumps(plan), _now()))

    def plan(self, rep: Rep, scenario_id: str) -> dict | None:
        row = self.db.execute("SELECT plan FROM plans WHERE rep_id = ? AND scenario_id = ?",
                              (rep.id, scenario_id)).fetchone()
        return json.loads(row["plan"]) if row else None

    def pref(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM prefs WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_pref(self, key: str, value: str) -> None:
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO prefs(key, value) VALUES (?, ?)", (key, value))

    def abandon(self, session_id: str) -> None:
        """Close an interrupted session without a score (the rep chose not to resume it)."""
        with self._tx():
            self.db.execute("UPDATE sessions SET status = 'abandoned', ended = ? WHERE id = ? "
                            "AND status = 'active'", (_now(), session_id))

    # reading
    _SELECT = ("SELECT s.*, r.name AS rep FROM sessions s JOIN reps r ON r.id = s.rep_id")

    def _row(self, r: sqlite3.Row) -> SessionRow:
        def j(v: str | None) -> Any:
            return json.loads(v) if v else None

        return SessionRow(
            id=r["id"], rep=r["rep"], scenario_id=r["scenario_id"], scenario_title=r["scenario_title"],
            rubric_id=r["rubric_id"], difficulty=r["difficulty"], buyer=r["buyer"], judge=r["judge"],
            seed=r["seed"], started=r["started"], ended=r["ended"], status=r["status"],
            outcome=r["outcome"], score=r["score"],
            passed=None if r["passed"] is None else bool(r["passed"]),
            scorecard=j(r["scorecard"]), state=j(r["state"]) or {}, debrief=j(r["debrief"]),
            plan=j(r["plan"]), prompt_tokens=r["prompt_tokens"],
            completion_tokens=r["completion_tokens"], cost=r["cost"])

    def session(self, session_id: str) -> SessionRow | None:
        r = self.db.execute(self._SELECT + " WHERE s.id = ?", (session_id,)).fetchone()
        return self._row(r) if r else None

    def sessions(self, rep: str | None = None, *, status: str | None = None,
                 scenario_id: str | None = None, limit: int = 1000) -> list[SessionRow]:
        where, args = [], []
        if rep is not None:
            where.append("r.name = ?")
            args.append(rep)
        if status is not None:
            where.append("s.status = ?")
            args.append(status)
        if scenario_id is not None:
            where.append("s.scenario_id = ?")
            args.append(scenario_id)
        sql = self._SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.started DESC, s.id DESC LIMIT ?"
        return [self._row(r) for r in self.db.execute(sql, (*args, limit))]

    def turns(self, session_id: str) -> list[Turn]:
        grades: dict[int, list[Grade]] = {}
        for g in self.db.execute("SELECT * FROM grades WHERE session_id = ? ORDER BY turn_idx, criterion, source",
                                 (session_id,)):
            grades.setdefault(g["turn_idx"], []).append(Grade(
                criterion=g["criterion"], verdict=g["verdict"], score=g["score"],
                evidence=json.loads(g["evidence"]), reason=g["reason"], source=g["source"]))
        return [Turn(index=t["idx"], speaker=t["speaker"], text=t["text"], note=t["note"],
                     interrupted=bool(t["interrupted"]), hint_used=bool(t["hint_used"]),
                     grades=grades.get(t["idx"], []))
                for t in self.db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx",
                                         (session_id,))]

    def call_grades(self, session_id: str) -> list[Grade]:
        return [Grade(criterion=g["criterion"], verdict=g["verdict"], score=g["score"],
                      evidence=json.loads(g["evidence"]), reason=g["reason"], source=g["source"])
                for g in self.db.execute("SELECT * FROM grades WHERE session_id = ? AND turn_idx = ?",
                                         (session_id, CALL))]


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error: each write is all or nothing."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")

