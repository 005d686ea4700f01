"""Plain sentences, computed from the numbers, on where intq is behind or ahead of its peers.

For every column the best intq row is compared with each peer's best row (ONNX Runtime's best
setting, PyTorch FX), so a column where no intq setting reaches a peer is always said out
loud; intq's default settings are also held against the peers on accuracy, because that is
what a user who does not tune gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.methods import EXPORT_ROW, INTQ_DEFAULT, METHODS, by_key
from benchmarks.metrics import EXACT_CHECKS, METRICS, Metric, Row

PEERS = tuple(dict.fromkeys(m.family for m in METHODS if m.family not in ("float", "intq")))


def label(key: str) -> str:
    return "intq → ONNX int export in ONNX Runtime" if key == EXPORT_ROW else by_key(key).label


def family(key: str) -> str:
    return "intq" if key == EXPORT_ROW else by_key(key).family


def best(rows: dict[str, Row], fam: str, metric: Metric) -> tuple[str, float] | None:
    found = [(key, v) for key, row in rows.items() if row.get("ok") and family(key) == fam
             and (v := metric.value(row)) is not None]
    if not found:
        return None
    pick = max if metric.higher_is_better else min
    return pick(found, key=lambda item: item[1])


@dataclass
class Verdict:
    losses: list[str] = field(default_factory=list)
    wins: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)


def model_verdict(rows: dict[str, Row]) -> Verdict:
    """Where intq loses, wins and ties on one model's rows."""
    verdict = Verdict()
    for metric in METRICS:
        compare_best(rows, metric, verdict)
    compare_default_accuracy(rows, verdict)
    for check, words in EXACT_CHECKS.items():
        compare_exactness(rows, check, words, verdict)
    return verdict


def compare_best(rows: dict[str, Row], metric: Metric, verdict: Verdict) -> None:
    ours = best(rows, "intq", metric)
    if ours is None:
        return
    theirs = {peer: b for peer in PEERS if (b := best(rows, peer, metric)) is not None}
    beaten_by = [(key, v) for key, v in theirs.values() if metric.better(v, ours[1])]
    if not theirs:
        return
    ours_text = f"intq's best is {metric.fmt(ours[1])} ({label(ours[0])})"
    others = ", ".join(f"{peer}'s best {metric.fmt(v)}" for peer, (_, v) in theirs.items())
    if beaten_by:
        peers = ", ".join(f"{label(key)} {metric.fmt(v)}" for key, v in beaten_by)
        verdict.losses.append(f"{metric.title}: {ours_text}; better: {peers}")
    elif all(metric.better(ours[1], v) for _, v in theirs.values()):
        verdict.wins.append(f"{metric.title}: {ours_text}; {others}")
    else:
        within = (f" (differences up to {metric.fmt(metric.tie)} count as even)"
                  if metric.tie else "")
        verdict.ties.append(f"{metric.title}: {ours_text}; {others}{within}")


def compare_default_accuracy(rows: dict[str, Row], verdict: Verdict) -> None:
    """What a user who does not tune intq gets, against every peer's best row."""
    default = rows.get(INTQ_DEFAULT, {})
    if not default.get("ok"):
        return
    accuracy = METRICS[0]
    beaten_by = [b for peer in PEERS if (b := best(rows, peer, accuracy)) is not None
                 and accuracy.better(b[1], default["accuracy"])]
    if beaten_by:
        peers = ", ".join(f"{label(key)} {accuracy.fmt(v)}" for key, v in beaten_by)
        verdict.losses.append(f"accuracy with intq's defaults ({label(INTQ_DEFAULT)}): "
                              f"{accuracy.fmt(default['accuracy'])}; better: {peers}")


def compare_exactness(rows: dict[str, Row], check: str, words: str, verdict: Verdict) -> None:
    measured = {key: row["exact"][check] for key, row in rows.items()
                if row.get("ok") and check in row.get("exact", {})}
    ours = [ok for key, ok in measured.items() if family(key) == "intq"]
    if not ours:
        return
    exact_peers = [label(k) for k, ok in measured.items() if family(k) in PEERS and ok]
    inexact_peers = [label(k) for k, ok in measured.items() if family(k) in PEERS and not ok]
    title = f"bit-identical outputs, {words}"
    if not all(ours):
        who = f"{', '.join(exact_peers)} are" if exact_peers else "intq promises it"
        verdict.losses.append(f"{title}: {ours.count(False)} of {len(ours)} intq rows are "
                              f"not; {who}")
    elif inexact_peers:
        verdict.wins.append(f"{title}: every intq row is; not {', '.join(inexact_peers)}")
    elif exact_peers:
        verdict.ties.append(f"{title}: every intq row and every peer row is, on this machine")
    else:
        verdict.wins.append(f"{title}: every intq row is (the peers have no second engine to "
                            "match)")


def failures(rows: dict[str, Row]) -> list[str]:
    return [f"{label(key)}: {row.get('error', 'failed')}" for key, row in rows.items()
            if not row.get("ok")]


def scaling_verdict(scaling: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(losses, wins) of intq against ONNX Runtime's calibrator, per column, naming the
    calibration sizes where each holds."""
    rows = scaling["rows"]
    intq_key = next((k for k in rows if family(k) == "intq"), None)
    peer_key = next((k for k in rows if family(k) != "intq"), None)
    if intq_key is None or peer_key is None:
        return [], []
    pairs = [(f, ours, rows[peer_key][f]) for f, ours in rows[intq_key].items()
             if ours.get("ok") and rows[peer_key].get(f, {}).get("ok")]
    losses, wins = [], []
    for title, key, fmt in (("calibration time", "quantize_seconds", lambda v: f"{v:.1f} s"),
                            ("peak memory", "rss_peak", lambda v: f"{v / 2**20:.0f} MB")):
        for verdicts, holds in ((losses, lambda a, b: b < a), (wins, lambda a, b: a < b)):
            where = [(f, a[key], b[key]) for f, a, b in pairs if holds(a[key], b[key])]
            if where:
                verdicts.append(
                    f"{title} at {', '.join(f'{f}x' for f, _, _ in where)}: intq "
                    f"{', '.join(fmt(a) for _, a, _ in where)}; {label(peer_key)} "
                    f"{', '.join(fmt(b) for _, _, b in where)}")
    return losses, wins


def kernel_dependent(rows: dict[str, Row], threshold: float = 1.0) -> list[str]:
    """Rows whose accuracy changes by ``threshold`` points or more between the engine's
    optimized kernels and the same file run unoptimized."""
    found = []
    for key, row in rows.items():
        ref = row.get("reference_accuracy")
        if row.get("ok") and ref is not None and abs(row["accuracy"] - ref) >= threshold:
            found.append(f"{label(key)}: {row['accuracy']:.2f} % as deployed (default graph "
                         f"optimizations, fused integer kernels), {ref:.2f} % with graph "
                         "optimizations off (the same file, run as float QDQ simulation)")
    return found
