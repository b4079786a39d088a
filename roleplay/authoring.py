"""Writing library files: `roleplay new` starts a commented file; lint finds what makes a buyer weak."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's commands to the command line."""
