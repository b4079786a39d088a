"""Drill plans: this week's practice a manager hands a rep or a team, and how far it has got."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
