"""The `roleplay` command line. Heavy imports happen inside each command, so start-up stays quick."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _library_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--library", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another folder of scenarios, rubrics and personas (may repeat)")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _spare_the_final_collection() -> None:
    """The command ends once it has printed: the objects of a loaded library need no
    cyclic collection (they hold no cycles), and the interpreter's last one walking
    them all took a quarter of `validate` on 1,000 files. Freezing moves them out of its way."""
    import gc

    gc.freeze()


def cmd_validate(args: argparse.Namespace) -> int:
    from . import library

    if args.paths:
        # The files named are checked; the library is loaded too so that their
        # references (rubric, persona ids) can be resolved, and so is the library
        # folder a named file sits in (scenarios/x.yaml next to personas/).
        missing = [p for p in args.paths if not p.exists() and not p.is_symlink()]
        present = [p for p in args.paths if p not in missing]
        lib = library.load_named(present, args.library)
        _spare_the_final_collection()
        warnings = lib.warnings
        wanted = {os.path.realpath(p) for p in library.find_files(present)}
        problems = [pr for pr in lib.problems if os.path.realpath(pr.file) in wanted]
        overrides = [o for o in lib.overrides if os.path.realpath(o.path) in wanted]
        count = len(wanted)
        lint_warnings = _lint(lib, wanted)
    else:
        lib = library.load(extra=args.library)
        _spare_the_final_collection()
        warnings, missing, problems, count = lib.warnings, [], lib.problems, lib.files
        overrides = lib.overrides
        lint_warnings = _lint(lib, None)
    for line in warnings:
        print(line, file=sys.stderr)
    for path in missing:
        print(f"{path}: does not exist (no such file or folder)", file=sys.stderr)
    if args.json:
        print(json.dumps({"files": count, "problems": [p.to_json() for p in problems],
                          "missing": [str(p) for p in missing],
                          "overrides": [{"kind": o.kind, "id": o.id, "file": str(o.path),
                                         "replaces": str(o.replaced)} for o in overrides],
                          "warnings": warnings,
                          "lint": [w.to_json() for w in lint_warnings]}, indent=2))
    else:
        for override in overrides:
            print(override, file=sys.stderr)
        for problem in problems:
            print(problem)
        for warning in lint_warnings:
            print(warning)
        broken = len({p.file for p in problems})
        sys.stdout.flush()
        not_found = f"; {_count(len(missing), 'path')} not found" if missing else ""
        if problems:
            print(f"{broken} of {_count(count, 'file')} {'has' if broken == 1 else 'have'} "
                  f"problems ({_count(len(problems), 'problem')} in all){not_found}.", file=sys.stderr)
        elif count == 0:
            where = "" if missing else " in " + ", ".join(map(str, args.paths or ["the library"]))
            print(f"No scenario, rubric or persona files to check{where}{not_found}.", file=sys.stderr)
        elif count == 1:
            print(f"The file is valid{not_found}.", file=sys.stderr)
        else:
            print(f"All {_count(count, 'file')} are valid{not_found}.", file=sys.stderr)
        if lint_warnings:
            strict = ("; with --strict they fail validate" if args.strict else
                      "; they do not make a file invalid (add --strict to fail on them)")
            print(f"{_count(len(lint_warnings), 'warning')} about how the buyer behaves{strict}.",
                  file=sys.stderr)
    return 1 if problems or missing or count == 0 or (args.strict and lint_warnings) else 0


def _lint(lib, wanted):  # noqa: ANN001, ANN202 - Library, set of paths or None
    """The lint warnings for the files checked (roleplay/lint.py); a lint that breaks never hides
    the validation itself."""
    from . import lint

    try:
        return lint.lint(lib, wanted)
    except Exception as exc:  # noqa: BLE001 - a bug in the lint must not cost the user validate
        if os.environ.get("ROLEPLAY_DEBUG"):
            raise
        print(f"note: the checks of how the buyer behaves could not run ({type(exc).__name__}); "
              "the validation above is complete. Please report this.", file=sys.stderr)
        return []


def cmd_list(args: argparse.Namespace) -> int:
    from . import library

    lib = library.load(extra=args.library)
    _spare_the_final_collection()
    for line in lib.warnings:
        print(line, file=sys.stderr)
    usable = {id(e) for e in lib.usable_scenarios()}
    rows = []
    for entry in sorted(lib.scenarios.values(), key=lambda e: e.model.id):
        s = entry.model
        override = lib.override_of(entry)
        rows.append({
            "id": s.id, "title": s.title, "skills": list(s.skills), "setting": s.setting,
            "difficulties": ["easy", "medium", "hard"], "rubric": s.rubric,
            "path": str(entry.path), "usable": id(entry) in usable,
            "overrides": str(override.replaced) if override else None,
        })
    if args.json:
        print(json.dumps({"scenarios": rows, "broken": sorted(lib.broken),
                          "warnings": lib.warnings}, indent=2))
        return 0
    if not rows:
        print("No scenarios found. Folders searched:")
        for folder in library.default_folders(args.library):
            print(f"  {folder}")
    width = max((len(r["id"]) for r in rows), default=0)
    for r in rows:
        mark = "" if r["usable"] else "  (has problems: run 'roleplay validate')"
        if r["overrides"]:
            mark += f"  (from {r['path']}, overriding {r['overrides']})"
        print(f"{r['id']:<{width}}  {r['title']}  [{', '.join(r['skills'])}]  "
              f"{'/'.join(r['difficulties'])}{mark}")
    if lib.broken:
        print(f"\n{len(lib.broken)} file(s) have problems; run 'roleplay validate' to see them.",
              file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import schema_for

    print(json.dumps(schema_for(args.kind), indent=2))
    return 0


def _settings(args: argparse.Namespace):  # noqa: ANN202
    return _load_settings(model=getattr(args, "model", None),
                          offline=True if getattr(args, "offline", False) else None)


def _load_settings(**overrides):  # noqa: ANN003, ANN202 - Settings
    """The settings, or a sentence naming the config file when it can't be read (not UTF-8,
    not TOML, or a value of the wrong kind) rather than a decoder's traceback."""
    from .errors import RoleplayError
    from .settings import config_path, load_settings

    try:
        return load_settings(**overrides)
    except RoleplayError:
        raise
    except (UnicodeDecodeError, ValueError, OSError) as exc:  # tomllib's errors are ValueErrors
        if isinstance(exc, UnicodeDecodeError):
            why = "it is not UTF-8 text"
        else:
            why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise RoleplayError(f"the settings can't be read ({why}); check {config_path()} "
                            "and the ROLEPLAY_* environment variables.") from None


def _store(settings):  # noqa: ANN001, ANN202
    from .store import open_store

    return open_store(settings)


TRANSCRIPT_SUFFIXES = (".json", ".yaml", ".yml", ".txt")
"""What `grade FOLDER` picks up inside a folder."""


def _transcript_files(paths: list[Path]) -> list[tuple[Path, str | None]]:
    """Each file to grade, in order (a folder's transcripts sorted by name), or why there is none."""
    out: list[tuple[Path, str | None]] = []
    for path in paths:
        if not path.is_dir():
            out.append((path, None))
            continue
        try:
            found = sorted(f for f in path.iterdir()
                           if f.suffix.lower() in TRANSCRIPT_SUFFIXES and not f.name.startswith(".")
                           and f.is_file())
        except OSError as exc:
            out.append((path, f"{path}: cannot read the folder: {exc.strerror or exc}"))
            continue
        if not found:
            out.append((path, f"{path}: no transcripts in this folder "
                              f"(looked for {', '.join('*' + x for x in TRANSCRIPT_SUFFIXES)})"))
        out += [(f, None) for f in found]
    return out


def _grade_rubric(args: argparse.Namespace):  # noqa: ANN202 - Rubric
    from . import library

    lib = library.load_named([Path(args.rubric)] if Path(args.rubric).is_file() else [], args.library)
    try:
        return lib.find("rubric", args.rubric).model
    except LookupError as exc:
        raise _not_found(exc) from None


def _not_found(exc: LookupError) -> Exception:
    """A lookup the user named that failed (a scenario, a rubric), as the sentence to show."""
    from .errors import NotFound, RoleplayError

    return exc if isinstance(exc, RoleplayError) else NotFound(str(exc))


def _grading_label(settings) -> str:  # noqa: ANN001 - Settings
    """How `grade` grades: there is no buyer in a pasted call, so the practice banner would mislead."""
    if settings.online:
        return f"judge: {settings.grader_model}"
    return "signals only (no model judge)"


def _grade_report(rubric, settings, graded, card) -> None:  # noqa: ANN001
    """One call's grades, turn by turn, and its score (the header line is the caller's)."""
    from .engine.grading import effective

    for turn in graded:
        who = "Rep  " if turn.speaker == "rep" else "Buyer"
        print(f"\n{who}: {turn.text}")
        for g in effective(turn.grades).values():
            if g.verdict == "n/a" or (g.verdict == "ungraded" and not settings.online):
                continue
            quote = f' "{g.evidence[0]}"' if g.evidence else ""
            print(f"    {g.verdict:>8}  {g.criterion} [{g.source}]{quote}  {g.reason}")
    print()
    for line in card.summary_lines():
        print(line)


def cmd_grade(args: argparse.Namespace) -> int:
    import asyncio

    from .practice import grade_transcript, grades_json, players
    from .transcripts import TranscriptError, read_transcript

    settings = _settings(args)
    paths: list[Path] = args.transcripts
    if len(paths) > 1 or paths[0].is_dir():
        return _grade_batch(args, settings, paths)
    try:
        turns = read_transcript(paths[0])
    except TranscriptError as exc:
        print(exc, file=sys.stderr)
        return 1
    rubric = _grade_rubric(args)
    # provider retries are said on stderr, so --json output stays clean
    _, judge, _ = players(settings, notice=lambda m: print(f"({m})", file=sys.stderr, flush=True))
    graded, call_grades, card = asyncio.run(grade_transcript(turns, rubric, judge, deadline=_deadline(settings)))
    if args.json:
        print(json.dumps(grades_json(rubric.id, card.score, graded, call_grades), indent=2))
        return 0
    print(f"{rubric.title}: {_grading_label(settings)}")
    _grade_report(rubric, settings, graded, card)
    return 0


def _deadline(settings) -> float | None:  # noqa: ANN001 - Settings
    """Seconds the judge has for each turn of a pasted call: the turn deadline, with a model."""
    return settings.turn_deadline if settings.online else None


def _grade_batch(args: argparse.Namespace, settings, paths: list[Path]) -> int:  # noqa: ANN001
    """Several transcripts (or folders of them) in one process: the library, the rubric and the
    judge are set up once. With --json, one JSON document a line (JSON Lines), each with its
    "file"; a file that cannot be read gets {"file", "error"} and the others are still graded."""
    import asyncio
    from collections import deque

    from .practice import grade_transcript, grades_json, players
    from .transcripts import TranscriptError, read_transcript

    rubric = _grade_rubric(args)
    files = _transcript_files(paths)
    _, judge, _ = players(settings, notice=lambda m: print(f"({m})", file=sys.stderr, flush=True))

    async def grade(path: Path, problem: str | None):  # noqa: ANN202
        if problem is not None:
            return None, problem
        try:
            turns = read_transcript(path)
        except TranscriptError as exc:
            return None, str(exc)
        try:
            return await grade_transcript(turns, rubric, judge, deadline=_deadline(settings)), None
        except Exception as exc:  # one bad file never stops the others, nor ends in a traceback
            return None, f"{path}: could not be graded: {exc or type(exc).__name__}"

    async def in_order():  # noqa: ANN202
        # Offline, one file after another (the signals are instant); with a model judge, a few
        # files at once, so the judge is kept busy, and still reported in the order given.
        window = 4 if settings.online else 1
        running: deque = deque()
        for path, problem in files:
            running.append((path, asyncio.ensure_future(grade(path, problem))))
            if len(running) >= window:
                path_, task = running.popleft()
                yield path_, await task
        while running:
            path_, task = running.popleft()
            yield path_, await task

    failed: list[str] = []
    turns_graded = 0

    async def run() -> None:
        nonlocal turns_graded
        if not args.json:
            print(f"{rubric.title}: {_grading_label(settings)}")
        async for path, (result, problem) in in_order():
            if problem is not None:
                failed.append(str(path))
                print(problem, file=sys.stderr, flush=True)
                if args.json:
                    print(json.dumps({"file": str(path), "error": problem}), flush=True)
                else:
                    print(f"\n==> {path} <==\nNot graded: {problem}", flush=True)
                continue
            graded, call_grades, card = result
            turns_graded += len(graded)
            if args.json:
                print(json.dumps({"file": str(path),
                                  **grades_json(rubric.id, card.score, graded, call_grades)}))
            else:
                print(f"\n==> {path} <==")
                _grade_report(rubric, settings, graded, card)

    asyncio.run(run())
    graded_files = len(files) - len(failed)
    named = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
    summary = (f"Graded {graded_files} of {_count(len(files), 'transcript')} ({_count(turns_graded, 'turn')})"
               + (f"; {len(failed)} could not be graded: {named}" if failed else "") + ".")
    print(("" if args.json else "\n") + summary, file=sys.stderr if args.json else sys.stdout)
    return 1 if failed else 0


HISTORY_PAGE = 50
"""How many sessions `history` shows unless told (--limit N, --all); it always says what it left out."""


def cmd_history(args: argparse.Namespace) -> int:
    from .store import local_time
    from .words import outcome_short

    settings = _settings(args)
    if args.start_fresh:
        from .store import DamagedStore, Store

        if settings.database_url:
            print(f"--start-fresh is for a history file on this machine; this roleplay uses the team's database "
                  f"at {settings.history_place()}, so nothing was changed.", file=sys.stderr)
            return 1
        path = settings.database()
        try:
            Store(path).close()
            print(f"The practice history at {path} is readable; nothing was changed.")
            return 0
        except DamagedStore as damaged:
            Store.open_fresh_beside(path).close()
            print(f"Started a fresh practice history at {path}. The damaged one is kept, untouched, "
                  f"at {damaged.aside}.")
            return 0
    store = _store(settings)
    limit = None if args.all else max(0, args.limit)
    total = store.count_sessions(rep=args.rep)
    # The listing shows scores only: the JSON columns are read for --json alone.
    rows = store.sessions(rep=args.rep, limit=limit, light=not args.json)
    # Never a silent limit: what was left out is said (on stderr with --json, so the JSON stays whole).
    left_out = (f"showing the newest {len(rows):,} of {total:,} sessions; --all for everything, "
                f"--limit N for more" if len(rows) < total else "")
    if args.json:
        print(json.dumps([{k: v for k, v in r.to_json().items() if k not in ("state",)}
                          for r in rows], indent=2))
        if left_out:
            print(f"roleplay history: {left_out}", file=sys.stderr)
        return 0
    from . import drills

    plans = drills.history_lines(store, None, args.rep or store.pref("rep"))
    if not rows and not total:
        print("No practice sessions yet. Start one with: roleplay practice price-objection")
        for line in plans:
            print(line)
        return 0
    thin = False
    for r in rows:
        score = "   -" if r.score is None else f"{r.score:5.1f}"
        # A score that rests on too little of the rubric is marked, never shown as a plain number.
        mark = {True: "pass", False: "fail", None: "    " if r.score is None else "*   "}[r.passed]
        thin = thin or (r.passed is None and r.score is not None)
        status = "" if r.status == "finished" else f"  [{r.status}]"
        print(f"{r.id}  {local_time(r.started)}  {r.who:<12} {r.scenario_id:<26} "
              f"{r.difficulty:<6} {score} {mark}  {outcome_short(r.outcome)}{status}")
    if thin:
        print("* too little of the rubric graded to call it a pass or a fail (offline: add a model judge)")
    for line in plans:
        print(line)
    if left_out:
        print(f"({left_out})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """One format is printed (for a pipe or a redirect); several, or --out, are written as files,
    one a format, never concatenated on stdout where no program could read them apart."""
    from .errors import NotFound, RoleplayError
    from .practice import EXPORT_FORMATS, export_file, export_text

    formats = list(dict.fromkeys(f.strip().lower() for f in args.format.split(",") if f.strip()))
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown or not formats:
        raise RoleplayError(f"unknown format '{(unknown or [args.format])[0]}'; use md, json, or both: md,json")
    settings = _settings(args)
    store = _store(settings)
    row = store.session(args.session_id)
    if row is None:
        raise NotFound(f"no session '{args.session_id}'", hint="(see 'roleplay history')")
    if len(formats) == 1 and args.out is None:
        print(export_text(store, row, formats[0]), end="")
        return 0
    folder = args.out if args.out is not None else Path.cwd()
    for fmt in formats:
        print(export_file(store, row, fmt, folder))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from .settings import config_path

    settings = _settings(args)
    if args.judge and args.model:  # --model names the model to check as the judge
        settings = settings.replace(judge_model=args.model)
    source = ("the --model option" if getattr(args, "model", None) else
              "the ROLEPLAY_MODEL environment variable" if os.environ.get("ROLEPLAY_MODEL") else
              f"the config file {config_path()}" if settings.model else None)
    print(f"Config file: {config_path()} ({'found' if config_path().exists() else 'not there'})")
    print(f"Practice history: {settings.history_place()}")
    if not settings.model:
        print("Model: none configured, so practice runs OFFLINE: a scripted buyer and instant "
              "signal grades; criteria that need a judge show as ungraded.")
        print("To use a model, set one of (highest first):\n"
              "  roleplay practice SCENARIO --model gpt-4o-mini\n"
              "  export ROLEPLAY_MODEL=anthropic/claude-3-5-haiku-latest   (and its API key, "
              "e.g. ANTHROPIC_API_KEY)\n"
              f"  model = \"ollama/llama3.1\"   in {config_path()}\n"
              "For a vLLM or llama.cpp server: model = \"openai/NAME\" and "
              "api_base = \"http://localhost:8000/v1\".")
        if args.judge:
            print("There is no model judge to check. Set a model as above, then run "
                  "'roleplay doctor --judge' again.")
        return 0
    print(f"Model: {settings.model} (from {source})"
          + (f", judge: {settings.judge_model}" if settings.judge_model else ""))
    if settings.api_base:
        print(f"Server: {settings.api_base}")
    if settings.offline:
        print("Offline is switched on, so the model is not used"
              + (" and there is no model judge to check." if args.judge else "."))
        return 0
    if args.judge:
        return _doctor_judge(settings)
    from .llm.client import LLM, ProviderError

    print("Asking the model for a one-word reply...", flush=True)
    llm = LLM(settings.replace(retries=0, total_timeout=20.0))

    async def ping() -> str:
        out = ""
        async for piece in llm.stream([{"role": "user", "content": "Reply with the word: ready"}],
                                      temperature=0):
            out += piece
        return out

    try:
        reply = asyncio.run(ping())
    except ProviderError as err:
        print(f"The model did not answer: {err.message}")
        return 1
    print(f"The model answered: {reply.strip()[:60]!r}. Ready to practise.")
    return 0


def _doctor_judge(settings) -> int:  # noqa: ANN001 - Settings
    """`doctor --judge`: the judge grades every rubric's own examples; say how often it agrees."""
    import asyncio

    from . import library
    from .engine.judge import LLMJudge
    from .engine.text import clip
    from .judge_check import TRUST_BAR, check_judge, examples_of
    from .llm.client import LLM
    from .settings import config_path

    lib = library.load()
    rubrics = [e.model for e in sorted(lib.rubrics.values(), key=lambda e: e.model.id)]
    count = len(examples_of(rubrics))
    model = settings.grader_model
    if not count:
        print("No rubrics with examples were found, so there is nothing to check the judge against.")
        return 1
    print(f"\nChecking the judge ({model}): it grades the {count} example lines of "
          f"{_count(len(rubrics), 'rubric')}, each without seeing that line among the examples.",
          flush=True)
    progress = None
    if sys.stderr.isatty():
        def progress(done: int, total: int) -> None:
            print(f"\r  {done} of {total} lines graded", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)
    judge = LLMJudge(LLM(settings), model, fail_fast=True)
    result = asyncio.run(check_judge(rubrics, judge, progress=progress, deadline=settings.turn_deadline))
    if result.unreachable:
        done = f" after {result.total} of {count} lines" if result.total else ""
        print(f"\nThe judge model could not be reached{done}: {result.unreachable}")
        print("The check stopped, so nothing can be said about its grades. "
              "Run 'roleplay doctor' to test the connection.")
        return 1
    bar = f"{TRUST_BAR:.0%}"
    width = max(len(c.criterion) for c in result.criteria)
    titles = {r.id: r.title for r in rubrics}
    weak = 0
    for rubric_id in dict.fromkeys(c.rubric for c in result.criteria):
        print(f"\n{rubric_id} ({titles[rubric_id]})")
        for c in (c for c in result.criteria if c.rubric == rubric_id):
            extra = f", {c.ungraded} ungraded" if c.ungraded else ""
            mark = f"   below {bar}" if c.share < TRUST_BAR else ""
            weak += c.share < TRUST_BAR
            print(f"  {c.criterion:<{width}}  {c.agree}/{c.total} agree{extra}{mark}")
            for e in c.examples:
                if not e.agrees:
                    said = {"ungraded": "gave no valid answer",
                            "n/a": "said it does not apply"}.get(e.got, f"said {e.got}")
                    print(f"      a {e.expected} example, the judge {said}: \"{clip(e.line, 70)}\"")
    print(f"\nOverall: {result.agree} of {result.total} agree ({result.share:.0%}); the bar is {bar}."
          + (f" {result.ungraded} ungraded (the judge gave no valid answer; counted as disagreeing)."
             if result.ungraded else ""))
    if result.trusted:
        print("This model grades the rubrics' own examples the way their authors did: "
              "its grades can be trusted.")
        if weak:
            print(f"On {weak} {'criterion' if weak == 1 else 'criteria'} it disagrees "
                  f"more often (marked 'below {bar}'): read those grades with care.")
        return 0
    print(f"\nWARNING: this model is too weak to trust for grading. It agreed with the rubrics' own "
          f"examples only {result.share:.0%} of the time (the bar is {bar}), so reps would be told they "
          "did something well when they did not, or the other way round.\n"
          f"Grade with a stronger model: judge_model = \"NAME\" in {config_path()} (or "
          "ROLEPLAY_JUDGE_MODEL=NAME), then run 'roleplay doctor --judge' again.")
    return 1


def _default_rep(store) -> str:  # noqa: ANN001
    import getpass

    recent = store.sessions(limit=1)
    if recent:
        return recent[0].rep
    try:
        return getpass.getuser().capitalize()
    except Exception:
        return "Rep"


def _team_args(args: argparse.Namespace) -> tuple[list[str], str]:
    """Who is practising and how, from --rep / --reps / --mode: one name is solo; two or more
    default to tag team (one shared call, turn by turn: what a pair at one laptop expects)."""
    from .errors import RoleplayError

    if args.rep and args.reps:
        raise RoleplayError("use --rep NAME for one rep or --reps NAME,NAME for several, not both")
    names = [" ".join(n.split()) for n in (args.reps or "").split(",") if n.strip()]
    if args.reps is not None and not names:
        raise RoleplayError("--reps needs names separated by commas, e.g. --reps Ana,Ben")
    if args.rep:
        names = [args.rep]
    mode = args.mode or ("tag-team" if len(names) > 1 else "solo")
    if mode == "solo" and len(names) > 1:
        raise RoleplayError(f"solo is one rep practising alone; with {' and '.join(names)} use "
                            "--mode tag-team (one shared call) or --mode hot-seat (a call each)")
    return names, mode


def cmd_practice(args: argparse.Namespace) -> int:
    import asyncio

    from . import library
    from .errors import RoleplayError
    from .practice import open_session, resume_session

    settings = _settings(args)
    store = _store(settings)
    lib = library.load_named([Path(args.scenario)] if args.scenario and Path(args.scenario).is_file() else [],
                             args.library)
    notice = lambda m: print(f"  ({m})", flush=True)  # noqa: E731
    try:
        if args.resume:
            if args.reps or args.mode or args.human_buyer:
                raise RoleplayError("a resumed session goes on with the reps, mode and buyer it was "
                                    "started with; leave out --reps, --mode and --human-buyer")
            session = resume_session(settings, store, lib, args.resume, notice=notice)
        else:
            if not args.scenario:
                raise RoleplayError("name a scenario (see 'roleplay list') or --resume SESSION_ID")
            names, mode = _team_args(args)
            buyer_player = " ".join(args.human_buyer.split()) if args.human_buyer else None
            if args.human_buyer is not None and not buyer_player:
                raise RoleplayError("--human-buyer needs the name of the colleague playing the buyer")
            session = open_session(settings, store, lib, args.scenario, args.difficulty,
                                   names or [_default_rep(store)], mode=mode, buyer_player=buyer_player,
                                   seed=args.seed, notice=notice)
    except LookupError as exc:
        raise _not_found(exc) from None
    if args.plain:
        from .plain import run

        return asyncio.run(run(session, settings.mode_label(), settings=settings, lib=lib))
    from .app import run_app

    return run_app(settings, session=session)


def cmd_scoreboard(args: argparse.Namespace) -> int:
    """A team session's scoreboard, by the team's id or the id of one of its calls."""
    from . import library
    from .errors import NotFound, RoleplayError
    from .practice import team_board

    settings = _settings(args)
    store = _store(settings)
    ref = args.team_id.strip()
    team = store.team(ref) if ref else None
    if team is None:
        row = store.session(ref) if ref else None
        if row is None:
            raise NotFound(f"no team session or session '{ref}'", hint="(see 'roleplay history')")
        if row.team_id is None:
            raise RoleplayError(f"session {row.id} was practised alone ({row.rep}), so it has no team "
                                "scoreboard; its report is 'roleplay export " + row.id + "'")
        team = store.team(row.team_id)
        if team is None:
            raise NotFound(f"the team session of session {row.id} is not in the practice history")
    lib = library.load(extra=args.library)
    board = team_board(store, lib, team.id)
    if not board.reps:
        raise RoleplayError(f"nobody in team session {team.id} ({', '.join(team.reps)}) has finished a "
                            "call yet, so there is nothing to compare")
    if args.format == "json":
        print(json.dumps(board.to_json(), indent=2))
    else:
        print(board.markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roleplay",
        description="Practise the hard moments of a sales conversation against an AI buyer.",
    )
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("validate", help="check scenario, persona and rubric files")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="files or folders to check (default: the whole library)")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.add_argument("--strict", action="store_true",
                   help="fail (exit 1) on warnings about how the buyer behaves too, e.g. in a team's CI")
    _library_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="list the scenarios in the library")
    p.add_argument("--json", action="store_true", help="print as JSON")
    _library_args(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("practice", help="practise a scenario")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a scenario id or file")
    p.add_argument("--difficulty", default="medium", choices=["easy", "medium", "hard"])
    p.add_argument("--model", help="the buyer's model (any litellm model name)")
    p.add_argument("--offline", action="store_true", help="practise with the scripted buyer, no model")
    p.add_argument("--rep", help="who is practising (history is kept per rep)")
    p.add_argument("--reps", metavar="NAME,NAME",
                   help="practise together: the reps in the room, separated by commas")
    p.add_argument("--mode", choices=["solo", "tag-team", "hot-seat"],
                   help="with --reps: tag-team (one shared call, turn by turn; the default for two or "
                        "more) or hot-seat (the same call, each rep in turn)")
    p.add_argument("--human-buyer", metavar="NAME",
                   help="a colleague plays the buyer, typing the buyer's lines from a cue")
    p.add_argument("--resume", metavar="SESSION_ID", help="carry on an interrupted session")
    p.add_argument("--seed", type=int, help="make the offline buyer's choices repeatable")
    p.add_argument("--plain", action="store_true", help="line by line, without the full-screen app")
    _library_args(p)
    p.set_defaults(func=cmd_practice)

    p = sub.add_parser("grade", help="grade existing transcripts against a rubric")
    p.add_argument("transcripts", type=Path, nargs="+", metavar="TRANSCRIPT",
                   help="a .txt (Rep:/Buyer: lines), .json or .yaml file, or a folder of them; "
                        "several are graded in one go")
    p.add_argument("--rubric", required=True, help="a rubric id or file")
    p.add_argument("--offline", action="store_true", help="signals only, no model judge")
    p.add_argument("--model", help="the judge's model (any litellm model name)")
    p.add_argument("--json", action="store_true",
                   help="print the grades as JSON (several files: one JSON document a line)")
    _library_args(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("history", help="past sessions with their scores")
    p.add_argument("--rep", help="only this rep's sessions")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--limit", type=int, default=HISTORY_PAGE, metavar="N",
                   help=f"the newest N sessions (default {HISTORY_PAGE}); how many were left out is said")
    p.add_argument("--all", action="store_true", help="every session")
    p.add_argument("--start-fresh", action="store_true",
                   help="when the history file is damaged: keep it aside, untouched, and start a fresh one")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("export", help="a session's report")
    p.add_argument("session_id", metavar="SESSION_ID")
    p.add_argument("--format", default="md",
                   help="md, json, or both: md,json (one format is printed; both are written as files)")
    p.add_argument("--out", type=Path, metavar="FOLDER",
                   help="write the report as a file into FOLDER (with several formats: default the "
                        "current folder), named SESSION_ID-SCENARIO.md / .json")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("scoreboard", help="a team session's scoreboard: each rep side by side")
    p.add_argument("team_id", metavar="TEAM_OR_SESSION_ID",
                   help="the team session's id, or the id of one of its calls")
    p.add_argument("--format", default="md", choices=["md", "json"])
    _library_args(p)
    p.set_defaults(func=cmd_scoreboard)

    p = sub.add_parser("doctor", help="which model is used, whether it answers, how to set one up")
    p.add_argument("--model", help="check this model instead")
    p.add_argument("--judge", action="store_true",
                   help="grade every rubric's pass and fail examples with the judge model and say "
                        "how often it agrees (below 80%%, it is too weak to trust)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("schema", help="print the JSON Schema of a file kind")
    p.add_argument("kind", choices=["scenario", "rubric", "persona", "drill"])
    p.set_defaults(func=cmd_schema)
    # Commands for the managers who write scenarios, each registered by the module that holds it.
    from . import authoring, database, drills, firmness, preview, report

    authoring.register(sub)
    firmness.register(sub)
    preview.register(sub)
    drills.register(sub)
    report.register(sub)
    database.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. A problem roleplay can name (`RoleplayError`) is one line on stderr,
    `roleplay COMMAND: sentence`, and its exit code; anything else is a bug, said as one in a
    line (the traceback only with ROLEPLAY_DEBUG=1), never a traceback the user has to read."""
    # Pydantic looks for plugins by reading the entry points of every installed package
    # (litellm brings ~100), 20-40 ms of start-up for plugins roleplay does not use. Set
    # PYDANTIC_DISABLE_PLUGINS to an empty value to have them loaded after all.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .errors import RoleplayError

    given = sys.argv[1:] if argv is None else argv
    # Plain `roleplay` opens the app: no command line to parse, so its parser (every command,
    # ~20 ms) is not built on the way to the first paint.
    args = build_parser().parse_args(given) if given else argparse.Namespace(command=None)
    name = f"roleplay {args.command}" if args.command else "roleplay"
    try:
        if args.command is None:
            from .app import run_app

            return run_app(_load_settings(), exit_after_paint=bool(os.environ.get("ROLEPLAY_EXIT_AFTER_PAINT")))
        return args.func(args)
    except BrokenPipeError:  # `roleplay schema scenario | head` is fine
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except RoleplayError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return err.exit_code
    except Exception as exc:  # noqa: BLE001 - the one place a bug is turned into words
        if os.environ.get("ROLEPLAY_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        print(f"roleplay hit a bug: {' '.join(what.split())[:300]}; please report it "
              f"(ROLEPLAY_DEBUG=1 {name} ... shows the details).", file=sys.stderr)
        return BUG_EXIT


BUG_EXIT = 70
"""The exit code of a bug (EX_SOFTWARE), apart from the 1 of a problem roleplay can name."""


if __name__ == "__main__":
    sys.exit(main())
