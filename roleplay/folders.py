"""Where the library is looked for, and which files in it are read.

Kept apart from loading (library.py) so that finding the files needs neither
YAML nor pydantic: home's first paint checks them against its saved list.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "ROLEPLAY_LIBRARY"
FOLDERS = {"scenarios": "scenario", "rubrics": "rubric", "personas": "persona", "drills": "drill"}
SUFFIXES = (".yaml", ".yml")


def shipped_folder() -> Path:
    """Where the starter library is: inside the wheel, or the source checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_library"
    return packaged if packaged.is_dir() else here.parent


def user_folder() -> Path:
    """The rep's or manager's own library, next to the config file."""
    from platformdirs import user_config_path

    return user_config_path("roleplay", appauthor=False) / "library"


def default_folders(extra: Iterable[Path] = ()) -> list[Path]:
    """Shipped library, the user's own folder, ROLEPLAY_LIBRARY folders, then extra ones.

    The order matters: a file in a later folder overrides a file of the same kind
    and id in an earlier one (a team's copy of a shipped scenario replaces it).
    """
    return [shipped_folder(), user_folder(), *env_folders(), *(Path(p) for p in extra)]


def env_folders() -> list[Path]:
    env = os.environ.get(ENV_VAR, "")
    return [Path(p.strip()).expanduser() for p in env.split(os.pathsep) if p.strip()]


def folder_warnings(extra: Iterable[Path] = ()) -> list[str]:
    """A sentence for each library folder the user named (ROLEPLAY_LIBRARY, --library)
    that does not exist or is not a folder: a typo there would otherwise hide a whole library."""
    out = []
    for origin, folders in ((f"in {ENV_VAR}", env_folders()),
                            ("given with --library", [Path(p) for p in extra])):
        for folder in folders:
            if not folder.exists():
                out.append(f"warning: the library folder {folder} ({origin}) does not exist; "
                           "its scenarios, rubrics and personas are not loaded")
            elif not folder.is_dir():
                out.append(f"warning: the library folder {folder} ({origin}) is not a folder; "
                           "nothing is loaded from it")
    return out


@dataclass(frozen=True)
class Found:
    """A file to load: where it was found, and in which folder of the search order."""

    path: Path
    folder: int  # index of the folder (or path) it was found under; later ones override
    outside: Path | None = None  # its real place, when a link took it out of its library folder


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML files under the given files and folders, each once, in a stable order."""
    for found in _find(paths):
        yield found.path


def _find(paths: Iterable[Path]) -> Iterator[Found]:
    seen: set[str] = set()
    for index, root in enumerate(paths):
        if root.is_dir():
            subs = [root / name for name in FOLDERS if (root / name).is_dir()]
            candidates: Iterable[Path] = sorted(
                p for base in (subs or [root]) for p in base.rglob("*") if p.suffix in SUFFIXES
            )
            base_real = os.path.realpath(root)
        elif root.exists() or root.is_symlink():
            # Named on its own, whatever it is (a FIFO, a device): reading it says what is wrong.
            candidates, base_real = [root], None
        else:
            continue
        for path in candidates:
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            outside = None
            if base_real is not None and not real.startswith(base_real.rstrip(os.sep) + os.sep):
                outside = Path(real)
            yield Found(path, index, outside)
