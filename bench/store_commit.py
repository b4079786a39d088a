"""Turn commit latency on SQLite and on PostgreSQL (roleplay/store.py, roleplay/store_pg.py).

Every turn and its grades are committed before they are shown, so a commit's latency is
part of every turn the rep waits for. Timed per backend, interleaved in blocks (a call's 20
commits, 10 turns, 10 reads for one backend, then the next, the order turning each round) so a
busy machine's drift hits them alike:

  add_turn   `store.add_turn(session_id, turn, state=..., past=...)` exactly as the engine
             makes it for a rep turn: the turn with its signal grades (the judge's grades
             follow in a commit of their own), the buyer state after it and the state before
             it (for redo), all taken from one real offline call played first (price-objection,
             medium), in one transaction. Each timed commit is a new turn of the call (a new
             session, started untimed, every 20 rounds). Interleaved with it, the same turn
             carrying all the grades it ends up with (signals' and judge's: 8), as one commit.
  turn       a whole offline turn end to end: `async for _ in session.say(line)` (signals,
             grades, the scripted buyer, 3 commits: the rep turn, the buyer's, the judge's
             grades), a new session whenever one ends.
  home reads the one-rep reads home makes, with 200 finished sessions of that rep's history
             (copies of the real call, written through the store's own methods):
             `sessions(rep, limit=20, light=True)` and `count_sessions(rep)`.

Backends:

  baseline           the same Store on SQLite in memory: the store's own work (JSON, SQL,
                     the transaction) with no disk under it.
  SQLite             a temp file opened as the app opens it: WAL, synchronous=NORMAL. In WAL
                     with NORMAL a commit is NOT fsynced: it is durable against the process
                     dying, not against a power cut (only checkpoints sync).
  PostgreSQL         a throwaway local PostgreSQL server (tests/pgserver.py, Cluster(durable=
                     True): the server defaults, fsync=on, synchronous_commit=on), on 127.0.0.1
                     over TCP, on the same disk as the SQLite file: each COMMIT waits until its WAL is
                     flushed to disk. So SQLite vs PostgreSQL here is "no fsync" vs "an fsync per
                     commit", plus the network round trips; the next row shows the fsync's share.
  PG sync off        the same server, `SET synchronous_commit = off` on the store's connection:
                     commits return before the WAL is flushed (as SQLite's NORMAL does).
  PG as a rep        the same server, durable, connected as a rep's own login (member of
                     roleplay_rep, not a superuser), so row-level security checks every row,
                     as it does for a team.

Also a PostgreSQL round trip (`SELECT 1` on the store's connection), the floor for any
statement; add_turn makes 5 round trips plus one pipelined batch for the grades
(BEGIN, the turn, the grades, the past state, the session's state, COMMIT).

Percentiles are nearest rank. If PostgreSQL can't be started here (tests.pgserver.unavailable()),
that is printed and SQLite alone is timed.

    python bench/store_commit.py [N_COMMITS] [N_TURNS] [N_READS]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roleplay import library  # noqa: E402
from roleplay.practice import open_session  # noqa: E402
from roleplay.settings import Settings  # noqa: E402
from roleplay.store import CALL, Store  # noqa: E402
from tests import pgserver  # noqa: E402

LINES = ["That's a fair reaction. What are you comparing it to?",
         "What does a spoiled load cost you when it happens?",
         "How is MedCo reacting to the two incidents this quarter?",
         "Who else weighs in on a decision like this, besides you?",
         "I could knock ten percent off if you sign this month.",
         "Could we get 30 minutes with you and Mark on Thursday at 10 to walk through the numbers?"]
TURN_LINES = LINES + [
    "I hear you, forty-eight thousand is a real jump from what you pay Fleetwise today.",
    "Our sensors log temperature every thirty seconds and alert your dispatcher before anything warms up.",
    "So if I understand you right, the real risk is losing a customer, not the monthly fee?",
    "Just checking in on my last note, did you get a chance to look at the proposal?"]
HISTORY = 200  # finished sessions of the rep whose home is read
PER_CALL = 20  # rounds of timed commits per session


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Template:
    """One real offline call: its rep turn's add_turn, as the engine made it, and the whole call."""

    def __init__(self, lib, folder: Path):  # noqa: ANN001
        store = Store(folder / "template.db")
        calls: list[tuple] = []
        real = store.add_turn

        def record(session_id, turn, state=None, past=None):  # noqa: ANN001, ANN202
            calls.append((turn.model_copy(deep=True), state, past))
            return real(session_id, turn, state=state, past=past)

        store.add_turn = record
        session = open_session(Settings(offline=True), store, lib, "price-objection", "medium", ["Ana"], seed=7)

        async def go() -> None:
            for line in LINES:
                async for _ in session.say(line):
                    pass
                if session.over:
                    break
            await session.end()

        asyncio.run(go())
        # the engine's add_turn of the rep turn with the most signal grades, as it was called
        self.turn, self.state, self.past = max((c for c in calls if c[0].speaker == "rep"),
                                               key=lambda c: len(c[0].grades))
        self.row = store.session(session.id)
        self.turns = store.turns(session.id)
        # the same rep turn with every grade it ends up with (its signal grades, then the judge's,
        # which the engine commits separately with add_grades): the ~8-grade turn
        self.full = max((x for x in self.turns if x.speaker == "rep"), key=lambda x: len(x.grades))
        self.call_grades = store.call_grades(session.id)
        self.pasts = {t.index: p for t, _, p in calls if p is not None}
        self.final_state = self.row.state
        store.close()

    def copy_into(self, store: Store, rep_name: str, n: int) -> None:
        """n finished copies of the call for `rep_name`, through the store's methods, started an
        hour apart going back from now."""
        rep = store.rep(rep_name)
        r = self.row
        now = datetime.now(timezone.utc)
        for k in range(n):
            sid = store.start_session(rep=rep, scenario_id=r.scenario_id, scenario_title=r.scenario_title,
                                      rubric_id=r.rubric_id, difficulty=r.difficulty, buyer=r.buyer,
                                      judge=r.judge, seed=r.seed, state=self.final_state)
            for t in self.turns:
                store.add_turn(sid, t, state=self.final_state, past=self.pasts.get(t.index))
            store.add_grades(sid, CALL, self.call_grades)
            store.finish(sid, outcome=r.outcome, score=r.score, passed=r.passed, scorecard=r.scorecard)
            started = (now - timedelta(hours=n - k)).isoformat(timespec="seconds")
            with store._tx():
                store.db.execute("UPDATE sessions SET started = ?, ended = ? WHERE id = ?", (started, started, sid))


class Backend:
    def __init__(self, name: str, store: Store, note: str):
        self.name, self.store, self.note = name, store, note
        self.commits: list[float] = []  # the engine's add_turn
        self.full: list[float] = []  # the same with the turn's full set of grades
        self.turns: list[float] = []
        self.reads: dict[str, list[float]] = {"sessions": [], "count": []}
        self.session_id: str | None = None
        self.rep = None
        self.live = None  # the session of the end-to-end turns

    @property
    def pg(self) -> bool:
        return type(self.store).__name__ == "PgStore"


def commit_once(b: Backend, t: Template, i: int, lib) -> None:  # noqa: ANN001
    """One timed add_turn (a new untimed session every PER_CALL commits)."""
    store = b.store
    if i % PER_CALL == 0:
        b.rep = b.rep or store.rep("Bench")
        r = t.row
        b.session_id = store.start_session(rep=b.rep, scenario_id=r.scenario_id, scenario_title=r.scenario_title,
                                           rubric_id=r.rubric_id, difficulty=r.difficulty, buyer=r.buyer,
                                           judge=r.judge, seed=r.seed, state=t.state)
    index = 1 + 2 * (i % PER_CALL)
    turn = t.turn.model_copy(update={"index": index})
    t0 = time.perf_counter()
    store.add_turn(b.session_id, turn, state=t.state, past=t.past)
    b.commits.append(time.perf_counter() - t0)
    turn = t.full.model_copy(update={"index": index + 1})
    t0 = time.perf_counter()
    store.add_turn(b.session_id, turn, state=t.state, past=t.past)
    b.full.append(time.perf_counter() - t0)


async def turn_once(b: Backend, i: int, lib) -> None:  # noqa: ANN001
    """One timed offline turn, end to end (a new untimed session whenever one ends)."""
    if b.live is None or b.live.over:
        if b.live is not None:
            await b.live.end()
        b.live = open_session(Settings(offline=True), b.store, lib, "price-objection", "medium", ["Bench"],
                              seed=1000 + i)
    t0 = time.perf_counter()
    async for _ in b.live.say(TURN_LINES[i % len(TURN_LINES)]):
        pass
    b.turns.append(time.perf_counter() - t0)


def read_once(b: Backend) -> None:
    t0 = time.perf_counter()
    rows = b.store.sessions("Ana", limit=20, light=True)
    t1 = time.perf_counter()
    count = b.store.count_sessions("Ana")
    t2 = time.perf_counter()
    assert len(rows) == 20 and count == HISTORY, (b.name, len(rows), count)
    b.reads["sessions"].append(t1 - t0)
    b.reads["count"].append(t2 - t1)


def line(label: str, values: list[float], base: float | None) -> str:
    p50, p95, mean = pct(values, 50) * 1e3, pct(values, 95) * 1e3, statistics.fmean(values) * 1e3
    ratio = f"{p50 / (base * 1e3):8.1f}x" if base else "        -"
    return f"  {label:<44} {p50:8.3f} {p95:8.3f} {mean:8.3f} {len(values):6d}  {ratio}"


HEAD = f"  {'':<44} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'n':>6}  {'p50 vs baseline':>8}"


def blocks(backends: list[Backend], n: int, block: int) -> Iterator[tuple[Backend, int]]:
    """(backend, i) for i in range(n) per backend: `block` in a row for one backend, then the next,
    the order turning round by round, so drift hits every backend alike and none always follows
    another (a call that waited on a socket leaves the next one a colder start)."""
    for start in range(0, n, block):
        k = start // block % len(backends)
        for b in backends[k:] + backends[:k]:
            for i in range(start, min(n, start + block)):
                yield b, i


def drop_warmup(backends: list[Backend], warmup: int) -> None:
    for b in backends:
        for values in (b.commits, b.full, b.turns, *b.reads.values()):
            del values[:warmup]


def main() -> None:
    n_commits = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    n_turns = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    n_reads = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    lib = library.load([library.shipped_folder()])
    why_not = pgserver.unavailable()
    cluster = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="roleplay-commit-bench-") as tmp:
        folder = Path(tmp)
        t = Template(lib, folder)
        backends = [
            Backend("baseline: SQLite in memory (no disk)", Store(Path(":memory:")), ""),
            Backend("SQLite file, WAL, synchronous=NORMAL", Store(folder / "roleplay.db"),
                    "the app's own: a commit is written to the WAL, NOT fsynced (a power cut may "
                    "lose the last commits; a killed process loses none)"),
        ]
        pg_version = ""
        if why_not is None:
            cluster = pgserver.Cluster(durable=True)
        try:
            if cluster is not None:
                from roleplay.store_pg import REP_ROLE, PgStore

                durable = PgStore(cluster.url(cluster.new_database("commit")))
                pg_version = durable.db.execute("SHOW server_version").fetchone()[0]
                settings = {k: durable.db.execute(f"SHOW {k}").fetchone()[0]
                            for k in ("fsync", "synchronous_commit", "wal_sync_method")}
                lazy = PgStore(cluster.url(cluster.new_database("commit_async")))
                lazy.db.execute("SET synchronous_commit = off")
                rep_db = cluster.new_database("commit_rep")
                PgStore(cluster.url(rep_db)).close()  # the owner sets the database up (roles, grants, policies)
                password = cluster.new_login("bench_rep", REP_ROLE)
                as_rep = PgStore(cluster.url(rep_db, user="bench_rep", password=password))
                backends += [
                    Backend("PostgreSQL, server defaults", durable,
                            "fsync={fsync}, synchronous_commit={synchronous_commit}, wal_sync_method="
                            "{wal_sync_method}: each COMMIT waits for its WAL to be flushed to disk"
                            .format(**settings)),
                    Backend("PostgreSQL, synchronous_commit=off", lazy,
                            "SET for the store's session: COMMIT returns before the WAL flush, as SQLite's NORMAL"),
                    Backend("PostgreSQL, defaults, as a rep's login", as_rep,
                            "member of roleplay_rep, not a superuser: row-level security checks each row"),
                ]
            print(f"Turn commit latency, SQLite vs PostgreSQL {pg_version or '(not run)'}; SQLite in {tmp}"
                  + (f", PostgreSQL's data in {cluster.root} (the same disk)" if cluster else ""))
            if why_not is not None:
                print(f"  PostgreSQL not run: {why_not}")
            for b in backends[1:]:
                print(f"  {b.name}: {b.note}")
            print("  NB: SQLite's WAL + synchronous=NORMAL does not fsync each commit; PostgreSQL's default "
                  "(synchronous_commit=on) does. The synchronous_commit=off row shows what that fsync costs.")
            print(f"  add_turn of a rep turn as the engine makes it: {len(t.turn.grades)} grades (the signals'; "
                  f"the judge's come in their own commit), state {len(json.dumps(t.state))} B, past state "
                  f"{len(json.dumps(t.past))} B (from a real offline call of {len(t.turns)} turns); also the "
                  f"same turn with all {len(t.full.grades)} grades it ends up with")

            # -- 1. add_turn
            for b, i in blocks(backends, PER_CALL + n_commits, PER_CALL):
                commit_once(b, t, i, lib)
            drop_warmup(backends, PER_CALL)
            base = pct(backends[0].commits, 50)
            print()
            print(f"1. store.add_turn, one rep turn's commit ({n_commits} per backend, interleaved in "
                  "blocks of 20, after 20 warm-up)")
            print(HEAD)
            for b in backends:
                print(line(b.name, b.commits, base))
            print(f"  the same turn with {len(t.full.grades)} grades (each right after one of the above)")
            for b in backends:
                print(line("  " + b.name, b.full, base))
            pgs = [b for b in backends if b.pg]
            if pgs:
                trips = []
                for _ in range(n_commits):
                    t0 = time.perf_counter()
                    pgs[0].store.db.execute("SELECT 1").fetchone()
                    trips.append(time.perf_counter() - t0)
                print(line("PostgreSQL round trip alone (SELECT 1)", trips, base))
                sqlite_p50 = pct(backends[1].commits, 50)
                for b in pgs:
                    print(f"  {b.name + ' / SQLite file, p50':<58} {pct(b.commits, 50) / sqlite_p50:8.1f}x")
                print(f"  {'PostgreSQL defaults / synchronous_commit=off, p50':<58} "
                      f"{pct(pgs[0].commits, 50) / pct(pgs[1].commits, 50):8.1f}x  (the fsync's share)")

            # -- 2. a whole offline turn
            asyncio.run(_turns(backends, n_turns, lib))
            base = pct(backends[0].turns, 50)
            print()
            print(f"2. a whole offline turn, session.say(line) end to end: 3 commits ({n_turns} per backend, "
                  "interleaved in blocks of 10, after 10 warm-up)")
            print(HEAD)
            for b in backends:
                print(line(b.name, b.turns, base))

            # -- 3. home's one-rep reads, 200 sessions of history
            fill0 = time.perf_counter()
            for b in backends:
                if not b.pg:
                    t.copy_into(b.store, "Ana", HISTORY)
                    continue
                # the fill is not timed: no need to wait for each of its ~3,000 fsyncs
                setting = b.store.db.execute("SHOW synchronous_commit").fetchone()[0]
                b.store.db.execute("SET synchronous_commit = off")
                t.copy_into(b.store, "Ana", HISTORY)
                b.store.db.execute(f"SET synchronous_commit = {setting}")
                with cluster.admin(b.store.db.raw.info.dbname) as admin:
                    admin.execute("VACUUM ANALYZE")  # as autovacuum would, a minute later
            filled = time.perf_counter() - fill0
            for b, _ in blocks(backends, 10 + n_reads, 10):
                read_once(b)
            drop_warmup(backends, 10)
            print()
            print(f"3. home's one-rep reads: '{'Ana'}' with {HISTORY} finished sessions (plus the bench's own "
                  f"'Bench' sessions; filled in {filled:.1f} s, then VACUUM ANALYZE on PostgreSQL), "
                  f"{n_reads} each, interleaved in blocks of 10, after 10 warm-up")
            print(HEAD)
            for key, what in (("sessions", "sessions(rep, limit=20, light=True)"), ("count", "count_sessions(rep)")):
                base = pct(backends[0].reads[key], 50)
                print(f"  {what}")
                for b in backends:
                    print(line("  " + b.name, b.reads[key], base))
            for b in backends:
                if b.live is not None and not b.live.over:
                    asyncio.run(b.live.end())
                b.store.close()
        finally:
            if cluster is not None:
                cluster.stop()
    print()
    print(f"whole run {time.perf_counter() - started:.1f} s")


async def _turns(backends: list[Backend], n: int, lib) -> None:  # noqa: ANN001
    for b, i in blocks(backends, 10 + n, 10):
        await turn_once(b, i, lib)
    drop_warmup(backends, 10)


if __name__ == "__main__":
    main()
