"""The Textual front end."""

from __future__ import annotations


def run_app(settings, session=None, exit_after_paint: bool = False) -> int:  # noqa: ANN001
    from .app import run_app as _run

    return _run(settings, session=session, exit_after_paint=exit_after_paint)
