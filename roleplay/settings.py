"""Settings: which model, how long to wait, where data lives.

Read from, highest first: command-line options (passed in by the caller),
ROLEPLAY_* environment variables, then the user's config file
(`~/.config/roleplay/config.toml` on Linux). No model configured means
offline practice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("roleplay", appauthor=False) / "config.toml"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("roleplay", appauthor=False)


class Settings(BaseSettings):
    """Everything a user can configure."""

    model_config = SettingsConfigDict(env_prefix="ROLEPLAY_", extra="ignore")

    model: str | None = Field(None)
    """The buyer's model, any litellm model string: 'gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest',
    'ollama/llama3.1', or 'openai/NAME' with api_base for a vLLM or llama.cpp server. None: offline."""

    judge_model: str | None = Field(None)
    """The model that grades turns; the buyer's model when not set."""

    api_base: str | None = Field(None)
    """Base URL of an OpenAI-compatible server, e.g. http://localhost:8000/v1."""

    connect_timeout: float = Field(5.0, gt=0)
    """Seconds to wait for the connection to the provider."""

    first_token_timeout: float = Field(30.0, gt=0)
    """Seconds to wait for the first word of a reply."""

    total_timeout: float = Field(120.0, gt=0)
    """Seconds a whole reply may take."""

    retries: int = Field(4, ge=0, le=10)
    """How many times a failed call is tried again (before any text is shown)."""

    turn_deadline: float = Field(60.0, gt=0)
    """Seconds a whole turn may take, the buyer's reply and its grading together, retries
    included: when it passes, what has not come is reported (the reply can be asked for
    again; the grades are recorded as ungraded, with why)."""

    max_reply_chars: int = Field(4000, ge=200)
    """The longest buyer reply kept: the rest is dropped, with a note, and only what was
    kept is stored and sent back to the model in later turns."""

    data_dir: Path | None = Field(None)
    """Where the practice history is kept; the platform's data folder when not set."""

    offline: bool = Field(False)
    """Practise offline even when a model is configured."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings,
                TomlConfigSettingsSource(settings_cls, toml_file=config_path()))

    @property
    def online(self) -> bool:
        return bool(self.model) and not self.offline

    @property
    def grader_model(self) -> str | None:
        return self.judge_model or self.model

    def mode_label(self) -> str:
        """One line saying how practice runs, for every place a session is shown."""
        if self.online:
            judge = self.grader_model
            return f"model: {self.model}" + (f" (judge: {judge})" if judge != self.model else "")
        return "offline practice: scripted buyer, instant signal grades only (no model configured)"

    def database(self) -> Path:
        return (self.data_dir or data_dir()) / "roleplay.db"


def load_settings(**overrides: Any) -> Settings:
    """Settings with command-line values on top (None values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
