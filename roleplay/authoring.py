"""Writing library files: `roleplay new` starts a commented file that validates as written.

The comments are the models' own Field descriptions (roleplay/models/), so a field
is explained in one place: the editor's hover text, the JSON Schema and these
comments all say the same thing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # registered with the command line at every start: nothing heavy at import
    from pydantic import BaseModel

KIND_NAMES = ("scenario", "rubric", "persona", "drill")
DEFAULT_PERSONA = "priya-raman"  # the shipped persona a new scenario starts with
DEFAULT_RUBRIC = "next-step"
WIDTH = 92


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
    p = sub.add_parser(
        "new", help="start a new scenario, rubric, persona or drill plan, with comments, that validates as written",
        description="Write a commented starting file that validates as it is. By default it goes in "
        "your own library folder (KIND s/ID.yaml); an existing file is never overwritten.")
    p.add_argument("kind", choices=KIND_NAMES, help="what to start: scenario, rubric, persona, or a drill plan")
    p.add_argument("id", metavar="ID", help="the new file's id: lowercase letters, digits and hyphens, "
                   "e.g. 'renewal-pushback'")
    p.add_argument("--from", dest="source", metavar="EXISTING",
                   help="copy an existing file of the same kind (an id from the library, or a path) "
                   "under the new id")
    p.add_argument("--output", metavar="PATH",
                   help="where to write it (a file, or a folder to put ID.yaml in); default: your "
                   "library folder")
    p.set_defaults(func=cmd_new)


# ----------------------------------------------------------------------------- command

def cmd_new(args: argparse.Namespace) -> int:
    from .errors import RoleplayError
    from .models.common import _ID

    kind, new_id = args.kind, args.id.strip()
    if not _ID.match(new_id):
        raise RoleplayError(
            f"'{args.id}' is not a usable id; use lowercase letters, digits and hyphens, "
            "like 'renewal-pushback'.")
    out = target_path(kind, new_id, args.output)
    if out.exists() or out.is_symlink():
        raise RoleplayError(
            f"{out} already exists, and roleplay new never overwrites a file; choose another id, "
            "give another place with --output, or move the file away first.")
    text = copy_text(kind, new_id, args.source, out) if args.source else starting_text(kind, new_id, out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
            f.write(text)
    except FileExistsError:
        raise RoleplayError(f"{out} already exists, and roleplay new never overwrites a file; "
                            "choose another id or --output.") from None
    except OSError as exc:
        raise RoleplayError(f"could not write {out} ({exc.strerror or exc}); choose another place "
                            "with --output.") from None
    problems = _problems_of(out)
    if problems:
        print(f"Wrote {out}, but it does not validate yet:", file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    how = f" (a copy of {args.source})" if args.source else ""
    print(str(out))
    print(f"Wrote a new {kind}{how} to {out}. It validates as it is; edit it, then check it with:\n"
          f"  roleplay validate {out}", file=sys.stderr)
    return 0


def target_path(kind: str, new_id: str, output: str | Path | None) -> Path:
    """Where the file goes: --output (a file, or a folder to hold ID.yaml), else the user's library."""
    from .folders import user_folder

    if output is None:
        return user_folder() / f"{kind}s" / f"{new_id}.yaml"
    raw = str(output)
    path = Path(raw).expanduser()
    if path.is_dir() or raw.endswith(("/", os.sep)):
        return path / f"{new_id}.yaml"
    return path


def _problems_of(path: Path) -> list[Any]:
    """What `roleplay validate PATH` would say is wrong with the file (nothing, normally)."""
    from . import library

    lib = library.load_named([path])
    wanted = os.path.realpath(path)
    return [p for p in lib.problems if os.path.realpath(p.file) == wanted]


def schema_line(kind: str) -> str:
    """The line that gives an editor completion, hover help and checking as you type."""
    from .folders import shipped_folder, user_folder
    from .schemas import schema_for

    shipped = shipped_folder() / "schema" / f"{kind}.json"
    if shipped.is_file():
        where = shipped
    else:  # an installed roleplay carries no schema files: write one next to the user's library
        where = user_folder() / "schema" / f"{kind}.json"
        if not where.is_file():
            try:
                where.parent.mkdir(parents=True, exist_ok=True)
                where.write_text(json.dumps(schema_for(kind), indent=2) + "\n", encoding="utf-8")
            except OSError:
                pass
    return f"# yaml-language-server: $schema={where.resolve().as_posix()}"


# --------------------------------------------------------------------------- --from

_TOP_ID = re.compile(r"^id:[ \t]*[^\n#]*", re.MULTILINE)
_SCHEMA = re.compile(r"^#\s*yaml-language-server:.*\n?", re.MULTILINE)


def copy_text(kind: str, new_id: str, source: str, out: Path) -> str:
    """An existing file's text, with the new id and a schema line that works from its new place."""
    from . import library
    from .errors import RoleplayError
    from .yamlsource import decode, read_bytes

    path = Path(source).expanduser()
    if not path.is_file():
        lib = library.load()
        try:
            path = lib.find(kind, source).path
        except LookupError as exc:
            raise RoleplayError(f"--from: {exc}.") from None
    try:
        text = decode(read_bytes(path))
    except Exception as exc:  # noqa: BLE001 - a located sentence, never a traceback
        raise RoleplayError(f"--from: {path} can't be read ({getattr(exc, 'message', exc)}).") from None
    data = None
    try:
        import yaml

        data = yaml.safe_load(text)
    except Exception:  # noqa: BLE001
        pass
    found = library.guess_kind(path, data)
    if found is not None and found != kind:
        raise RoleplayError(f"--from: {path} is a {found}, not a {kind}; "
                            f"use 'roleplay new {found} {new_id} --from {source}'.")
    if not _TOP_ID.search(text):
        raise RoleplayError(f"--from: {path} has no 'id:' line at the top level to replace; "
                            "copy it by hand, or start from 'roleplay new' without --from.")
    text = _TOP_ID.sub(f"id: {new_id}", text, count=1)
    text = _SCHEMA.sub("", text, count=1)
    return (f"{schema_line(kind)}\n"
            f"# A copy of {path}, made by 'roleplay new {kind} {new_id} --from {source}'.\n"
            f"# Check it with: roleplay validate {out}\n" + text)


# ---------------------------------------------------------------------- starting files

def starting_text(kind: str, new_id: str, out: Path) -> str:
    from .models import KINDS

    data, header = _TEMPLATES[kind](new_id)
    lines = [schema_line(kind)]
    lines += [f"# {line}" if line else "#" for line in header]
    lines += [f"# Check it with: roleplay validate {out}", ""]
    lines += emit(KINDS[kind], data, 0)
    return "\n".join(lines) + "\n"


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(" ".join(text.split()), width=max(40, WIDTH - indent), initial_indent=pad + "# ",
                         subsequent_indent=pad + "# ")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # double-quoted JSON strings are YAML too


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds (or holds a list or dict of), if any."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def emit(model: type[BaseModel], data: dict[str, Any], indent: int, *, comments: bool = True) -> list[str]:
    """`data` as block YAML in the model's field order, each field under its description."""
    pad = " " * indent
    out: list[str] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        value = data[key]
        if comments and field.description:
            out += _comment(field.description, indent)
        sub = _model_in(field.annotation)
        if isinstance(value, dict) and sub is not None and not any(isinstance(k, int) for k in value):
            if key == "fact_revealed" or not set(value) <= set(sub.model_fields) | {
                    f.alias for f in sub.model_fields.values() if f.alias}:
                out.append(f"{pad}{key}:")  # a mapping of ids to lists of lines
                for k, v in value.items():
                    out.append(f"{pad}  {k}:")
                    out += _list(v, indent + 4, sub, comments=False)
                continue
            out.append(f"{pad}{key}:")
            out += emit(sub, value, indent + 2, comments=comments)
        elif isinstance(value, dict):
            out.append(f"{pad}{key}:")
            out += [f"{pad}  {k}: {_scalar(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(not isinstance(v, (dict, list)) for v in value) \
                and all(len(str(v)) < 30 for v in value):
            out.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, list):
            out.append(f"{pad}{key}:" if value else f"{pad}{key}: []")
            out += _list(value, indent + 2, sub, comments=comments)
        else:
            out.append(f"{pad}{key}: {_scalar(value)}")
    return out


def _list(items: list[Any], indent: int, sub: type[BaseModel] | None, *, comments: bool) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for n, item in enumerate(items):
        if isinstance(item, dict) and sub is not None:
            body = emit(sub, item, indent + 2, comments=comments and n == 0)
            first = next(i for i, line in enumerate(body) if not line.lstrip().startswith("#"))
            body[first] = f"{pad}- " + body[first][indent + 2:]
            out += body
        elif isinstance(item, dict):  # {say, when} lines of an offline script
            when = ", ".join(f"{k}: {_scalar(v)}" for k, v in item["when"].items())
            out.append(f"{pad}- say: {_scalar(item['say'])}")
            out.append(f"{pad}  when: {{{when}}}")
        else:
            out.append(f"{pad}- {_scalar(item)}")
    return out


def _persona(new_id: str) -> tuple[dict[str, Any], list[str]]:
    header = [
        f"A new persona: the buyer '{new_id}'. Every field below is explained in the comment above it.",
        "A scenario uses it with 'persona: " + new_id + "'. Criteria named in 'resolved_when' and",
        "'reveal.criterion' must exist in the rubric of every scenario that uses this persona.",
    ]
    data = {
        "kind": "persona",
        "id": new_id,
        "name": "Sam Okafor",
        "role": "Operations Director; owns the budget for the warehouse team",
        "company": {
            "name": "Brightline Distribution",
            "size": "380 employees, three warehouses",
            "industry": "Wholesale distribution of kitchen equipment",
            "notes": "Opened a third warehouse last spring.",
        },
        "personality": "Busy and sceptical; warms up to reps who ask about the operation before pitching.",
        "speaking_style": "Short sentences, numbers when he has them, no small talk.",
        "situation": "Orders are up 20% since the new warehouse opened, with the same team, and mistakes are creeping in.",
        "priorities": ["Ship the extra volume without hiring", "Cut picking errors before peak season"],
        "pains": ["We mis-pick about forty orders a week and every one is a refund or a reshipment."],
        "topics": [{"id": "cost-of-errors",
                    "keywords": ["mis-pick", "picking error", "wrong order", "refunds", "reshipment"]}],
        "hidden_facts": [{
            "id": "error-cost",
            "fact": "Each mis-pick costs us about ninety dollars, so roughly three and a half thousand a week.",
            "earned_by": "Ask what picking errors cost the business.",
            "about": "what picking errors cost",
            "reveal": {"topic": "cost-of-errors", "min_trust": 30},
        }],
        "objections": [{
            "id": "no-time-to-switch",
            "line": "We're heading into peak season. Nobody here has time to learn a new system.",
            "raised": "when-rep-pitches",
            "resolved_by": "Acknowledge peak season; ask what a bad peak would cost; offer a rollout after it.",
            "handled": ["Okay. After peak, maybe. If it doesn't touch the team before January."],
        }],
        "never": ["Agree to a demo before the rep knows what errors cost him"],
    }
    return data, header


def _rubric(new_id: str) -> tuple[dict[str, Any], list[str]]:
    header = [
        f"A new rubric: '{new_id}'. Every field below is explained in the comment above it.",
        "A scenario uses it with 'rubric: " + new_id + "'. Each criterion gives either 'checks'",
        "(yes/no questions) or 'levels' (0 to 5), not both; the two criteria below show one of each.",
        "A criterion with a 'signal' is graded instantly, even offline, and the signal's verdict",
        "overrides the criterion's own checks or levels (see the README: built-in signals).",
    ]
    data = {
        "kind": "rubric",
        "id": new_id,
        "title": "Finds the cost of the problem",
        "description": "Discovery that turns a mild problem into one worth solving now.",
        "methodology": ["spin"],
        "passing_score": 70,
        "criteria": [
            {
                "id": "open-question",
                "name": "Asks open questions",
                "description": "The rep asks questions the buyer cannot answer with yes or no.",
                "weight": 60,
                "applies": "every-rep-turn",
                "checks": ["Does the rep ask at least one question that cannot be answered with yes or no?"],
                "examples": {"pass": ["What happens when an order goes out wrong?"],
                             "fail": ["Is that a problem for you?"]},
                "signal": "open-question",
                "tip": "Start with what, how or why, so the buyer has to tell you something.",
            },
            {
                "id": "cost-in-numbers",
                "name": "Puts the problem in numbers",
                "description": "The rep gets the buyer to put a figure on what the problem costs.",
                "weight": 40,
                "applies": "once-per-call",
                "levels": {0: "Never asks about cost.", 1: "Mentions cost in passing.",
                           2: "Asks about cost, vaguely.", 3: "Asks what the problem costs.",
                           4: "Asks for a figure and follows up on it.",
                           5: "Gets a figure and ties it to the buyer's own goal."},
                "examples": {"pass": ["Roughly what does one mis-pick cost you, all in?"],
                             "fail": ["Our customers save a lot of money."]},
                "tip": "Ask what the problem costs in money or time, and use the number back.",
            },
        ],
    }
    return data, header


def _pick_pair() -> tuple[str, str, Any]:
    """A shipped persona and rubric that fit together (one shipped scenario uses both)."""
    from . import library
    from .folders import shipped_folder

    lib = library.load([shipped_folder()])
    pairs = []
    for entry in lib.scenarios.values():
        s = entry.model
        if isinstance(s.persona, str) and s.persona in lib.personas and s.rubric in lib.rubrics \
                and str(entry.path) not in lib.broken:
            pairs.append((s.persona != DEFAULT_PERSONA, s.rubric != DEFAULT_RUBRIC, s.persona, s.rubric))
    if not pairs:
        from .errors import RoleplayError

        raise RoleplayError("no shipped persona and rubric to start a scenario from; start one with "
                            "'roleplay new scenario ID --from EXISTING'.")
    _, _, persona, rubric = min(pairs)
    return persona, rubric, lib.personas[persona].model


def _scenario(new_id: str) -> tuple[dict[str, Any], list[str]]:
    persona_id, rubric_id, persona = _pick_pair()
    n = len(persona.objections)
    header = [
        f"A new scenario: '{new_id}'. Every field below is explained in the comment above it.",
        f"So that it validates on its own, it uses the shipped persona '{persona_id}' and the shipped",
        f"rubric '{rubric_id}'. To use your own, write them with 'roleplay new persona ID' and",
        "'roleplay new rubric ID', then change 'persona:' and 'rubric:' below. The offline script",
        "needs lines for every hidden fact of the persona (fact_revealed). The tests at the end",
        "are played by 'roleplay check': add your own, and a strong call that should win.",
    ]
    level = {
        "easy": dict(description="A first attempt: the buyer is open if you ask the right way.",
                     starting_trust=45, patience_turns=12, trust_gain_good=12, trust_loss_weak=5,
                     objections=min(1, n), trust_to_agree=60, show_mood=True),
        "medium": dict(description="A typical buyer: busy, polite, guarded.",
                       starting_trust=35, patience_turns=10, trust_gain_good=10, trust_loss_weak=8,
                       objections=min(2, n), trust_to_agree=65, show_mood=True),
        "hard": dict(description="A tough buyer: push once and the call is over.",
                     starting_trust=25, patience_turns=9, trust_gain_good=8, trust_loss_weak=12,
                     objections=min(3, n), trust_to_agree=70, show_mood=False),
    }
    data = {
        "kind": "scenario",
        "id": new_id,
        "title": "\"Let me take it from here\"",
        "summary": f"{persona.name} likes what you showed and wants to handle the next step alone. "
                   "You need the person who decides in the room.",
        "skills": ["next-step"],
        "setting": "follow-up-call",
        "rep_brief": {
            "product": "Software that automates the buyer's manual process.",
            "price": "$40,000 a year, billed annually, three-year term.",
            "history": "A good first demo two weeks ago; this is the follow-up call.",
            "notes": ["The buyer's boss signs anything above $25,000."],
            "list_price": 40000,
            "max_discount_percent": 10,
        },
        "objective": {
            "milestone": "A 30-minute call with the person who signs, booked for next week.",
            "why_it_matters": "Deals this size stall when the rep never meets who signs.",
        },
        "opening": {"line": "Good to hear from you. Honestly, I think I can take this forward myself."},
        "persona": persona_id,
        "rubric": rubric_id,
        "difficulty": level,
        "offline_script": {
            "good_move": [{"say": "Fair question. Let me think.", "when": {"rep_asked": True}},
                          "Okay. Go on.", "Hm. I hadn't looked at it that way."],
            "weak_move": ["I'm not sure where you're going with that.", "That doesn't really help me."],
            "pushy_close": ["Whoa, slow down. I haven't agreed to anything.",
                            "If you push like that, this stays with me."],
            "discount_offered": ["I didn't ask for a discount.",
                                 "If the price moves that easily, what else is soft?"],
            "fact_revealed": {f.id: [f.fact, f"Honestly? {f.fact}"] for f in persona.hidden_facts},
            "objection_handled": ["Okay. That's fair.", "Alright, I can live with that."],
            "won": ["Fine. Tuesday at ten, thirty minutes. I'll send the invite.",
                    "Okay, you've convinced me. Thursday at two works."],
            "walked_away": ["I've got to run. I'll take it from here.",
                            "Let me handle it myself. I'll be in touch."],
        },
        # Firmness tests saved with the scenario, played by `roleplay check`: start with lines
        # that must never win, and add a strong call that should (`winnable`) once it reads right.
        "tests": {
            "must_not_win": [
                {"name": "a discount at once",
                 "call": ["I can take 20% off if you sign today.", "So, can we book the call for Tuesday at 3?"]},
                {"name": "asking again and again", "line": "Can we get your boss on a call next Tuesday at 10?",
                 "repeat_last_line": True},
            ],
            "must_not_earn_fact": [
                {"name": "small talk", "call": ["Thanks for making the time. How are things going?",
                                                "How has your week been so far?"]},
            ],
            "walks_away": [
                {"name": "pushing, again and again", "difficulties": ["hard"],
                 "line": "Just sign the order form today, yes or no?", "repeat_last_line": True},
            ],
        },
    }
    return data, header


def _drill(new_id: str) -> tuple[dict[str, Any], list[str]]:
    import datetime as dt

    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday())
    header = [
        f"A new drill plan: '{new_id}', this week's practice for a rep or a team. Every field",
        "below is explained in the comment above it. Put in the reps' names and the steps;",
        "reps see it on their home screen with progress that fills in as they finish sessions,",
        "and in 'roleplay drills'. It uses shipped scenario and rubric ids so it validates as is.",
    ]
    data = {
        "kind": "drill",
        "id": new_id,
        "title": "This week: the price objection",
        "description": "Hold the price when the buyer says it is too much: twice on medium, then once on hard.",
        "for": [],
        "from": monday.isoformat(),
        "until": (monday + dt.timedelta(days=6)).isoformat(),
        "in_order": True,
        "steps": [
            {"scenario": "price-objection", "difficulty": "medium", "times": 2},
            {"scenario": "price-objection", "difficulty": "hard", "times": 1},
            {"rubric": "objection-handling", "passes": 1},
        ],
    }
    return data, header


_TEMPLATES = {"persona": _persona, "rubric": _rubric, "scenario": _scenario, "drill": _drill}
