"""`roleplay report`: what a manager brings to a 1:1, from the practice history."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
