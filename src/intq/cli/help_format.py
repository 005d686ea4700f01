"""The help layout of every ``intq`` command: descriptions wrapped to the terminal, example
blocks (any text with line breaks) kept exactly as written."""

from __future__ import annotations

import argparse


class ExamplesFormatter(argparse.HelpFormatter):
    """``HelpFormatter`` that leaves multi-line text (the examples epilog) unwrapped."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)
