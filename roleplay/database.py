"""`roleplay database`: where the practice history is and what this login may see there, and, for
whoever runs a team's PostgreSQL database, a login for each rep and manager.

    roleplay database                       where, which format, your login and what it sees
    roleplay database --add-rep LOGIN       a login for a rep (own sessions only)
    roleplay database --add-manager LOGIN   a login for a manager (reads the whole team's)

Adding a login needs a database login that may create roles (the one that set the database up,
usually). A new login gets a generated password, printed once, with the database_url to give
its owner; an existing login keeps its password and is only given the role.
"""

from __future__ import annotations

import argparse
import re

from .errors import RoleplayError

_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's command to the command line."""
    p = sub.add_parser(
        "database", help="where the practice history is; logins for a team's shared database",
        description="Where the practice history is kept (this machine's file, or the team's PostgreSQL "
        "database set by database_url / ROLEPLAY_DATABASE_URL), its format, your login and what it "
        "may see. With --add-rep or --add-manager, run by whoever runs the team's database: a login "
        "for a rep or a manager, with a generated password, printed once.")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--add-rep", metavar="LOGIN", help="a login that reads and writes only its own sessions")
    who.add_argument("--add-manager", metavar="LOGIN", help="a login that reads every rep's sessions")
    p.set_defaults(func=cmd_database)


def cmd_database(args: argparse.Namespace) -> int:
    from .cli import _settings, _store
    from .store import VERSION

    settings = _settings(args)
    login = args.add_rep or args.add_manager
    if login and not settings.database_url:
        raise RoleplayError("--add-rep and --add-manager are for a team's PostgreSQL database; set database_url "
                            "(or ROLEPLAY_DATABASE_URL) to it first, with a login that may create roles.")
    store = _store(settings)
    try:
        if login:
            print(_add_login(store, login.strip(), manager=bool(args.add_manager)))
            return 0
        if not settings.database_url:
            print(f"Practice history: {settings.history_place()} (this machine's file, format {VERSION}).")
            print(f"{store.count_sessions()} sessions. To share a team's history, set database_url "
                  "(see the README, 'A team's shared history').")
            return 0
        manager = store.is_manager()
        print(f"Practice history: {store.where} (the team's PostgreSQL database, format {VERSION}).")
        if store.owns_database():
            sees = "the database's owner: reads and writes every session"
        elif manager:
            sees = "a manager: reads every rep's sessions, writes only your own"
        else:
            sees = "a rep: reads and writes only the sessions you practised on this login"
        print(f"Your login: {store.login}, {sees}.")
        print(f"Roles of this database: {store.rep_role} (reps), {store.manager_role} (managers).")
        reps = {r.rep for r in store.sessions(light=True)}
        print(f"Sessions you can see: {store.count_sessions()} ({len(reps)} rep{'s' if len(reps) != 1 else ''}).")
        return 0
    finally:
        store.close()


def _add_login(store, login: str, *, manager: bool) -> str:  # noqa: ANN001 - store_pg.PgStore
    """Create the login (if new) and give it the rep or manager role; the lines to print."""
    if not _LOGIN.match(login) or login in ("public", "none", "current_user", "session_user") \
            or login.startswith("pg_") or login in (store.rep_role, store.manager_role):
        raise RoleplayError(f"'{login}' can't be a login: use lower-case letters, digits, '_', '.' or '-', "
                            "starting with a letter (e.g. ana or ana.ruiz), and not a name the server or "
                            "roleplay keeps for itself.")
    password = store.add_login(login, manager=manager)
    what = "a manager (reads every rep's sessions)" if manager else "a rep (their own sessions only)"
    if password is None:
        return f"{login} can now use roleplay as {what}; their password is unchanged."
    from .settings import redacted_url

    base = redacted_url(store.url)
    scheme, rest = base.split("://", 1)
    where = rest.split("@", 1)[-1]
    return (f"Created the login {login} as {what}. Give them this setting (the password is shown only now):\n"
            f"  ROLEPLAY_DATABASE_URL={scheme}://{login}:{password}@{where}")
