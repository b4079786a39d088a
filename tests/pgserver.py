"""A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder,
`pg_ctl start` on a free loopback port, removed at the end.

The server refuses to run as root, so as root it is run as the `postgres` system user. Host
logins use passwords (scram-sha-256), the way a team's server would: the row-level security
tests log in as real roles, never as the superuser pretending to be them."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "roleplay_admin"

REQUIRED = os.environ.get("ROLEPLAY_REQUIRE_POSTGRES") == "1"
"""Set by `.ci/run`: there a missing server fails the run instead of skipping its tests."""


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return None


def unavailable() -> str | None:
    """Why no server can be started here (None: one can)."""
    if _tool("initdb") is None or _tool("pg_ctl") is None:
        return "PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg package is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url(user: str, password: str, port: int, database: str) -> str:
    return f"postgresql://{quote(user)}:{quote(password)}@127.0.0.1:{port}/{quote(database)}"


class Cluster:
    """One server. `durable=False` (tests) turns off fsync; the benchmark keeps the defaults."""

    def __init__(self, *, durable: bool = False, max_connections: int = 200):
        self.root = Path(tempfile.mkdtemp(prefix="roleplay-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.password = secrets.token_hex(12)
        self._as_postgres = os.geteuid() == 0
        self._n = 0
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._run(_tool("initdb"), "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                  "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C.UTF-8")
        pwfile.unlink()
        for attempt in range(3):  # another program may take the free port first: take another
            options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                       f"-c unix_socket_directories={self.root}", f"-c max_connections={max_connections}"]
            if not durable:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            try:
                self._run(_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
                          "-o", " ".join(options), "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                self.port = _free_port()
        with self.admin() as db:
            self.version = int(db.execute("SHOW server_version_num").fetchone()[0])

    def _run(self, *argv: str | None) -> None:
        command = [a for a in argv if a is not None]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            log = self.root / "log"
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}"
                               + (log.read_text()[-2000:] if log.exists() else ""))

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        return url(user, self.password if password is None else password, self.port, database)

    def admin(self, database: str = "postgres"):  # noqa: ANN201 - psycopg.Connection
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self, prefix: str = "t") -> str:
        """A new, empty database owned by the superuser; its name."""
        self._n += 1
        name = f"{prefix}_{os.getpid()}_{self._n}"
        with self.admin() as db:
            # FILE_COPY (PostgreSQL 15 on): a small database is made faster than by its WAL
            strategy = " STRATEGY FILE_COPY" if self.version >= 150000 else ""
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')
        return name

    def drop_database(self, name: str) -> None:
        """Remove a test's database (and whatever is still connected to it): a run makes hundreds."""
        with self.admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def new_login(self, name: str, *roles: str) -> str:
        """A login role with a password, member of `roles`; its password."""
        password = secrets.token_hex(8)
        with self.admin() as db:
            db.execute(f'DROP ROLE IF EXISTS "{name}"')
            db.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
            for role in roles:
                db.execute(f'GRANT "{role}" TO "{name}"')
        return password

    def stop(self) -> None:
        try:
            self._run(_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
