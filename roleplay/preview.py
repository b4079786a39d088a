"""`roleplay preview`: a strong and a weak rep self-played against a buyer, side by side."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
