"""JSON Schema for each file kind, generated from the models (never written by hand)."""

from __future__ import annotations

from typing import Any

from .models import KINDS


def schema_for(kind: str) -> dict[str, Any]:
    schema = KINDS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://roleplay.invalid/schema/{kind}.json"
    return schema
