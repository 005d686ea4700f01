"""Rewrite a generated section of the README: only what lies between its markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def write_section(markdown: str, path: Path = README,
                  markers: tuple[str, str] = (START, END)) -> None:
    """Replace the text between the markers (appending the markers if they are missing)."""
    start, end = markers
    text = path.read_text()
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{markdown.rstrip()}\n{end}{tail}")
