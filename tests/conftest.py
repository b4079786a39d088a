"""Every test gets its own config and data folders, and no model provider is reachable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("ROLEPLAY_LIBRARY", raising=False)
    for var in ("ROLEPLAY_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def fixture_library() -> Path:
    return FIXTURES / "library"


@pytest.fixture(scope="session")
def lib():  # noqa: ANN201 - library.Library
    """The shipped library, loaded once for the whole run (tests only read it)."""
    from roleplay import library

    return library.load([library.shipped_folder()])


@pytest.fixture(scope="session")
def pg_cluster():  # noqa: ANN201 - pgserver.Cluster
    """A throwaway PostgreSQL server for the whole run (initdb, pg_ctl on a free loopback port)."""
    from . import pgserver

    why = pgserver.unavailable()
    if why:
        if pgserver.REQUIRED:
            pytest.fail(f"ROLEPLAY_REQUIRE_POSTGRES=1 but no PostgreSQL server can be started: {why}")
        pytest.skip(reason=f"no PostgreSQL server here for the shared-history tests: {why}")
    cluster = pgserver.Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which store a test runs on: every store test runs on both."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str):  # noqa: ANN201 - str | None
    """The test's own new PostgreSQL database (None on SQLite), dropped after it."""
    if backend == "sqlite":
        yield None
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def open_history(tmp_path: Path, database_url: str | None):  # noqa: ANN201
    """Opens the test's practice history (again, on each call), closed after the test."""
    from roleplay.store import Store

    opened = []

    def open_() -> Store:
        if database_url:
            from roleplay.store_pg import PgStore

            opened.append(PgStore(database_url))
        else:
            opened.append(Store(tmp_path / "roleplay.db"))
        return opened[-1]

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def history_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str | None) -> dict[str, str]:
    """Points roleplay's commands (run here or in a child process) at the test's history."""
    env = {"ROLEPLAY_DATABASE_URL": database_url} if database_url else {"ROLEPLAY_DATA_DIR": str(tmp_path)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def store(open_history):  # noqa: ANN001, ANN201 - store.Store
    """A fresh practice history for one test, on SQLite and on PostgreSQL."""
    return open_history()
