"""Rewrite the benchmark section of the README: only what lies between the markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def write_section(markdown: str, path: Path = README) -> None:
    """Replace the text between the markers (appending the markers if they are missing)."""
    text = path.read_text()
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{markdown.rstrip()}\n{END}{tail}")
