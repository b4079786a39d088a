"""The file formats, defined once: every check and the JSON Schema come from these models."""

from .common import Id, Strict
from .drill import Drill, Step
from .persona import Company, HiddenFact, Objection, Persona, RevealRule, Topic
from .rubric import Criterion, Examples, Rubric, SignalName
from .scenario import (
    Difficulties, Difficulty, LineCondition, OfflineScript, Opening, RepBrief, Scenario, ScriptLine,
)

KINDS = {"scenario": Scenario, "rubric": Rubric, "persona": Persona, "drill": Drill}

__all__ = [
    "KINDS", "Company", "Criterion", "Difficulties", "Difficulty", "Drill", "Examples", "HiddenFact",
    "Id", "LineCondition", "Objection", "OfflineScript", "Opening", "Persona", "RepBrief", "RevealRule",
    "Rubric", "Scenario", "ScriptLine", "SignalName", "Step", "Strict", "Topic",
]
