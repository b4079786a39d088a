"""Which model is used: the option, then ROLEPLAY_MODEL, then the config file; none means offline."""

from __future__ import annotations

import pytest

from roleplay.settings import config_path, load_settings


def test_no_model_means_offline_and_says_so() -> None:
    s = load_settings()
    assert not s.online
    assert "offline" in s.mode_label()


def test_option_beats_environment_beats_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('model = "ollama/llama3.1"\napi_base = "http://localhost:11434"\n')
    assert load_settings().model == "ollama/llama3.1"
    assert load_settings().api_base == "http://localhost:11434"
    monkeypatch.setenv("ROLEPLAY_MODEL", "gpt-4o-mini")
    assert load_settings().model == "gpt-4o-mini"
    assert load_settings(model="anthropic/claude-3-5-haiku-latest").model == "anthropic/claude-3-5-haiku-latest"
    assert load_settings(offline=True).online is False


def test_importing_the_package_does_not_import_litellm() -> None:
    import subprocess
    import sys

    code = ("import sys, roleplay.cli, roleplay.library, roleplay.engine.session, roleplay.practice; "
            "print('litellm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(("where", "key", "value", "said"), [
    ("file", "retries", "11", "retries (from {config}, key retries) should be at most 10, not 11"),
    ("file", "model", "3", "model (from {config}, key model) should be text, not 3"),
    ("env", "TURN_DEADLINE", "abc", "turn_deadline (from the environment variable ROLEPLAY_TURN_DEADLINE) "
                                   "should be a number, not 'abc'"),
    ("env", "CONNECT_TIMEOUT", "0", "should be more than 0, not 0"),
    ("env", "OFFLINE", "perhaps", "offline (from the environment variable ROLEPLAY_OFFLINE) should be true or false"),
    ("env", "MAX_REPLY_CHARS", "12.5", "should be a whole number, not '12.5'"),
])
def test_a_bad_setting_is_named_with_where_it_came_from(monkeypatch: pytest.MonkeyPatch, where: str, key: str,
                                                         value: str, said: str) -> None:
    from roleplay.errors import RoleplayError

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if where == "file":
        path.write_text(f"{key} = {value}\n")
    else:
        monkeypatch.setenv(f"ROLEPLAY_{key}", value)
    with pytest.raises(RoleplayError) as caught:
        load_settings()
    assert said.format(config=path) in str(caught.value)


def test_environment_text_becomes_the_setting_s_kind(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("ROLEPLAY_OFFLINE", "yes")
    monkeypatch.setenv("ROLEPLAY_RETRIES", "2")
    monkeypatch.setenv("ROLEPLAY_TURN_DEADLINE", "12.5")
    monkeypatch.setenv("ROLEPLAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ROLEPLAY_NOT_A_SETTING", "ignored")
    s = load_settings(model="openai/x")
    assert (s.offline, s.retries, s.turn_deadline, s.database()) == (True, 2, 12.5, tmp_path / "roleplay.db")
    assert not s.online
    assert s.replace(offline=False).online
    with pytest.raises(ValueError, match="retries"):
        s.replace(retries=-1)


def test_starting_the_app_does_not_import_pydantic_or_yaml() -> None:
    """Home's first paint comes before pydantic and YAML are needed (they cost a third of it)."""
    import subprocess
    import sys

    code = ("import sys, roleplay.cli, roleplay.settings, roleplay.store, roleplay.app.app, "
            "roleplay.authoring, roleplay.firmness, roleplay.preview, roleplay.drills, roleplay.report; "
            "roleplay.cli.build_parser(); import roleplay.cli, "
            "roleplay.app.screens.home, roleplay.catalog, roleplay.engine.scorecard, roleplay.words; "
            "roleplay.settings.load_settings(); "
            "print(sorted(m for m in ('pydantic', 'yaml', 'litellm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_team_database_is_one_setting_and_its_password_is_never_shown(monkeypatch, tmp_path, capsys) -> None:  # noqa: ANN001
    from roleplay.cli import main

    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", "postgresql://ana:s3cret@db.example.com:5433/roleplay")
    s = load_settings()
    assert s.database_url == "postgresql://ana:s3cret@db.example.com:5433/roleplay"
    assert s.history_place() == "postgresql://ana@db.example.com:5433/roleplay"
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", "")
    assert load_settings().database_url is None  # set empty: the SQLite file again
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", "mysql://ana:s3cret@db/roleplay")
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert "database_url" in err and "should be a PostgreSQL URL" in err and "ROLEPLAY_DATABASE_URL" in err
    assert "s3cret" not in err and "Traceback" not in err
    monkeypatch.setenv("ROLEPLAY_DATABASE_URL", "ana:hunter2secret@db.example.com/roleplay")  # no scheme
    assert main(["history"]) == 1
    err = capsys.readouterr().err
    assert "should be a PostgreSQL URL" in err and "hunter2" not in err


def test_starting_on_sqlite_never_imports_the_postgresql_driver(tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import sys

    code = ("import sys; from roleplay.settings import Settings; from roleplay.store import open_store; "
            f"open_store(Settings(data_dir={str(tmp_path)!r})).close(); print('psycopg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
