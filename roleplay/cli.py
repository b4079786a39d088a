"""The `roleplay` command line. Heavy imports happen inside each command, so start-up stays quick."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _library_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--library", action="append", type=Path, default=[], metavar="FOLDER",
                   help="another folder of scenarios, rubrics and personas (may repeat)")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def cmd_validate(args: argparse.Namespace) -> int:
    from . import library

    if args.paths:
        # The files named are checked; the library is loaded too so that their
        # references (rubric, persona ids) can be resolved, and so is the library
        # folder a named file sits in (scenarios/x.yaml next to personas/).
        roots = [p.resolve().parent.parent for p in args.paths
                 if p.is_file() and p.resolve().parent.name in library.FOLDERS]
        lib = library.load(library.default_folders(args.library) + roots + list(args.paths))
        wanted = {p.resolve() for p in library.find_files(args.paths)}
        missing = [p for p in args.paths if not p.exists()]
        problems = [pr for pr in lib.problems if Path(pr.file).resolve() in wanted]
        count = len(wanted)
    else:
        lib = library.load(extra=args.library)
        missing, problems, count = [], lib.problems, lib.files
    for path in missing:
        print(f"{path}:1:1: (file): no such file or folder", file=sys.stderr)
    if args.json:
        print(json.dumps({"files": count, "problems": [p.to_json() for p in problems]}, indent=2))
    else:
        for problem in problems:
            print(problem)
        broken = len({p.file for p in problems})
        sys.stdout.flush()
        if problems:
            print(f"{broken} of {_count(count, 'file')} {'has' if broken == 1 else 'have'} "
                  f"problems ({_count(len(problems), 'problem')} in all).", file=sys.stderr)
        elif count == 1:
            print("The file is valid.", file=sys.stderr)
        else:
            print(f"All {_count(count, 'file')} are valid.", file=sys.stderr)
    return 1 if problems or missing or count == 0 else 0


def cmd_list(args: argparse.Namespace) -> int:
    from . import library

    lib = library.load(extra=args.library)
    rows = []
    for entry in sorted(lib.scenarios.values(), key=lambda e: e.model.id):
        s = entry.model
        rows.append({
            "id": s.id, "title": s.title, "skills": list(s.skills), "setting": s.setting,
            "difficulties": ["easy", "medium", "hard"], "rubric": s.rubric,
            "path": str(entry.path), "usable": entry in lib.usable_scenarios(),
        })
    if args.json:
        print(json.dumps({"scenarios": rows, "broken": sorted(lib.broken)}, indent=2))
        return 0
    if not rows:
        print("No scenarios found. Folders searched:")
        for folder in library.default_folders(args.library):
            print(f"  {folder}")
    width = max((len(r["id"]) for r in rows), default=0)
    for r in rows:
        mark = "" if r["usable"] else "  (has problems: run 'roleplay validate')"
        print(f"{r['id']:<{width}}  {r['title']}  [{', '.join(r['skills'])}]{mark}")
    if lib.broken:
        print(f"\n{len(lib.broken)} file(s) have problems; run 'roleplay validate' to see them.",
              file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import schema_for

    print(json.dumps(schema_for(args.kind), indent=2))
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
    _library_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="list the scenarios in the library")
    p.add_argument("--json", action="store_true", help="print as JSON")
    _library_args(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("schema", help="print the JSON Schema of a file kind")
    p.add_argument("kind", choices=["scenario", "rubric", "persona"])
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["list", *(argv or [])])
    try:
        return args.func(args)
    except BrokenPipeError:  # `roleplay schema scenario | head` is fine
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
