"""Finding, loading and cross-checking the scenario, persona, rubric and drill plan files.

One broken file never stops the others: it is kept as broken, with its
located problems, and everything that does load is usable.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .folders import (  # noqa: F401 - where the library is looked for, re-exported for callers
    ENV_VAR, FOLDERS, SUFFIXES, Found, _find, default_folders, env_folders, find_files,
    folder_warnings, shipped_folder, user_folder,
)
from .problems import did_you_mean, problems_from
from .models import KINDS, Drill, Persona, Rubric, Scenario
from .yamlsource import Located, Path_, Problem, YamlProblem, format_path, read_file

def guess_kind(path: Path, data: Any) -> str | None:
    """scenario, rubric, persona or drill: from `kind:`, then the folder, then the keys present."""
    if isinstance(data, dict) and data.get("kind") in KINDS:
        return data["kind"]
    for part in reversed(path.parent.parts):
        if part in FOLDERS:
            return FOLDERS[part]
    if isinstance(data, dict):
        if "criteria" in data:
            return "rubric"
        if "objective" in data or "offline_script" in data:
            return "scenario"
        if "hidden_facts" in data or "company" in data:
            return "persona"
        if "steps" in data:
            return "drill"
    return None


@dataclass
class Entry:
    """One file that loaded: its model and where each value sits in the file."""

    path: Path
    kind: str
    model: Any
    located: Located
    folder: int = 0  # index of the library folder it came from (later ones override earlier)

    def problem(self, at: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.located.where(at, key=key)
        return Problem(str(self.path), line, col, format_path(at), message)


@dataclass(frozen=True)
class Override:
    """A file that replaces one of the same kind and id from an earlier library folder."""

    kind: str
    id: str
    path: Path
    replaced: Path

    def __str__(self) -> str:
        return f"note: {self.path}: {self.kind} '{self.id}' overrides the one in {self.replaced}"


@dataclass
class Library:
    """Everything found, by kind and id, and every problem found on the way."""

    scenarios: dict[str, Entry] = field(default_factory=dict)
    rubrics: dict[str, Entry] = field(default_factory=dict)
    personas: dict[str, Entry] = field(default_factory=dict)
    drills: dict[str, Entry] = field(default_factory=dict)  # drill plans a manager hands reps
    problems: list[Problem] = field(default_factory=list)
    broken: dict[str, list[Problem]] = field(default_factory=dict)
    files: int = 0
    overrides: list[Override] = field(default_factory=list)
    replaced: list[Entry] = field(default_factory=list)  # entries an override put aside
    warnings: list[str] = field(default_factory=list)  # e.g. a ROLEPLAY_LIBRARY folder that is missing

    def override_of(self, entry: Entry) -> Override | None:
        """The override that put `entry` in place of another file, if it did."""
        return next((o for o in self.overrides if o.path == entry.path and o.kind == entry.kind), None)

    def _by_kind(self, kind: str) -> dict[str, Entry]:
        return {"scenario": self.scenarios, "rubric": self.rubrics, "persona": self.personas,
                "drill": self.drills}[kind]

    def add_problem(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.broken.setdefault(problem.file, []).append(problem)

    def persona_of(self, scenario: Scenario) -> Persona | None:
        if isinstance(scenario.persona, Persona):
            return scenario.persona
        entry = self.personas.get(scenario.persona)
        return entry.model if entry else None

    def rubric_of(self, scenario: Scenario) -> Rubric | None:
        entry = self.rubrics.get(scenario.rubric)
        return entry.model if entry else None

    def find(self, kind: str, ref: str) -> Entry:
        """An entry by id, or by the path of a file already loaded."""
        table = self._by_kind(kind)
        if ref in table:
            return table[ref]
        target = Path(ref).expanduser().resolve()
        # A file named by its path is used even when a later folder overrides its id.
        for entry in [*table.values(), *(e for e in self.replaced if e.kind == kind)]:
            if entry.path.resolve() == target:
                return entry
        if str(target) in {str(Path(f).resolve()) for f in self.broken}:
            details = "\n".join(str(p) for p in self.problems if Path(p.file).resolve() == target)
            raise LookupError(f"{ref} has problems:\n{details}")
        known = ", ".join(sorted(table)) or "none"
        raise LookupError(f"no {kind} called '{ref}' (known: {known})")

    def usable_scenarios(self) -> list[Entry]:
        """Scenarios whose rubric and persona loaded, so they can be practised."""
        return [e for e in self.scenarios.values()
                if str(e.path) not in self.broken
                and self.rubric_of(e.model) is not None and self.persona_of(e.model) is not None]


def load_one(path: Path, kind: str | None = None, *, outside: Path | None = None) -> Entry | list[Problem]:
    """Parse and validate one file; an Entry, or the list of its problems.

    `outside`: where a link found in a library folder really points, out of that folder.
    """
    name = str(path)
    try:
        if outside is not None:
            raise YamlProblem(1, 1, f"the file is a link to {outside}, outside its library folder; "
                                    "links may only point inside it (copy the file in instead)")
        located = read_file(path)
    except YamlProblem as exc:
        return [Problem(name, exc.line, exc.col, format_path(exc.path), exc.message)]
    kind = kind or guess_kind(path, located.data)
    if kind is None:
        return [Problem(name, 1, 1, "kind",
                        "cannot tell whether this is a scenario, rubric, persona or drill plan; "
                        "add 'kind: scenario' (or rubric, persona, drill) at the top")]
    model: type[BaseModel] = KINDS[kind]
    if not isinstance(located.data, dict):
        return [Problem(name, 1, 1, "",
                        f"a {kind} file should be a block of 'name: value' lines, "
                        f"not {type(located.data).__name__}")]
    try:
        return Entry(path, kind, model.model_validate(located.data), located)
    except ValidationError as exc:
        return sorted(problems_from(exc, model, located, name))


def load(paths: Iterable[Path] | None = None, extra: Iterable[Path] = ()) -> Library:
    """Load every file under `paths` (default: the library folders) and cross-check them.

    `paths` are in order of precedence, lowest first: a file found under a later one
    overrides a file of the same kind and id found under an earlier one (recorded
    in `overrides`); the same id twice under one folder is a problem in both files.
    """
    lib = Library()
    if paths is None:
        folders = default_folders(extra)
        lib.warnings = folder_warnings(extra)
    else:
        folders = list(paths)
    # Loading allocates many small objects that stay alive and hold no cycles;
    # the cyclic collector would rescan them all again and again (3x slower).
    paused = gc.isenabled()
    gc.disable()
    try:
        _load_files(lib, list(_find(folders)))
    finally:
        if paused:
            gc.enable()
    for entry in lib.personas.values():
        _check_persona(lib, entry, entry.model, ())
    for entry in lib.rubrics.values():
        _check_unique(lib, entry, entry.model.criteria, ("criteria",))
    for entry in lib.scenarios.values():
        _check_scenario(lib, entry)
    for entry in lib.drills.values():
        _check_drill(lib, entry)
    lib.problems.sort()
    return lib


def load_named(named: Iterable[Path], extra: Iterable[Path] = ()) -> Library:
    """The library together with files named on the command line: each file, and the library
    folder it sits in (scenarios/x.yaml next to personas/), so that its references resolve;
    with a warning for each --library folder that is missing."""
    named, extra = list(named), list(extra)
    roots = [p.resolve().parent.parent for p in named if p.is_file() and p.resolve().parent.name in FOLDERS]
    lib = load(default_folders(extra) + roots + named)
    lib.warnings = folder_warnings(extra)
    return lib


PARALLEL_FROM = 300
"""Libraries at least this big are parsed on two cores; below it, forking costs more than it saves."""


def _load_found(found: Found) -> Entry | list[Problem]:
    return load_one(found.path, outside=found.outside)


def _load_in_worker(found: Found) -> tuple[str, Any, str] | list[Problem]:
    # Plain data crosses the process boundary much faster than models do;
    # validating again on this side takes a few microseconds.
    result = _load_found(found)
    if isinstance(result, list):
        return result
    return result.kind, result.located.data, result.located._text


def _load_all(files: list[Found]) -> Iterator[Entry | list[Problem]]:
    """Each file loaded, in order. A big library is split in two: a forked child parses
    the second half while this process parses the first, and hands its half back in
    one pickle (a pool of workers cost more in messages than it saved, on two cores)."""
    if len(files) < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        yield from map(_load_found, files)
        return
    half = (len(files) + 1) // 2
    theirs = files[half:]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse, send, and leave without running any cleanup of the parent's
        code = 1
        try:
            os.close(read_end)
            payload = pickle.dumps([_load_in_worker(f) for f in theirs], pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    yield from map(_load_found, files[:half])
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        outs = pickle.loads(payload) if status == 0 else None
    except Exception:  # noqa: BLE001 - a child that died half-way: do its half here
        outs = None
    if outs is None or len(outs) != len(theirs):
        yield from map(_load_found, theirs)
        return
    for found, out in zip(theirs, outs):
        if isinstance(out, list):
            yield out
        else:
            kind, data, text = out
            yield Entry(found.path, kind, KINDS[kind].model_validate(data), Located(data, text))


def _load_files(lib: Library, files: list[Found]) -> None:
    for found, result in zip(files, _load_all(files)):
        lib.files += 1
        if isinstance(result, list):
            for problem in result:
                lib.add_problem(problem)
            continue
        result.folder = found.folder
        table = lib._by_kind(result.kind)
        first = table.get(result.model.id)
        if first is not None and first.folder != result.folder:
            # A later folder overrides an earlier one: a team's or a rep's own copy
            # of a shipped scenario replaces it, and list/validate say so.
            lib.overrides.append(Override(result.kind, result.model.id, result.path, first.path))
            lib.replaced.append(first)
        elif first is not None:
            lib.add_problem(result.problem(
                ("id",), f"the {result.kind} id '{result.model.id}' is also used by {first.path}"))
            lib.add_problem(first.problem(
                ("id",), f"the {result.kind} id '{result.model.id}' is also used by {found.path}"))
            continue
        table[result.model.id] = result


def _check_unique(lib: Library, entry: Entry, items: list[Any], at: Path_) -> None:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in first:
            lib.add_problem(entry.problem(
                at + (i, "id"), f"the id '{item.id}' is used twice here "
                f"(first at {format_path(at + (first[item.id],))})"))
        else:
            first[item.id] = i


def _dangling(lib: Library, entry: Entry, at: Path_, value: str, known: Iterable[str],
              what: str) -> None:
    known = sorted(known)
    message = f"no {what} called '{value}'"
    guess = did_you_mean(value, known)
    if guess:
        message += guess
    elif known:
        message += f" (known: {', '.join(known)})"
    else:
        message += f" (there are no {what}s to refer to)"
    lib.add_problem(entry.problem(at, message))


def _check_persona(lib: Library, entry: Entry, persona: Persona, at: Path_) -> None:
    _check_unique(lib, entry, persona.topics, at + ("topics",))
    _check_unique(lib, entry, persona.hidden_facts, at + ("hidden_facts",))
    _check_unique(lib, entry, persona.objections, at + ("objections",))
    topics = {t.id for t in persona.topics}
    for i, fact in enumerate(persona.hidden_facts):
        if fact.reveal.topic is not None and fact.reveal.topic not in topics:
            _dangling(lib, entry, at + ("hidden_facts", i, "reveal", "topic"),
                      fact.reveal.topic, topics, "topic")


def _check_scenario(lib: Library, entry: Entry) -> None:
    scenario: Scenario = entry.model
    rubric = lib.rubric_of(scenario)
    if rubric is None:
        _dangling(lib, entry, ("rubric",), scenario.rubric, lib.rubrics, "rubric")
    if isinstance(scenario.persona, Persona):
        _check_persona(lib, entry, scenario.persona, ("persona",))
        persona, persona_at, persona_entry = scenario.persona, ("persona",), entry
    else:
        persona_entry = lib.personas.get(scenario.persona)
        if persona_entry is None:
            _dangling(lib, entry, ("persona",), scenario.persona, lib.personas, "persona")
            return
        persona, persona_at = persona_entry.model, ()
    if rubric is not None:
        criteria = {c.id for c in rubric.criteria}
        refs = [(("hidden_facts", i, "reveal", "criterion"), f.reveal.criterion)
                for i, f in enumerate(persona.hidden_facts) if f.reveal.criterion is not None]
        refs += [(("objections", i, "resolved_when", j), crit)
                 for i, o in enumerate(persona.objections) for j, crit in enumerate(o.resolved_when)]
        for at, crit in refs:
            if crit in criteria:
                continue
            if persona_entry is entry:
                _dangling(lib, entry, persona_at + at, crit, criteria,
                          f"criterion in rubric '{rubric.id}'")
            else:
                # A persona file is shared, so a criterion it names may exist in one
                # scenario's rubric and not another's: the scenario is what is broken.
                line, col = persona_entry.located.where(at)
                lib.add_problem(entry.problem(
                    ("persona",),
                    f"persona '{persona.id}' names criterion '{crit}' at {format_path(at)} "
                    f"({persona_entry.path}:{line}:{col}), but this scenario's rubric "
                    f"'{rubric.id}' has no such criterion"))
    facts = {f.id for f in persona.hidden_facts}
    script = scenario.offline_script.fact_revealed
    for fact_id in script:
        if fact_id not in facts:
            _dangling(lib, entry, ("offline_script", "fact_revealed", fact_id), fact_id, facts,
                      "hidden fact")
    for fact_id in sorted(facts - set(script)):
        lib.add_problem(entry.problem(
            ("offline_script", "fact_revealed"),
            f"the hidden fact '{fact_id}' has no lines; add how the buyer says it once earned"))
    # A line that waits for a fact or an objection must name one the persona has.
    objections = {o.id for o in persona.objections}
    for field_name, value in scenario.offline_script:
        groups = value.items() if isinstance(value, dict) else [(None, value)]
        for key, lines in groups:
            if not isinstance(lines, list):
                continue
            for i, line in enumerate(lines):
                when = getattr(line, "when", None)
                if when is None:
                    continue
                at = ("offline_script", field_name) + ((key,) if key is not None else ()) + (i, "when")
                for j, fact_id in enumerate(when.revealed):
                    if fact_id not in facts:
                        _dangling(lib, entry, at + ("revealed", j), fact_id, facts, "hidden fact")
                for j, obj_id in enumerate(when.raised):
                    if obj_id not in objections:
                        _dangling(lib, entry, at + ("raised", j), obj_id, objections, "objection")
                if when.open is not None and when.open not in objections:
                    _dangling(lib, entry, at + ("open",), when.open, objections, "objection")
    # The firmness tests ('roleplay check') may only name hidden facts the persona has.
    for kind in ("earns_fact", "must_not_earn_fact"):
        for i, test in enumerate(getattr(scenario.tests, kind)):
            if test.fact is not None and test.fact not in facts:
                _dangling(lib, entry, ("tests", kind, i, "fact"), test.fact, facts, "hidden fact")
    for level in ("easy", "medium", "hard"):
        wanted = scenario.difficulty.get(level).objections  # type: ignore[arg-type]
        if wanted > len(persona.objections):
            lib.add_problem(entry.problem(
                ("difficulty", level, "objections"),
                f"asks for {wanted} objections but the persona has only {len(persona.objections)}"))


def _check_drill(lib: Library, entry: Entry) -> None:
    """A drill plan may only name scenarios and rubrics the library has, and its days must be in order."""
    drill: Drill = entry.model
    if drill.from_ is not None and drill.until is not None and drill.until < drill.from_:
        lib.add_problem(entry.problem(
            ("until",), f"the plan ends ({drill.until}) before it starts ({drill.from_}); "
            "'until' should be on or after 'from'"))
    for i, step in enumerate(drill.steps):
        if step.scenario is not None and step.scenario not in lib.scenarios:
            _dangling(lib, entry, ("steps", i, "scenario"), step.scenario, lib.scenarios, "scenario")
        if step.rubric is not None and step.rubric not in lib.rubrics:
            _dangling(lib, entry, ("steps", i, "rubric"), step.rubric, lib.rubrics, "rubric")
        elif step.rubric is not None and not any(e.model.rubric == step.rubric for e in lib.scenarios.values()):
            lib.add_problem(entry.problem(
                ("steps", i, "rubric"), f"no scenario is graded by the rubric '{step.rubric}', "
                "so this step can never be done"))
