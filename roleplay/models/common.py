"""Pieces shared by every file format."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ID_PATTERN = _ID.pattern


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            f"'{value}' is not a usable id: use lowercase letters, digits and hyphens, "
            "like 'price-objection'"
        )
    return value


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN,
                    "description": "lowercase letters, digits and hyphens"}),
]
"""A short name other files refer to, like `price-objection`."""

Text = Annotated[str, Field(min_length=1)]
"""Non-empty text written by the author."""


class Strict(BaseModel):
    """Base of every file model: unknown keys are mistakes, numbers in text fields are text."""

    model_config = ConfigDict(
        extra="forbid",
        coerce_numbers_to_str=True,
        frozen=True,
        str_strip_whitespace=True,
    )
