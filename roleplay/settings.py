"""Settings: which model, how long to wait, where data lives.

Read from, highest first: command-line options (passed in by the caller),
ROLEPLAY_* environment variables, then the user's config file
(`~/.config/roleplay/config.toml` on Linux). No model configured means
offline practice.

Settings are a plain dataclass checked here, not a pydantic model: they are
needed before the home screen's first paint, and importing pydantic (with
pydantic-settings) cost a fifth of it. The fields below are the one
definition of what can be set; `bounds` holds their limits.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "ROLEPLAY_"


def config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("roleplay", appauthor=False) / "config.toml"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("roleplay", appauthor=False)


class SettingError(ValueError):
    """A setting with a value it cannot have: `.name` is the setting, the message says why."""

    def __init__(self, name: str, why: str):
        super().__init__(f"{name}: {why}")
        self.name = name


def _limit(low: float | None = None, *, above: float | None = None, high: float | None = None) -> dict:
    return {"low": low, "above": above, "high": high}


def redacted_url(url: str) -> str:
    """'postgresql://user@host:port/name' for a database URL: never its password."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the database in the database_url setting"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.hostname or 'localhost'}{port}{parts.path}"


def _database_url(value: str) -> str | None:
    """Why a database URL can't be used (None: it can)."""
    if not value.startswith(("postgresql://", "postgres://")):
        # The value is not repeated: whatever its form, it may hold a password.
        return ("should be a PostgreSQL URL such as postgresql://ana@db.example.com/roleplay "
                "(what is set is not shown here, as it may hold a password)")
    return None


@dataclass(frozen=True)
class Settings:
    """Everything a user can configure (each field as `ROLEPLAY_<NAME>` or a key in config.toml)."""

    model: str | None = None
    """The buyer's model, any litellm model string: 'gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest',
    'ollama/llama3.1', or 'openai/NAME' with api_base for a vLLM or llama.cpp server. None: offline."""

    judge_model: str | None = None
    """The model that grades turns; the buyer's model when not set."""

    api_base: str | None = None
    """Base URL of an OpenAI-compatible server, e.g. http://localhost:8000/v1."""

    connect_timeout: float = field(default=5.0, metadata=_limit(above=0))
    """Seconds to wait for the connection to the provider."""

    first_token_timeout: float = field(default=30.0, metadata=_limit(above=0))
    """Seconds to wait for the first word of a reply."""

    total_timeout: float = field(default=120.0, metadata=_limit(above=0))
    """Seconds a whole reply may take."""

    retries: int = field(default=4, metadata=_limit(0, high=10))
    """How many times a failed call is tried again (before any text is shown)."""

    turn_deadline: float = field(default=60.0, metadata=_limit(above=0))
    """Seconds a whole turn may take, the buyer's reply and its grading together, retries
    included: when it passes, what has not come is reported (the reply can be asked for
    again; the grades are recorded as ungraded, with why)."""

    max_reply_chars: int = field(default=4000, metadata=_limit(200))
    """The longest buyer reply kept: the rest is dropped, with a note, and only what was
    kept is stored and sent back to the model in later turns."""

    data_dir: Path | None = None
    """Where the practice history is kept; the platform's data folder when not set."""

    database_url: str | None = field(default=None, metadata={"check": _database_url})
    """A team's shared history on PostgreSQL instead of the SQLite file in data_dir, as
    postgresql://LOGIN:PASSWORD@HOST:PORT/DATABASE (each rep with their own login; a password
    can also come from ~/.pgpass or PGPASSWORD). Not set: the SQLite file, no set-up needed."""

    offline: bool = False
    """Practise offline even when a model is configured."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _checked(f, getattr(self, f.name)))

    def replace(self, **changes: Any) -> Settings:
        """These settings with some values changed (checked like the rest)."""
        return dataclasses.replace(self, **changes)

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
        """The SQLite file (used when database_url is not set)."""
        return (self.data_dir or data_dir()) / "roleplay.db"

    def history_place(self) -> str:
        """Where the practice history is, for messages: the file, or the database without its password."""
        return redacted_url(self.database_url) if self.database_url else str(self.database())


_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


def _checked(f: dataclasses.Field, value: Any) -> Any:
    """The value as the field's type (text from the environment is converted), or SettingError."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if value is None:
        if "None" in kind:
            return None
        raise SettingError(f.name, "needs a value")
    if kind.startswith("str"):
        if not isinstance(value, str):
            raise SettingError(f.name, f"should be text, not {value!r}")
        if "check" in f.metadata:
            value = value.strip()
            if not value and "None" in kind:
                return None
            problem = f.metadata["check"](value)
            if problem:
                raise SettingError(f.name, problem)
        return value
    if kind.startswith("Path"):
        if not isinstance(value, (str, os.PathLike)):
            raise SettingError(f.name, f"should be a folder path, not {value!r}")
        return Path(value).expanduser()
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise SettingError(f.name, f"should be true or false, not {value!r}")
    number = _number(f.name, value, whole=kind == "int")
    limits = f.metadata
    if limits.get("above") is not None and not number > limits["above"]:
        raise SettingError(f.name, f"should be more than {limits['above']:g}, not {number:g}")
    if limits.get("low") is not None and number < limits["low"]:
        raise SettingError(f.name, f"should be at least {limits['low']:g}, not {number:g}")
    if limits.get("high") is not None and number > limits["high"]:
        raise SettingError(f.name, f"should be at most {limits['high']:g}, not {number:g}")
    return number


def _number(name: str, value: Any, *, whole: bool) -> float | int:
    if isinstance(value, bool):
        raise SettingError(name, f"should be a number, not {value!r}")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise SettingError(name, f"should be a {'whole ' if whole else ''}number, not {value!r}") from None
    if not math.isfinite(number):
        raise SettingError(name, f"should be a number, not {value!r}")
    if whole:
        if not number.is_integer():
            raise SettingError(name, f"should be a whole number, not {value!r}")
        return int(number)
    return number


def _from_config_file() -> dict[str, Any]:
    import tomllib

    try:
        text = config_path().read_bytes()
    except FileNotFoundError:
        return {}
    return tomllib.loads(text.decode("utf-8"))


def _from_environment() -> dict[str, str]:
    names = {f.name for f in fields(Settings)}
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        if name.upper().startswith(ENV_PREFIX):
            key = name[len(ENV_PREFIX):].lower()
            if key in names:
                found[key] = value
    return found


def load_settings(**overrides: Any) -> Settings:
    """Settings from the config file, then ROLEPLAY_* variables, then command-line values on top
    (None values are ignored). Keys a setting does not have are ignored."""
    from .errors import RoleplayError

    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    source: dict[str, str] = {}
    for where, found in ((f"{config_path()}, key", _from_config_file()),
                         ("the environment variable", _from_environment()),
                         ("the option", {k: v for k, v in overrides.items() if v is not None})):
        for key, value in found.items():
            if key in names:
                values[key] = value
                source[key] = f"{where} {ENV_PREFIX + key.upper() if 'variable' in where else key}"
    try:
        return Settings(**values)
    except SettingError as err:
        raise RoleplayError(f"the setting {err.name} (from {source.get(err.name, 'the defaults')}) "
                            f"{str(err).split(': ', 1)[1]}.") from None
