"""Turning pydantic's validation errors into located, plain-word problems (file, line, field)."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .yamlsource import Located, Path_, Problem, format_path

_TYPE_WORDS = {
    "string_type": "should be text",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "list_type": "should be a list (one '- ' line per entry)",
    "dict_type": "should be a block of 'name: value' lines",
    "model_type": "should be a block of 'name: value' lines",
    "model_attributes_type": "should be a block of 'name: value' lines",
}


def did_you_mean(value: str, known: list[str]) -> str:
    """"; did you mean 'x'?" for the closest known name, or "" when none is close."""
    guess = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "...'"


def _options(tp: Any) -> list[Any]:
    """The alternatives a type allows, with Annotated and Optional peeled off."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _options(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.append(arg)
        return out
    return [tp]


def _tag_of(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return tag
    return None


def _field(model: type[BaseModel], name: str) -> FieldInfo | None:
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    return None


def _step(tp: Any, part: str | int) -> tuple[Any, bool]:
    """Follow one part of an error location; returns (type there, part is data)."""
    options = _options(tp)
    for opt in options:  # a discriminated union names its branch in the location
        if _tag_of(opt) == part:
            return opt, False
    for opt in options:
        opt = _options(opt)[0] if len(_options(opt)) == 1 else opt
        origin = typing.get_origin(opt)
        if isinstance(opt, type) and issubclass(opt, BaseModel) and isinstance(part, str):
            info = _field(opt, part)
            if info is not None:
                return info.annotation, True
        elif origin is list and isinstance(part, int):
            return typing.get_args(opt)[0], True
        elif origin is dict:
            return typing.get_args(opt)[1], True
    return None, True


def _keys_at(tp: Any) -> list[str]:
    names: list[str] = []
    for opt in _options(tp):
        for inner in _options(opt):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names += [info.alias or name for name, info in inner.model_fields.items()]
    return names


def problems_from(exc: ValidationError, model: type[BaseModel], located: Located,
                  file: str, prefix: Path_ = ()) -> list[Problem]:
    """One located Problem per pydantic error."""
    out = []
    for err in exc.errors(include_url=False):
        tp: Any = model
        parent_tp: Any = model
        path: list[str | int] = list(prefix)
        is_key = False
        for part in err["loc"]:
            if part == "[key]":
                is_key = True
                continue
            parent_tp = tp
            tp, is_data = _step(tp, part)
            if is_data:
                path.append(part)
        kind = err["type"]
        ctx = err.get("ctx") or {}
        data_path = tuple(path)
        if kind == "extra_forbidden":
            name = str(path[-1])
            known = _keys_at(parent_tp)
            message = f"unknown field '{name}'"
            guess = did_you_mean(name, known)
            if guess:
                message += guess
            elif known:
                message += f"; the fields here are: {', '.join(known)}"
            line, col = located.where(data_path, key=True)
        elif kind == "missing":
            message = "is required but missing"
            line, col = located.where(data_path[:-1])
        else:
            line, col = located.where(data_path, key=is_key)
            if kind in _TYPE_WORDS:
                message = f"{_TYPE_WORDS[kind]}, not {_show(err['input'])}"
            elif kind == "literal_error":
                expected = ctx.get("expected", "")
                message = f"{_show(err['input'])} is not allowed; use one of {expected}"
                choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
                message += did_you_mean(str(err["input"]), choices)
            elif kind == "value_error":
                message = str(ctx.get("error", err["msg"]))
            elif kind in ("too_short", "string_too_short"):
                need = ctx.get("min_length", 1)
                if isinstance(err["input"], str) and need == 1:
                    message = "cannot be empty"
                else:
                    what = "characters" if isinstance(err["input"], str) else (
                        "entry" if need == 1 else "entries")
                    message = f"needs at least {need} {what}, found {ctx.get('actual_length', 0)}"
            elif kind == "too_long":
                message = f"has too many entries; at most {ctx.get('max_length')}"
            else:
                message = err["msg"].replace("Input should be", "should be")
                if "input" in err and not isinstance(err["input"], (dict, list)):
                    message += f", not {_show(err['input'])}"
        out.append(Problem(file, line, col, format_path(data_path), message))
    return out
