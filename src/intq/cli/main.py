"""The ``intq`` command: argument parsing, dispatch, and the one-line error contract.

Every subcommand lives in its own module exposing ``add_parser(subparsers)`` and ``run(args)``.
User errors (``IntqError``) print one line to stderr and exit 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from intq.cli import demo_cmd, export_cmd, inspect_cmd, quantize_cmd, run_cmd
from intq.errors import IntqError

COMMANDS = (demo_cmd, quantize_cmd, run_cmd, inspect_cmd, export_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intq", description="Integer-only, bit-exact quantization of neural networks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IntqError as exc:
        if args.debug:
            raise
        print(f"intq: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("intq: interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from intq import __version__

    return f"intq {__version__}"


if __name__ == "__main__":
    sys.exit(main())
