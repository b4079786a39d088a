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
