"""A team's shared history on PostgreSQL, with real logins: a rep's login reads and writes only
its own sessions (their turns, grades, marks, plans and remembered choices), whatever SQL it
writes by hand; a manager's login reads the whole team's and changes none of it. The database
is set up by its owner; a rep's login can't set it up, and is told so in a sentence."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import psycopg
import pytest
from psycopg import errors as pg_errors

from roleplay import practice
from roleplay.errors import StoreError
from roleplay.settings import Settings
from roleplay.store_pg import PgStore, team_roles

OFFLINE = Settings(offline=True)
ACK = "That's a fair reaction. What are you comparing it to?"
COST = "What does a spoiled load cost you when it happens?"


class Team:
    def __init__(self, cluster, database: str):  # noqa: ANN001 - pgserver.Cluster
        self.cluster, self.database = cluster, database
        self.rep_role, self.manager_role = team_roles(database)
        self.login: dict[str, str] = {}
        self.url: dict[str, str] = {}

    def add(self, who: str, *roles: str) -> str:
        login = f"{who}_{self.database}"  # logins are the server's, not the database's: one per test
        password = self.cluster.new_login(login, *roles)
        self.login[who], self.url[who] = login, self.cluster.url(self.database, login, password)
        return self.url[who]

    def sql(self, who: str) -> psycopg.Connection:
        """A bare connection as `who`: hand-written SQL, no roleplay in between."""
        return psycopg.connect(self.url[who], autocommit=True)


@pytest.fixture
def team(pg_cluster, lib) -> Team:  # noqa: ANN001
    t = Team(pg_cluster, pg_cluster.new_database("team"))
    PgStore(pg_cluster.url(t.database)).close()  # the database's owner sets it up, once
    t.add("ana", t.rep_role)
    t.add("ben", t.rep_role)
    t.add("maya", t.manager_role)
    return t


def practise(url: str, lib, rep: str, lines: list[str], *, mark: bool = False) -> str:  # noqa: ANN001
    store = PgStore(url)
    try:
        s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", [rep])

        async def go() -> None:
            for line in lines:
                [e async for e in s.say(line)]
            await s.end()

        asyncio.run(go())
        store.set_pref("rep", rep)
        store.save_plan(s.rep, "price-objection", {"objective": f"{rep}'s own plan"})
        if mark:
            store.add_mark(s.id, 1, "good", note=f"{rep} marked")
        return s.id
    finally:
        store.close()


def test_a_rep_s_login_reads_and_writes_only_its_own_sessions(team, lib) -> None:  # noqa: ANN001
    ana_call = practise(team.url["ana"], lib, "Ana", [ACK, COST], mark=True)
    ben_call = practise(team.url["ben"], lib, "Ben", [ACK], mark=True)

    ben = PgStore(team.url["ben"])
    assert [r.id for r in ben.sessions()] == [ben_call]
    assert ben.session(ana_call) is None and ben.session(ana_call[:10]) is None
    assert ben.turns(ana_call) == [] and ben.marks(ana_call) == [] and ben.call_grades(ana_call) == []
    assert ben.count_sessions() == 1 and ben.count_sessions("Ana") == 0
    assert ben.report_sessions() and {r[1] for r in ben.report_sessions()} == {"Ben"}
    assert ben.pref("rep") == "Ben"  # Ana's remembered choice is hers
    assert not ben.is_manager()
    own_turns = len(ben.turns(ben_call))
    ben.close()

    with team.sql("ben") as db:
        def count(sql: str) -> int:
            return db.execute(sql, (ana_call,)).fetchone()[0]

        for table in ("turns", "grades", "past_states", "marks"):
            assert count(f"SELECT count(*) FROM {table} WHERE session_id = %s") == 0, table
        assert count("SELECT count(*) FROM sessions WHERE id = %s") == 0
        assert db.execute("SELECT count(*) FROM turns").fetchone()[0] == own_turns == 3
        assert {r[0] for r in db.execute("SELECT value FROM prefs")} == {"Ben"}
        assert db.execute("SELECT count(*) FROM plans").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM teams").fetchone()[0] == 0
        # changing or deleting a colleague's rows touches nothing
        assert db.execute("UPDATE sessions SET score = 100 WHERE id = %s", (ana_call,)).rowcount == 0
        assert db.execute("UPDATE turns SET text = 'x' WHERE session_id = %s", (ana_call,)).rowcount == 0
        assert db.execute("DELETE FROM grades WHERE session_id = %s", (ana_call,)).rowcount == 0
        # writing into a colleague's session, or a session in their name, is refused
        with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
            db.execute("INSERT INTO turns(session_id, idx, speaker, text, created) VALUES (%s, 99, 'rep', 'x', '')",
                       (ana_call,))
        with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
            db.execute("UPDATE sessions SET owner = %s WHERE id = %s", (team.login["ana"], ben_call))
        with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
            db.execute("INSERT INTO sessions(id, rep_id, scenario_id, scenario_title, rubric_id, difficulty, buyer,"
                       " judge, seed, started, owner) SELECT 'forged', rep_id, scenario_id, scenario_title, rubric_id,"
                       " difficulty, buyer, judge, seed, started, %s FROM sessions", (team.login["ana"],))
        # nor can the rules be switched off, or the colleague's login borrowed
        with pytest.raises(pg_errors.InsufficientPrivilege):
            db.execute("ALTER TABLE turns DISABLE ROW LEVEL SECURITY")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            db.execute(f'SET ROLE "{team.login["ana"]}"')
        with pytest.raises(pg_errors.InsufficientPrivilege):
            db.execute(f'SET ROLE "{team.manager_role}"')

    with team.sql("ana") as db:  # and all of Ana's is still there, as she left it
        assert db.execute("SELECT score FROM sessions WHERE id = %s", (ana_call,)).fetchone()[0] != 100
        assert db.execute("SELECT count(*) FROM turns WHERE session_id = %s", (ana_call,)).fetchone()[0] == 5
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


def test_a_manager_s_login_reads_the_team_and_changes_none_of_it(team, lib) -> None:  # noqa: ANN001
    ana_call = practise(team.url["ana"], lib, "Ana", [ACK, COST], mark=True)
    ben_call = practise(team.url["ben"], lib, "Ben", [ACK])

    maya = PgStore(team.url["maya"])
    assert maya.is_manager()
    assert {r.id for r in maya.sessions()} == {ana_call, ben_call}
    assert [t.text for t in maya.turns(ana_call) if t.speaker == "rep"] == [ACK, COST]
    assert [m.note for m in maya.marks(ana_call)] == ["Ana marked"]
    assert {r[1] for r in maya.report_sessions()} == {"Ana", "Ben"}
    assert maya.pref("rep") is None  # a rep's remembered choices (and the words of a paused call) stay theirs
    maya.close()

    with team.sql("maya") as db:
        assert db.execute("SELECT count(*) FROM turns").fetchone()[0] == 5 + 3
        assert db.execute("SELECT count(*) FROM prefs").fetchone()[0] == 0
        assert db.execute("UPDATE turns SET text = 'x' WHERE session_id = %s", (ana_call,)).rowcount == 0
        assert db.execute("DELETE FROM sessions WHERE id = %s", (ben_call,)).rowcount == 0
        assert db.execute("UPDATE marks SET note = 'x'").rowcount == 0

    # the team report, run on the manager's login, has every rep
    env = {"ROLEPLAY_DATABASE_URL": team.url["maya"], "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    out = subprocess.run([sys.executable, "-m", "roleplay", "report", "--team", "--format", "csv"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Ana" in out.stdout and "Ben" in out.stdout


def test_a_login_without_the_rep_role_is_told_in_a_sentence(team, lib) -> None:  # noqa: ANN001
    url = team.add("stranger")
    with pytest.raises(StoreError) as caught:
        practise(url, lib, "Sam", [ACK])
    message = str(caught.value)
    assert f"your login ({team.login['stranger']}) is not allowed" in message
    assert f"roleplay database --add-rep {team.login['stranger']}" in caught.value.hint
    assert "password" not in message
    env = {"ROLEPLAY_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    out = subprocess.run([sys.executable, "-m", "roleplay", "history"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr and "is not allowed" in out.stderr


def test_a_rep_s_login_cannot_set_up_a_new_database_and_says_who_can(pg_cluster) -> None:  # noqa: ANN001
    team = Team(pg_cluster, pg_cluster.new_database("fresh"))
    PgStore(pg_cluster.url(team.database)).close()  # creates the roles if this is the first database
    fresh = pg_cluster.new_database("fresh")
    url = team.add("ana", team.rep_role).rsplit("/", 1)[0] + "/" + fresh
    with pytest.raises(StoreError) as caught:
        PgStore(url)
    assert "needs setting up" in str(caught.value) and team.login["ana"] in str(caught.value)
    assert "owner" in caught.value.hint


def test_a_wrong_password_or_no_server_is_a_sentence(pg_cluster) -> None:  # noqa: ANN001
    bad = pg_cluster.url("postgres", password="wrong")
    with pytest.raises(StoreError) as caught:
        PgStore(bad)
    assert "can't be opened" in str(caught.value) and "password authentication failed" in str(caught.value)
    assert "wrong" not in str(caught.value)  # the password is never repeated back
    with pytest.raises(StoreError, match="can't be reached"):
        PgStore("postgresql://ana:secret@127.0.0.1:1/roleplay")
    for url in ("postgresql://ana:se%zzcret@127.0.0.1:1/roleplay", "postgresql://ana:sec ret@127.0.0.1:1/roleplay",
                "postgresql://ana:secret@[::1/roleplay"):
        with pytest.raises(StoreError) as caught:
            PgStore(url)
        said = str(caught.value) + caught.value.hint
        assert "can't be read as a PostgreSQL URL" in said and "cret" not in said and "sec ret" not in said


def test_whoever_runs_the_database_adds_a_login_per_rep_and_manager(pg_cluster, lib, monkeypatch, capsys) -> None:  # noqa: ANN001
    from roleplay.cli import main

    database = pg_cluster.new_database("setup")
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", pg_cluster.url(database))
    assert main(["database"]) == 0
    assert "Your login: roleplay_admin, the database's owner" in capsys.readouterr().out
    rep, manager = f"ana.{database}", f"maya.{database}"
    assert main(["database", "--add-rep", rep]) == 0
    out = capsys.readouterr().out
    assert f"Created the login {rep} as a rep" in out and "shown only now" in out
    rep_url = out.split("ROLEPLAY_DATABASE_URL=")[1].strip()
    assert main(["database", "--add-manager", manager]) == 0
    manager_url = capsys.readouterr().out.split("ROLEPLAY_DATABASE_URL=")[1].strip()
    assert main(["database", "--add-rep", rep]) == 0  # again: nothing new, the password kept
    assert "password is unchanged" in capsys.readouterr().out

    practise(rep_url, lib, "Ana", [ACK])
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", rep_url)
    assert main(["database"]) == 0
    out = capsys.readouterr().out
    assert f"Your login: {rep}, a rep" in out and "Sessions you can see: 1 (1 rep)" in out
    assert main(["database", "--add-rep", "ben"]) == 1
    assert f"Your login ({rep}) may not create logins" in capsys.readouterr().err
    assert main(["report", "--team", "--format", "csv"]) == 0
    assert f"your login ({rep}) sees only the sessions practised on it" in capsys.readouterr().err
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", manager_url)
    assert main(["database"]) == 0
    out = capsys.readouterr().out
    assert f"Your login: {manager}, a manager" in out and "Sessions you can see: 1" in out
    assert main(["database", "--add-rep", "Not A Login"]) == 1
    assert "can't be a login" in capsys.readouterr().err


def test_database_on_this_machine_s_file_says_where_and_how_to_share(monkeypatch, capsys, tmp_path) -> None:  # noqa: ANN001
    from roleplay.cli import main

    monkeypatch.setenv("ROLEPLAY_DATA_DIR", str(tmp_path))
    assert main(["database"]) == 0
    out = capsys.readouterr().out
    assert f"Practice history: {tmp_path / 'roleplay.db'} (this machine's file, format 8)" in out
    assert "database_url" in out
    assert main(["database", "--add-rep", "ana"]) == 1
    assert "are for a team's PostgreSQL database" in capsys.readouterr().err


async def test_a_dropped_connection_is_said_and_the_next_try_connects_again(pg_cluster, lib) -> None:  # noqa: ANN001
    from roleplay.engine.session import RepTurnSaved

    database = pg_cluster.new_database("drop")
    store = PgStore(pg_cluster.url(database))
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"])

    def drop() -> None:
        with pg_cluster.admin() as db:
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'roleplay'"
                       " AND datname = %s", (database,))

    drop()
    with pytest.raises(StoreError) as caught:
        [e async for e in s.say(ACK)]
    assert "can't be saved to the team's database" in str(caught.value)
    assert "nothing you typed is lost" in caught.value.hint
    events = [e async for e in s.say(ACK)]  # the same words again: a new connection, saved
    assert any(isinstance(e, RepTurnSaved) for e in events)
    drop()
    assert [r.id for r in store.sessions()] == [s.id]  # a read is simply made again on a new connection
    with pg_cluster.admin() as db:
        db.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')  # the server takes no new one
    try:
        drop()
        with pytest.raises(StoreError, match="can't be opened"):
            store.sessions()  # a read that can't connect again is said
    finally:
        with pg_cluster.admin() as db:
            db.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert [r.id for r in store.sessions()] == [s.id]
    assert [t.text for t in store.turns(s.id) if t.speaker == "rep"] == [ACK]
    store.close()



def test_a_login_of_one_team_gets_nothing_of_another_team_on_the_same_server(pg_cluster, lib) -> None:  # noqa: ANN001
    teams = []
    for name in ("north", "south"):
        t = Team(pg_cluster, pg_cluster.new_database(name))
        PgStore(pg_cluster.url(t.database)).close()
        t.add("rep", t.rep_role)
        t.add("lead", t.manager_role)
        teams.append(t)
    north, south = teams
    practise(south.url["rep"], lib, "Sol", [ACK])
    for who in ("rep", "lead"):  # the north team's logins, pointed at the south team's database
        url = north.url[who].rsplit("/", 1)[0] + "/" + south.database
        with pytest.raises(StoreError, match="is not allowed"):
            PgStore(url)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(url)
    lead = PgStore(south.url["lead"])
    assert [r.rep for r in lead.sessions()] == ["Sol"]
    lead.close()


def test_a_rep_cannot_choose_a_rep_s_id_or_block_new_reps(team, lib) -> None:  # noqa: ANN001
    with team.sql("ben") as db:
        with pytest.raises(pg_errors.InsufficientPrivilege):
            db.execute("INSERT INTO reps(id, name, created) VALUES (1000, 'Squatter', '')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            db.execute("UPDATE reps SET name = 'Renamed'")
    ana = PgStore(team.url["ana"])
    assert ana.rep("Carla").name == "Carla"
    ana.close()


def test_the_database_s_owner_sees_only_its_own_plans_and_remembered_choices(team, lib) -> None:  # noqa: ANN001
    practise(team.url["ana"], lib, "Ana", [ACK])
    owner = PgStore(team.cluster.url(team.database))
    assert owner.owns_database()
    assert owner.pref("rep") is None
    assert owner.plan(owner.rep("Ana"), "price-objection") is None
    owner.set_pref("rep", "Owner")
    assert owner.pref("rep") == "Owner"
    owner.close()


def test_a_nul_character_is_kept_out_of_the_database_not_refused(team, lib) -> None:  # noqa: ANN001
    store = PgStore(team.url["ana"])
    s = practice.open_session(OFFLINE, store, lib, "price-objection", "medium", ["Ana"])

    async def go() -> None:
        [e async for e in s.say("What are you comparing\x00 it to?")]
        await s.end()

    asyncio.run(go())
    assert "\x00" not in store.turns(s.id)[1].text and "comparing" in store.turns(s.id)[1].text
    assert store.report_sessions()  # every scorecard still reads
    store.close()


def test_adding_a_login_refuses_the_team_s_roles_and_names_the_server_keeps(pg_cluster, monkeypatch, capsys) -> None:  # noqa: ANN001
    from roleplay.cli import main

    database = pg_cluster.new_database("names")
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", pg_cluster.url(database))
    rep_role, manager_role = team_roles(database)
    for name in (rep_role, manager_role, "public", "pg_monitor"):
        assert main(["database", "--add-manager", name]) == 1, name
        assert "can't be a login" in capsys.readouterr().err


async def test_the_team_view_on_a_rep_s_login_says_it_holds_only_theirs(team, lib) -> None:  # noqa: ANN001
    from textual.widgets import DataTable, Static

    from roleplay.app.app import RoleplayApp
    from roleplay.app.screens.progress import ProgressScreen, TeamGlanceScreen

    await asyncio.to_thread(practise, team.url["ana"], lib, "Ana", [ACK])
    await asyncio.to_thread(practise, team.url["ben"], lib, "Ben", [ACK])
    for who, reps, note in (("ana", ["Ana"], True), ("maya", ["Ana", "Ben"], False)):
        store = PgStore(team.url[who])
        app = RoleplayApp(OFFLINE, store=store, lib=lib)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.use_rep("Ana")
            app.push_screen(ProgressScreen(app.rep))
            await pilot.pause()
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, TeamGlanceScreen)
            assert [str(k.value) for k in app.screen.query_one("#glance", DataTable).rows] == reps
            notes = str(app.screen.query_one("#glance-notes", Static).render())
            assert (f"Your login ({team.login['ana']}) sees only the sessions practised on it" in notes) is note
        store.close()
