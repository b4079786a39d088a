"""The store survives its environment: concurrent first starts, a full disk, a read-only
folder, a damaged or newer database; ids never collide; a turn saves only what changed."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from roleplay import library, store as store_module
from roleplay.engine.session import MAX_REDO, RepTurnSaved, Session, Setup
from roleplay.errors import NotFound, StoreError
from roleplay.store import VERSION, DamagedStore, Store, new_session_id

LINES = [
    "That's a fair reaction. What are you comparing it to?",
    "What does a spoiled load cost you when it happens?",
    "How is MedCo reacting to the two incidents this quarter?",
    "Who else weighs in on a decision like this, besides you?",
]


async def say(session: Session, text: str) -> list:
    return [e async for e in session.say(text)]


# ---- 1. concurrent first starts


def _opener(barrier, root: str, rounds: int, results) -> None:  # noqa: ANN001
    failures = []
    for n in range(rounds):
        barrier.wait()
        try:
            s = Store(Path(root) / f"round-{n}" / "roleplay.db")
            s.rep("Ana")
            s.close()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
            failures.append(f"round {n}: {type(exc).__name__}: {exc}")
    results.put(failures)


def test_four_processes_opening_a_new_data_dir_at_once_never_fail(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    rounds, workers = 50, 4
    barrier, results = ctx.Barrier(workers, timeout=30), ctx.Queue()
    procs = [ctx.Process(target=_opener, args=(barrier, str(tmp_path), rounds, results))
             for _ in range(workers)]
    for p in procs:
        p.start()
    failures = [f for _ in procs for f in results.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
    assert failures == []
    for n in range(rounds):
        db = sqlite3.connect(tmp_path / f"round-{n}" / "roleplay.db")
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert db.execute("SELECT count(*) FROM reps").fetchone()[0] == 1
        db.close()


# ---- 2. a full disk, a read-only folder


class Faulty:
    """A connection whose statements matching `when` fail the way SQLite fails them."""

    def __init__(self, db: sqlite3.Connection, when: str, error: Exception):
        self._db, self._when, self._error = db, when, error

    def execute(self, sql: str, *args):  # noqa: ANN002, ANN201
        if self._when in sql:
            raise self._error
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, *args):  # noqa: ANN002, ANN201
        if self._when in sql:
            raise self._error
        return self._db.executemany(sql, *args)

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._db, name)


def _fault(backend: str) -> tuple[Exception, str]:
    """A write that fails the way each store's fails (a full disk; a dropped connection to the
    team's server), and the words the rep must be told it in."""
    if backend == "sqlite":
        return sqlite3.OperationalError("database or disk is full"), "the disk is full"
    import psycopg

    return psycopg.OperationalError("server closed the connection unexpectedly"), "can't be reached"


@pytest.fixture
def sqlite_store(tmp_path: Path):  # noqa: ANN201 - for what only a file can do (pages, PRAGMAs)
    s = Store(tmp_path / "roleplay.db")
    yield s
    s.close()


def _snapshot(session: Session) -> tuple:
    return (json.dumps(session.state.to_json(), sort_keys=True), session.pending,
            [(t.index, t.speaker, t.text) for t in session.turns], len(session.past))


async def test_disk_full_while_saving_a_turn_is_a_sentence_and_changes_nothing(lib, store, backend) -> None:
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), store, store.rep("Ana"), seed=1)
    await say(session, LINES[0])
    before = _snapshot(session)
    error, words = _fault(backend)
    store.db = Faulty(store.db, "INSERT INTO turns", error)
    with pytest.raises(StoreError) as caught:
        await say(session, LINES[1])
    message = str(caught.value)
    assert message.startswith("Your practice history can't be saved") and words in message
    assert store.where in message and "nothing you typed is lost" in message
    assert ":" + "@" not in message and (backend == "sqlite" or "postgresql://" in message)  # no password
    assert _snapshot(session) == before  # the state did not move on without its turn
    store.db = store.db._db
    events = await say(session, LINES[1])  # the same words, sent again once there is room
    assert isinstance(events[0], RepTurnSaved)
    saved = [(t.index, t.speaker, t.text) for t in store.turns(session.id)]
    assert saved == [(t.index, t.speaker, t.text) for t in session.turns]
    assert [t for _, s, t in saved if s == "rep"] == LINES[:2]


async def test_a_really_full_database_file_is_reported_and_rolled_back(lib, sqlite_store) -> None:
    store = sqlite_store
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), store, store.rep("Ana"), seed=1)
    # SQLite's own SQLITE_FULL: the file may not grow by a single page.
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    before = _snapshot(session)
    with pytest.raises(StoreError, match="the disk is full"):
        for line in LINES * 20:
            await say(session, line)
            before = _snapshot(session)
    assert _snapshot(session) == before
    assert len(store.turns(session.id)) == len(session.turns)


def _read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # As root (CI), chmod does not stop a write; SQLite's own read-only mode does, for real.
    monkeypatch.setattr(store_module, "_connect",
                        lambda path: sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                     isolation_level=None, check_same_thread=False))


async def test_read_only_history_is_readable_and_a_write_is_a_sentence(lib, tmp_path, monkeypatch) -> None:
    path = tmp_path / "roleplay.db"
    s = Store(path)
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), s, s.rep("Ana"), seed=1)
    s.close()
    _read_only(monkeypatch)
    ro = Store(path)
    assert [r.id for r in ro.sessions()] == [session.id]  # history still reads
    session = Session.resume(ro, session.id, Setup.from_library(lib, "price-objection", "easy"))
    before = _snapshot(session)
    with pytest.raises(StoreError) as caught:
        await say(session, LINES[0])
    assert "read-only" in str(caught.value) and str(path) in str(caught.value)
    assert "nothing you typed is lost" in str(caught.value)
    assert _snapshot(session) == before
    with pytest.raises(StoreError, match="read-only"):
        ro.set_pref("theme", "dark")


def test_a_new_history_in_a_read_only_place_is_a_sentence(tmp_path, monkeypatch) -> None:
    _read_only(monkeypatch)
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "new" / "roleplay.db")
    assert "can't be opened" in str(caught.value) and "read-only" in str(caught.value)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="read-only or not writable"):
        Store(blocker / "roleplay" / "roleplay.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod")
def test_a_chmod_read_only_folder_is_a_sentence(tmp_path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="read-only"):
            Store(folder / "roleplay.db")
    finally:
        folder.chmod(0o700)


# ---- 3. a damaged or newer database


@pytest.mark.parametrize("damage", ["garbage", "malformed"])
def test_a_damaged_database_is_never_overwritten_and_a_fresh_one_starts_beside_it(
        tmp_path: Path, damage: str) -> None:
    path = tmp_path / "roleplay.db"
    if damage == "garbage":
        path.write_bytes(os.urandom(8192))
    else:
        s = Store(path)
        s.rep("Ana")
        s.close()
        raw = bytearray(path.read_bytes())
        raw[100:4096] = os.urandom(4096 - 100)  # the header survives, the schema page does not
        path.write_bytes(bytes(raw))
    original = path.read_bytes()
    with pytest.raises(DamagedStore) as caught:
        Store(path)
    err = caught.value
    assert isinstance(err, StoreError)
    assert "is damaged" in str(err) and str(path) in str(err) and err.aside.name in str(err)
    assert err.aside.parent == path.parent
    assert path.read_bytes() == original  # untouched
    fresh = Store.open_fresh_beside(path)
    assert fresh.sessions() == [] and fresh.rep("Ana").name == "Ana"
    fresh.close()
    kept = [p for p in tmp_path.iterdir() if ".damaged-" in p.name and p.suffix == ".db"]
    assert len(kept) == 1 and kept[0].read_bytes() == original


def test_a_database_from_a_newer_roleplay_names_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "roleplay.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {VERSION + 3}")
    db.close()
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert f"format {VERSION + 3}" in str(caught.value) and f"up to {VERSION}" in str(caught.value)
    assert "Upgrade roleplay" in str(caught.value)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION + 3
    db.close()


@pytest.mark.parametrize("case", ["newer", "damaged"])
def test_history_on_a_bad_database_is_a_sentence_not_a_traceback(tmp_path, monkeypatch, capsys, case) -> None:
    from roleplay.cli import main

    monkeypatch.setenv("ROLEPLAY_DATA_DIR", str(tmp_path))
    path = tmp_path / "roleplay.db"
    if case == "newer":
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA user_version = {VERSION + 1}")
        db.close()
    else:
        path.write_bytes(b"this is not a database" * 100)
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    assert ("newer roleplay" if case == "newer" else "is damaged") in err


# ---- 5. ids


def test_session_ids_are_time_ordered_and_do_not_collide() -> None:
    ids = [new_session_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 and i.isalnum() and i == i.lower() for i in ids)
    assert ids == sorted(ids) or sorted(ids)[0][:10] <= ids[-1][:10]  # time first: ms prefix
    assert [i[:10] for i in ids] == sorted(i[:10] for i in ids)


def test_an_id_prefix_or_an_old_id_finds_its_session(store) -> None:
    rep = store.rep("Ana")
    made = [store.start_session(rep=rep, scenario_id="s", scenario_title="S", rubric_id="r",
                                difficulty="easy", buyer="b", judge="j", seed=1, state={})
            for _ in range(3)]
    store.db.execute("INSERT INTO sessions(id, rep_id, scenario_id, scenario_title, rubric_id, difficulty,"
                     " buyer, judge, seed, started) VALUES ('20250101-101010-ab12', ?, 's', 'S', 'r',"
                     " 'easy', 'b', 'j', 1, '2025-01-01T10:10:10+00:00')", (rep.id,))
    assert store.session("20250101-101010-ab12").id == "20250101-101010-ab12"
    for sid in made:
        assert store.session(sid).id == sid
        assert store.session(sid[:22].upper()).id == sid
    with pytest.raises(NotFound, match="More than one session"):
        store.session(made[0][:6])
    assert store.session("zzzzzzzz") is None


# ---- 6. a turn saves only what changed


async def test_past_states_are_written_once_each_and_redo_and_resume_use_them(lib, store) -> None:
    setup = Setup.from_library(lib, "price-objection", "easy")
    session = Session.begin(setup, store, store.rep("Ana"), seed=3)
    for line in LINES:
        await say(session, line)
    saved = store.session(session.id).state
    assert "past" not in saved  # the session row holds the state now, not 30 states before it
    rows = store.db.execute("SELECT turn_idx FROM past_states WHERE session_id = ? ORDER BY turn_idx",
                            (session.id,)).fetchall()
    assert [r[0] for r in rows] == [t.index for t in session.turns if t.speaker == "rep"]
    assert store.past_states(session.id, MAX_REDO) == [p.to_json() for p in session.past]
    assert session.undo_last() == LINES[-1]
    again = Session.resume(store, session.id, setup)
    assert [p.to_json() for p in again.past] == [p.to_json() for p in session.past]
    assert again.state.to_json() == session.state.to_json()
    assert again.undo_last() == LINES[-2]


async def test_a_session_saved_with_its_past_inline_resumes_and_redoes(lib, store) -> None:
    setup = Setup.from_library(lib, "price-objection", "easy")
    session = Session.begin(setup, store, store.rep("Ana"), seed=3)
    for line in LINES[:3]:
        await say(session, line)
    # The format before past states had their own table.
    legacy = {**session._persist(), "past": [p.to_json() for p in session.past]}
    store.db.execute("DELETE FROM past_states")
    store.save_state(session.id, legacy)
    again = Session.resume(store, session.id, setup)
    assert [p.to_json() for p in again.past] == [p.to_json() for p in session.past]
    assert again.undo_last() == LINES[2]
    assert again.undo_last() == LINES[1]
    assert len(store.past_states(session.id, MAX_REDO)) == 1


async def test_disk_full_while_saving_the_buyers_reply_keeps_it_to_ask_for_again(lib, store, backend) -> None:
    from roleplay.engine.session import BuyerTurnSaved

    error, words = _fault(backend)
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), store, store.rep("Ana"), seed=1)
    real = store.db

    class BuyerTurnFails(Faulty):
        def execute(self, sql: str, *args):  # noqa: ANN002, ANN201
            if "INTO turns" in sql and args and args[0][2] == "buyer":
                raise error
            return real.execute(sql, *args)

    store.db = BuyerTurnFails(real, "never", RuntimeError())
    with pytest.raises(StoreError, match=words):
        await say(session, LINES[0])
    assert session.pending is not None  # the reply is still owed, not silently dropped
    assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep"]
    store.db = real
    events = [e async for e in session.retry_reply()]
    assert any(isinstance(e, BuyerTurnSaved) for e in events)
    assert session.pending is None
    assert [t.speaker for t in store.turns(session.id)] == ["buyer", "rep", "buyer"]


def test_a_history_that_cant_be_opened_for_writing_is_still_read(lib, tmp_path, monkeypatch) -> None:
    path = tmp_path / "roleplay.db"
    s = Store(path)
    s.rep("Ana")
    s.set_pref("rep", "Ana")
    s.close()

    def cant_open(_path):  # noqa: ANN001, ANN202 - what SQLite says on a read-only mount (no -shm)
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(store_module, "_connect", cant_open)
    ro = Store(path)
    assert ro.read_only and ro.pref("rep") == "Ana" and ro.sessions() == []
    with pytest.raises(StoreError) as caught:
        ro.start_session(rep=ro.rep("Ana"), scenario_id="s", scenario_title="S", rubric_id="r",
                         difficulty="easy", buyer="b", judge="j", seed=1, state={})
    assert "can't be saved" in str(caught.value) and "read-only" in str(caught.value)
    ro.close()


@pytest.fixture
def tiny_disk(tmp_path: Path):  # noqa: ANN201
    """A real 300 KB tmpfs (needs root and mount rights; skipped elsewhere)."""
    import subprocess

    where = tmp_path / "tiny"
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip(reason="not root: a real full disk needs root to mount a 300 KB tmpfs "
                           "(the injected full-disk tests above cover the same code)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        why = mounted.stderr.strip() or f"exit {mounted.returncode}"
        pytest.skip(reason=f"mount refused a 300 KB tmpfs ({why}); the injected full-disk tests above "
                           "cover the same code")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill_up(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


async def test_a_really_full_disk_mid_session_and_at_start(lib, tiny_disk) -> None:
    path = tiny_disk / "roleplay.db"
    s = Store(path)
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), s, s.rep("Ana"), seed=1)
    await say(session, LINES[0])
    filler = _fill_up(tiny_disk)
    before = _snapshot(session)
    with pytest.raises(StoreError, match="the disk is full"):
        for line in LINES[1:] * 10:
            await say(session, line)
            before = _snapshot(session)
    assert _snapshot(session) == before
    s.close()
    try:  # opened again on the full disk: it reads, or it says the disk is full
        full = Store(path)
        assert [t.text for t in full.turns(session.id)] == [t.text for t in session.turns]
        full.close()
    except StoreError as err:
        assert "the disk is full" in str(err)
    filler.unlink()
    again = Store(path)
    assert [t.text for t in again.turns(session.id)] == [t.text for t in session.turns]
    again.close()


@pytest.mark.parametrize("existing", [False, True])
def test_opening_a_history_on_a_full_disk_says_the_disk_is_full(tiny_disk, existing) -> None:
    path = tiny_disk / "roleplay.db"
    if existing:
        Store(path).close()
    _fill_up(tiny_disk)
    with pytest.raises(StoreError) as caught:
        s = Store(path)
        s.set_pref("rep", "Ana")
    assert "the disk is full" in str(caught.value) and str(path) in str(caught.value)


def test_unknown_usage_reads_back_as_unknown_never_zero(tmp_path) -> None:  # noqa: ANN001
    from roleplay.store import Store

    store = Store(tmp_path / "u.db")
    sid = store.start_session(rep=store.rep("U"), scenario_id="s", scenario_title="S", rubric_id="r",
                              difficulty="easy", buyer="b", judge="j", seed=1, state={})
    store.add_usage(sid, 120, 40, None)
    row = store.session(sid)
    assert (row.prompt_tokens, row.completion_tokens, row.cost) == (120, 40, None)
    store.add_usage(sid, None, None, None)
    row = store.session(sid)
    assert (row.prompt_tokens, row.completion_tokens, row.cost) == (None, None, None)
    store.add_usage(sid, 10, 5, 0.25)
    assert store.sessions()[0].cost == 0.25


def test_plain_mode_prints_a_turn_it_could_not_save(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """A full disk mid-call: the words typed come back on screen before the sentence."""
    import asyncio
    import io

    from roleplay import plain
    from roleplay.engine.session import Session, Setup
    from roleplay.errors import StoreError
    from roleplay.store import Store

    lib = library.load([library.shipped_folder()])
    store = Store(tmp_path / "full.db")
    session = Session.begin(Setup.from_library(lib, "price-objection", "easy"), store, store.rep("F"), seed=1)

    monkeypatch.setattr(Store, "add_turn", lambda *a, **k: (_ for _ in ()).throw(
        StoreError("Your practice history can't be saved: the disk is full.")))
    out = io.StringIO()
    inp = io.StringIO("What are you comparing it to?\n")
    with pytest.raises(StoreError):
        asyncio.run(plain.run(session, "offline", out=out, inp=inp))
    assert "What are you comparing it to?" in out.getvalue().split("not saved")[-1]


async def test_a_paused_call_s_clock_and_draft_are_kept_until_it_ends(lib, store) -> None:
    """Before: every call's clock and draft stayed in prefs for ever, one pair per session."""
    from roleplay.store import session_pref_key

    rep = store.rep("Ana")
    store.set_pref("rep", "Ana")
    store.set_pref("skip-plan:Ana", "yes")
    setup = Setup.from_library(lib, "price-objection", "medium")
    ended, abandoned, paused = (Session.begin(setup, store, rep, seed=s) for s in (1, 2, 3))
    for s in (ended, abandoned, paused):
        store.set_pref(session_pref_key("clock", s.id), "42")
        store.set_pref(session_pref_key("draft", s.id), "half a sentence")
    store.set_pref("clock:01OLDSESSIONFINISHEDLONGAGO", "7")  # left by an older version
    await ended.end()
    store.abandon(abandoned.id)
    keys = {r[0] for r in store.db.execute("SELECT key FROM prefs")}
    assert keys == {"rep", "skip-plan:Ana", f"clock:{paused.id}", f"draft:{paused.id}"}


# ---- 3. a team practising at once


def _rep_practises(n: int, where: str, barrier, results) -> None:  # noqa: ANN001
    """One rep's whole offline call, in its own process, against the shared history."""
    import asyncio

    from roleplay import practice
    from roleplay.settings import Settings

    try:
        if where.startswith("postgresql://"):
            from roleplay.store_pg import PgStore

            store = PgStore(where)
        else:
            store = Store(Path(where))
        lib = library.load([library.shipped_folder()])
        barrier.wait()
        session = practice.open_session(Settings(offline=True), store, lib, "price-objection", "medium", [f"Rep {n}"])

        async def call() -> int:
            shown = 0
            for line in LINES:
                shown += sum(1 for e in [e async for e in session.say(line)] if isinstance(e, RepTurnSaved))
            await session.end()
            return shown

        shown = asyncio.run(call())
        store.close()
        results.put((n, session.id, shown, None))
    except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
        results.put((n, None, 0, f"{type(exc).__name__}: {exc}"))


def test_fifty_reps_practising_at_once_lose_no_turn(backend, database_url, tmp_path) -> None:  # noqa: ANN001
    reps = 50
    where = database_url or str(tmp_path / "roleplay.db")
    Store(Path(where)).close() if not database_url else None  # as the app would have: an existing history
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(reps, timeout=120), ctx.Queue()
    procs = [ctx.Process(target=_rep_practises, args=(n, where, barrier, results)) for n in range(reps)]
    for p in procs:
        p.start()
    done = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [d[3] for d in done if d[3]] == []  # 0 errors
    assert sorted(d[2] for d in done) == [len(LINES)] * reps  # every rep saw each of their turns saved
    if database_url:
        from roleplay.store_pg import PgStore

        store = PgStore(database_url)
    else:
        store = Store(Path(where))
    try:
        rows = store.sessions()
        assert len(rows) == reps and {r.status for r in rows} == {"finished"}
        assert sorted(r.rep for r in rows) == sorted(f"Rep {n}" for n in range(reps))
        for _, session_id, _, _ in done:
            turns = store.turns(session_id)
            assert [t.text for t in turns if t.speaker == "rep"] == LINES  # 0 lost turns
            assert len(turns) == 2 * len(LINES) + 1 and all(t.grades for t in turns if t.speaker == "rep")
    finally:
        store.close()


def test_a_format_7_history_keeps_its_plans_and_remembered_choices_through_upgrade_8(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "roleplay.db"
    db = sqlite3.connect(path)
    for step in store_module._UPGRADES[:7]:
        for statement in store_module._split(step):
            db.execute(statement)
    db.execute("INSERT INTO reps(name, created) VALUES ('Ana', '2026-11-01T09:00:00+00:00')")
    db.execute("INSERT INTO plans VALUES (1, 'price-objection', '{\"objective\": \"a meeting\"}', '2026-11-01')")
    db.execute("INSERT INTO prefs VALUES ('rep', 'Ana')")
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    s = Store(path)
    try:
        ana = s.rep("Ana")
        assert s.pref("rep") == "Ana" and s.plan(ana, "price-objection") == {"objective": "a meeting"}
        s.set_pref("rep", "Ben")
        s.save_plan(ana, "price-objection", {"objective": "two meetings"})
        assert s.pref("rep") == "Ben" and s.plan(ana, "price-objection") == {"objective": "two meetings"}
        assert s.db.execute("SELECT count(*) FROM prefs").fetchone()[0] == 1
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 8
    finally:
        s.close()
