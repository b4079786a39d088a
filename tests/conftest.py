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


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201 - store.Store
    """A fresh practice history for one test."""
    from roleplay.store import Store

    s = Store(tmp_path / "roleplay.db")
    yield s
    s.close()
