"""The scenarios home lists, kept from the last time the library was read.

Home's first paint needs a row per scenario (its name, title, skills, and the
words a search looks through). Reading the library for them means importing
YAML and pydantic and validating every file: a third of start-up. So the rows
are saved beside the history, with a fingerprint of every library file (and
of the code that reads them); while the fingerprint holds, home paints from
the saved rows and the library is read just after, the rows refreshed from it.
Nothing here imports YAML or pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .folders import _find

FORMAT = 1
"""Bump when `Row` or `rows_of` change, so rows saved by an older roleplay are not used."""

CODE = ("library.py", "folders.py", "catalog.py", "yamlsource.py", "problems.py",
        "models/__init__.py", "models/common.py", "models/persona.py", "models/rubric.py",
        "models/scenario.py", "models/drill.py")
"""The code whose changes can change which scenarios load, or their rows."""


@dataclass(frozen=True)
class Row:
    """One practicable scenario as home lists it."""

    id: str
    title: str
    skills: tuple[str, ...]
    summary: str
    name_words: str  # what a search matches first: id, title and skills, lower case
    other_words: str  # what it matches after: summary, price, objective, the buyer's objections


def rows_of(lib) -> list[Row]:  # noqa: ANN001 - library.Library (imported by the caller)
    """A row for each scenario that can be practised (its rubric and persona loaded)."""
    rows = []
    for entry in lib.usable_scenarios():
        s = entry.model
        persona = lib.persona_of(s)
        objections = " ".join(o.line for o in persona.objections) if persona else ""
        rows.append(Row(
            id=s.id, title=s.title, skills=tuple(s.skills), summary=s.summary,
            name_words=" ".join([s.id.replace("-", " "), s.title, " ".join(s.skills)]).lower(),
            other_words=" ".join([s.summary, s.rep_brief.price, s.objective.milestone, objections]).lower(),
        ))
    return rows


def fingerprint(folders: Iterable[Path]) -> str:
    """Changes whenever a library file (or the code reading them) is added, removed or edited."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).resolve().parent
    paths = [here / name for name in CODE]
    folders = list(folders)
    digest.update(repr((FORMAT, [str(f) for f in folders])).encode())
    paths += [found.path for found in _find(folders)]
    for path in paths:
        try:
            st = os.stat(path)
            digest.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}\n".encode())
        except OSError as exc:
            digest.update(f"{path}\0{exc.errno}\n".encode())
    return digest.hexdigest()


def saved_rows(file: Path, folders: Iterable[Path]) -> list[Row] | None:
    """The rows saved in `file`, if they were saved for these library files as they are now."""
    try:
        data = json.loads(file.read_bytes())
        if data.get("fingerprint") != fingerprint(folders):
            return None
        return [Row(**{**row, "skills": tuple(row["skills"])}) for row in data["rows"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # missing, unreadable or from another version: the library is read instead


def save_rows(file: Path, folders: Iterable[Path], rows: list[Row]) -> None:
    """Keep the rows for the next start. Best effort: a data folder that can't be written
    only means the next start reads the library before painting."""
    data = {"fingerprint": fingerprint(folders), "rows": [asdict(r) for r in rows]}
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
