"""The ``intq`` command: argument parsing, dispatch, and the one-line error contract.

Every subcommand lives in its own module exposing ``add_parser(subparsers)`` and ``run(args)``.
User errors (``IntqError``) print one line to stderr and exit 2; ``--debug`` shows tracebacks.
The global flags (``--debug``, ``--quiet``) work before and after the subcommand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from intq.cli import demo_cmd, export_cmd, inspect_cmd, quantize_cmd, run_cmd
from intq.cli.help_format import ExamplesFormatter
from intq.errors import IntqError

COMMANDS = (demo_cmd, quantize_cmd, run_cmd, inspect_cmd, export_cmd)
EXAMPLES = """examples:
  intq demo
  intq quantize model.onnx --calib data.npy -o model.intq
  intq quantize configs/lenet_digits.toml
  intq run model.intq x.npy -o y.npy
  intq inspect model.intq
  intq export model.intq -o model.onnx

'intq COMMAND --help' shows each command's options and examples."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intq", description="Integer-only, bit-exact quantization of neural networks.",
        epilog=EXAMPLES, formatter_class=ExamplesFormatter)
    _global_flags(parser, default=False)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    after = argparse.ArgumentParser(add_help=False)
    _global_flags(after, default=argparse.SUPPRESS)
    for command in COMMANDS:
        command.add_parser(sub, [after])
    return parser


def _global_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """``--debug``/``--quiet``; given to each subcommand with a suppressed default, so a flag
    before the subcommand is not reset by the subcommand's parser."""
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", default=default,
                        help="no progress output")


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
