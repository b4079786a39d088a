"""`roleplay check`: a scenario's own firmness tests, and the probes every buyer gets, played against it."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
