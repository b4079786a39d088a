"""Report generation time for a team: 200 reps x 50 finished sessions (10,000).

A temp store is filled the quick way (bench/home_paint.py's FILL does the same): three real
offline practice calls (a weak, a strong and a won one, with their turns, grades and
scorecards, so rows are the size they are in use), then copied with SQL, each copy with its
own id, rep and start time (a session every ~half a day over ten weeks), the template chosen
so each rep's scores move; an observer marked 1 session in 50.

Timed, median of RUNS after a warm-up, all in this process against the same file:

  baseline   reading those sessions' rows alone (SELECT s.* of the finished sessions, fetched)
  build      build_report(team=True): every figure, for every rep
  + md/json/csv/html   build_report and then writing it in that format
  one rep    build_report(rep=...) for one rep of the 200

Then the same on PostgreSQL (roleplay/store_pg.py): a throwaway local server (tests/pgserver.py,
Cluster(durable=True), the server defaults) on 127.0.0.1, a fresh database set up by PgStore,
the filled SQLite rows copied into it table by table with COPY (each session's owner set to a
login per rep, as a team's rows have), then VACUUM ANALYZE (as autovacuum would soon after a
bulk load). The same lines are printed, with PostgreSQL's own baseline (the same SELECT through
the PgStore's connection), first connected as the database's owner (a superuser: row-level
security does not apply), then as a login in the roleplay_manager role (who reads the whole
team's history through row-level security, as a team's manager does; baseline and build only).
If no PostgreSQL server can be started here, the reason is printed and SQLite alone is run.

    python bench/report_speed.py [RUNS] [REPS] [SESSIONS_PER_REP]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roleplay import library, report  # noqa: E402
from roleplay.practice import open_session  # noqa: E402
from roleplay.settings import Settings  # noqa: E402
from roleplay.store import Store, new_session_id  # noqa: E402

WEAK = ["I understand, that's a fair concern.", "I can take 5% off if you sign this week."]
STRONG = ["That makes sense. What would need to be true for this to be a priority this quarter?",
          "How are you handling it today, and what does that cost your team each week?",
          "Could we book 30 minutes on Thursday at 10 with you and your VP to walk through it?"]
GOOD = ["That's a fair reaction. What are you comparing it to?",
        "What does a spoiled load cost you when it happens?",
        "How is MedCo reacting to the two incidents this quarter?",
        "Who else weighs in on a decision like this, besides you?",
        "Could we get 30 minutes with you and Mark on Thursday at 10 to walk through the spoilage numbers?"]


def play(store: Store, lib, lines: list[str]) -> str:  # noqa: ANN001
    session = open_session(Settings(offline=True), store, lib, "price-objection", "easy", ["Template"], seed=1)

    async def go() -> None:
        for line in lines:
            async for _ in session.say(line):
                pass
            if session.over:
                break
        await session.end()

    asyncio.run(go())
    return session.id


def fill(path: Path, reps: int, per_rep: int) -> tuple[Store, float]:
    t0 = time.perf_counter()
    store = Store(path)
    lib = library.load([library.shipped_folder()])
    templates = [play(store, lib, lines) for lines in (WEAK, STRONG, GOOD)]
    db = store.db
    cols = [r[1] for r in db.execute("PRAGMA table_info(sessions)")]
    picks = ", ".join("?" if c in ("id", "started", "rep_id") else c for c in cols)
    start = datetime(2025, 1, 6, 9, tzinfo=timezone.utc)
    with store._tx():
        for i in range(reps):
            db.execute("INSERT INTO reps(name, created) VALUES (?, ?)", (f"Rep {i:03d}", start.isoformat()))
        rep_ids = [r[0] for r in db.execute("SELECT id FROM reps WHERE name LIKE 'Rep %' ORDER BY name")]
        for n, rep_id in enumerate(rep_ids):
            for k in range(per_rep):
                # early sessions weaker, later stronger, with some noise by rep
                template = templates[0 if k < per_rep * (0.3 + (n % 5) / 20) else 1 + (k + n) % 2]
                sid = new_session_id()
                started = (start + timedelta(hours=k * 33 + n % 24)).isoformat(timespec="seconds")
                values = {"id": sid, "started": started, "rep_id": rep_id}
                db.execute(f"INSERT INTO sessions({', '.join(cols)}) SELECT {picks} FROM sessions WHERE id = ?",
                           [values[c] for c in cols if c in values] + [template])
                db.execute("INSERT INTO turns SELECT ?, idx, speaker, text, note, interrupted, hint_used, created,"
                           " author FROM turns WHERE session_id = ?", (sid, template))
                db.execute("INSERT INTO grades SELECT ?, turn_idx, criterion, source, verdict, score, evidence,"
                           " reason FROM grades WHERE session_id = ?", (sid, template))
                if (n * per_rep + k) % 50 == 0:
                    db.execute("INSERT INTO marks(session_id, turn_idx, kind, criterion, note, observer, created)"
                               " VALUES (?, 1, 'missed', NULL, '', 'Manager', ?), (?, 1, 'good', 'acknowledge',"
                               " '', 'Manager', ?)", (sid, started, sid, started))
        db.execute(f"DELETE FROM sessions WHERE id IN ({','.join('?' * len(templates))})", templates)
        db.execute("DELETE FROM reps WHERE name = 'Template'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store, time.perf_counter() - t0


def timed(fn, runs: int) -> float:  # noqa: ANN001
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


TABLES = ("reps", "teams", "sessions", "turns", "grades", "past_states", "marks", "plans", "prefs")


def copy_to_pg(store: Store, url: str) -> tuple[Store, float]:
    """A PgStore at `url` (a new, empty database) holding every row of the SQLite `store`."""
    from roleplay.store_pg import PgStore

    t0 = time.perf_counter()
    pg = PgStore(url)  # sets the database up: the schema, roles, policies
    raw = pg.db.raw
    for table in TABLES:
        cols = [r[1] for r in store.db.execute(f"PRAGMA table_info({table})")]
        # The owner is the login that wrote the row (NULL on SQLite): one login per rep here.
        # Tables without a rep keep PostgreSQL's default for it (the login copying them).
        picks = [("'rep_' || rep_id" if "rep_id" in cols else None) if c == "owner" else c for c in cols]
        names = [c for c, p in zip(cols, picks, strict=True) if p is not None]
        picks = [p for p in picks if p is not None]
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in store.db.execute(f"SELECT {', '.join(picks)} FROM {table}"):
                copy.write_row(tuple(row))
    for table in ("reps", "marks"):  # rows copied with their ids: the identity goes on after them
        raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false)"
                    f" FROM {table}")
    raw.execute("VACUUM ANALYZE")
    return pg, time.perf_counter() - t0


def bench(store: Store, lib, runs: int, *, every_format: bool = True) -> None:  # noqa: ANN001
    """The timed lines for one store (each against that store's own baseline)."""
    def baseline() -> None:
        store.db.execute("SELECT s.* FROM sessions s WHERE s.status = 'finished'").fetchall()

    base = timed(baseline, runs)
    build = timed(lambda: report.build_report(store, lib, team=True), runs)
    print(f"  baseline: read the sessions' rows alone  {base:8.1f} ms")
    print(f"  build_report, team                      {build:8.1f} ms  ({build / base:.1f}x baseline)")
    if every_format:
        for fmt in report.FORMATS:
            ms = timed(lambda fmt=fmt: report.build_report(store, lib, team=True).text(fmt), runs)
            print(f"  build + {fmt:<4}                           {ms:8.1f} ms  ({ms / base:.1f}x baseline)")
    one = timed(lambda: report.build_report(store, lib, rep="Rep 100"), runs)
    print(f"  build_report, one rep                   {one:8.1f} ms")
    r = report.build_report(store, lib, team=True)
    print(f"  the report: {len(r.reps)} reps, {r.sessions:,} sessions, html {len(r.html()) / 1e6:.1f} MB")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    per_rep = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    with tempfile.TemporaryDirectory(prefix="roleplay-report-bench-") as folder:
        store, filled = fill(Path(folder) / "roleplay.db", reps, per_rep)
        lib = library.load([library.shipped_folder()])
        count = store.db.execute("SELECT count(*) FROM sessions WHERE status = 'finished'").fetchone()[0]
        size = (Path(folder) / "roleplay.db").stat().st_size
        print(f"{reps} reps x {per_rep} sessions: {count:,} finished sessions, {size / 1e6:.1f} MB "
              f"(filled in {filled:.1f} s); median of {runs} runs after a warm-up")
        print("SQLite (a temp file, WAL)")
        bench(store, lib, runs)
        pg_bench(store, lib, runs)
        store.close()


def pg_bench(store: Store, lib, runs: int) -> None:  # noqa: ANN001
    from tests import pgserver

    why_not = pgserver.unavailable()
    cluster = None
    if why_not is None:
        try:
            cluster = pgserver.Cluster(durable=True)
        except RuntimeError as exc:
            why_not = f"the server did not start ({' '.join(str(exc).split())[:300]})"
    if cluster is None:
        print(f"PostgreSQL not run: {why_not}")
        return
    try:
        from roleplay.store_pg import MANAGER_ROLE, PgStore

        database = cluster.new_database("report")
        pg, copied = copy_to_pg(store, cluster.url(database))
        version = pg.db.execute("SHOW server_version").fetchone()[0]
        size = pg.db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        count = pg.db.execute("SELECT count(*) FROM sessions WHERE status = 'finished'").fetchone()[0]
        print(f"PostgreSQL {version} (a local server on 127.0.0.1, server defaults): the same {count:,} sessions, "
              f"{size / 1e6:.1f} MB (copied from the SQLite file in {copied:.1f} s, then VACUUM ANALYZE)")
        print(f"  as the database's owner ({pg.login}, a superuser: row-level security does not apply)")
        bench(pg, lib, runs)
        pg.close()
        password = cluster.new_login("report_manager", MANAGER_ROLE)
        manager = PgStore(cluster.url(database, user="report_manager", password=password))
        print("  as a manager's login (member of roleplay_manager: reads every rep's rows through row-level security)")
        bench(manager, lib, runs, every_format=False)
        manager.close()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
