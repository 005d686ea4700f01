"""Fuzz the ``.intq`` loader and ``intq run`` with mutated model files, and count outcomes.

``python -m benchmarks.fuzz --examples 10000`` mutates a small quantized MLP (byte flips,
truncation, inserted or deleted bytes, a lying header length, edits of the JSON header) and
for each mutant loads it and, if it loads, runs it through the CLI. The contract: every
mutant either works or fails with intq's own error class (exit code 2, one line); anything
else is counted as a bug and printed. A nightly-style run, not a unit test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

MUTATIONS = ("flip", "truncate", "insert", "delete", "length", "header_byte")


def mutate(data: bytes, kind: str, position: int, value: int) -> bytes:
    """One mutation of ``data``: ``position`` and ``value`` are arbitrary integers, reduced
    to the file (so Hypothesis and a seeded RNG can drive it alike)."""
    if not data:
        return data
    at = position % len(data)
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << value % 8)]) + data[at + 1:]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + bytes([value % 256]) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + 1:]
    if kind == "length":
        return (value % 2**64).to_bytes(8, "little") + data[8:]
    header_len = int.from_bytes(data[:8], "little")
    at = 8 + position % max(header_len, 1)
    return data[:at] + bytes([32 + value % 95]) + data[at + 1:]


def check(data: bytes, folder: Path, x_path: Path) -> str:
    """``"loaded"`` or ``"refused"`` (IntqError), ``"ran"`` when the CLI ran it too; raises
    anything else."""
    from intq.cli.main import main
    from intq.errors import IntqError
    from intq.quantize.model import load

    path = folder / "m.intq"
    path.write_bytes(data)
    try:
        load(path)
    except IntqError:
        return "refused"
    out = folder / "y.npy"
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["run", str(path), str(x_path), "-o", str(out)])
    if code == 2 and len(err.getvalue().strip().splitlines()) == 1:
        return "loaded, run refused"
    if code != 0:
        raise AssertionError(f"intq run exit {code}: {err.getvalue()!r}")
    return "ran"


def good_model(folder: Path) -> tuple[bytes, Path]:
    """The bytes of a small quantized MLP and an input file for it."""
    from tests.cli.conftest import write_mlp

    _, intq_path, calib = write_mlp(folder)
    x = folder / "x.npy"
    np.save(x, np.load(calib)[:4])
    return intq_path.read_bytes(), x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    counts: Counter[str] = Counter()
    slowest = 0.0
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, x = good_model(folder)
        for _ in range(args.examples):
            kind = MUTATIONS[rng.integers(len(MUTATIONS))]
            mutant = mutate(data, kind, int(rng.integers(2**31)), int(rng.integers(2**63)))
            start = time.perf_counter()
            try:
                outcome = check(mutant, folder, x)
            except Exception as exc:  # the bug this benchmark looks for
                outcome = f"BUG {type(exc).__name__}"
                print(f"{kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
            slowest = max(slowest, time.perf_counter() - start)
            counts[outcome] += 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.examples} mutated .intq files in {time.perf_counter() - began:.1f} s "
          f"(slowest {slowest * 1000:.0f} ms, peak RSS {peak:.0f} MiB)")
    for outcome, count in sorted(counts.items()):
        print(f"  {outcome:<24}{count:>8}")
    return 1 if any(key.startswith("BUG") for key in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
