"""What the dashboard opens with, measured once and stored, and remade by one command when a model changes:

    python -m dashboard.precomputed        (make dashboard-data; about 15 minutes on 2 cores)

- `dashboard/data/showcase.json`: seeds 0-7 of every family, made and scored as the Surprise lab does
  (raw frames at 128 px), with each bundled model: the lab opens each family on the first pair the
  model gets right, and "A pair it gets wrong" shows the others.
- `dashboard/data/comparison.csv`: every clip's surprise under the three bundled models on 10 pairs a
  family (seeds from 100000, 64 px: `benchmarks/bench_models.py --pairs 10 --size 64` makes and scores
  the same sets) and on the same events filmed differently (`--foreign`); the Models page summarises them.

Both record the SHA-256 of the models they were made with; tests/test_precomputed.py fails when a
model file no longer matches, until this is run again.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHOWCASE = DATA / "showcase.json"
COMPARISON = DATA / "comparison.csv"
COMPARISON_INFO = DATA / "comparison.json"
MODELS = ("jepa", "pixel", "untrained")
SHOWCASE_SEEDS = range(8)
LAB_SIZE = 128  # the Surprise lab's frame size
# Pairs as benchmarks/bench_models.py makes them (`--pairs 10 --size 64` scores the same sets, made under its data/).
COMPARISON_PAIRS, COMPARISON_SEED, COMPARISON_SIZE = 10, 100_000, 64
LOOKS = {"training": "pairs", "foreign": "foreign"}  # look -> bench_models' folder prefix
COMPARISON_COLUMNS = ["look", "model", "family", "clip", "pair", "label", "concept", "violation", "surprise", "peak_delay_s"]


def read_showcase(path: Path = SHOWCASE) -> dict:
    """{"models": {model: {"digest", "families": {family: {seed: [possible, impossible]}}}}, "seeds", "size", ...}."""
    data = json.loads(path.read_text())
    for entry in data["models"].values():
        entry["families"] = {f: {int(s): v for s, v in seeds.items()} for f, seeds in entry["families"].items()}
    return data


def read_comparison(path: Path = COMPARISON) -> list[dict]:
    """The stored clip rows, with numbers as numbers."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["surprise"] = float(row["surprise"])
        row["peak_delay_s"] = float(row["peak_delay_s"]) if row["peak_delay_s"] else None
        row["violation"] = row["violation"] or None
    return rows


def comparison_info(path: Path = COMPARISON_INFO) -> dict:
    """How the comparison was made: the sets, the models' digests, the date."""
    return json.loads(path.read_text())


def summaries(rows: list[dict], families: set[str] | None = None) -> dict[str, dict[str, dict]]:
    """{look: {model: evaluation summary}} of the stored rows, on the chosen families' pairs only."""
    from physlab.voe.metrics import summarise

    grouped: dict[tuple[str, str], dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        if families is None or row["family"] in families:
            grouped[row["look"], row["model"]][row["pair"]][row["label"]] = row
    result: dict[str, dict[str, dict]] = defaultdict(dict)
    for (look, model), pairs in grouped.items():
        complete = [(p["possible"], p["impossible"]) for p in pairs.values() if {"possible", "impossible"} <= set(p)]
        result[look][model] = summarise(complete, [row for pair in complete for row in pair])
    return dict(result)


def stale_models(recorded: dict[str, str]) -> list[str]:
    """The models whose digest no longer matches the one recorded."""
    from physlab.lab.showcase import model_digest

    return [name for name, digest in recorded.items() if model_digest(name) != digest]


def make_showcase(workers: int) -> None:
    from physlab.files import write_json
    from physlab.lab.showcase import model_digest, scan_pairs
    from physlab.scenes.families import load_families

    scores, errors = scan_pairs(load_families(with_violations=True), MODELS, SHOWCASE_SEEDS, size=LAB_SIZE, workers=workers)
    write_json(
        SHOWCASE,
        {
            "made_by": "python -m dashboard.precomputed",
            "made": time.strftime("%Y-%m-%d"),
            "size": LAB_SIZE,
            "seeds": list(SHOWCASE_SEEDS),
            "models": {name: {"digest": model_digest(name), "families": scores[name]} for name in MODELS},
            "errors": errors,
        },
    )


def make_comparison(workers: int) -> None:
    from physlab.data.manifest import read_manifest
    from physlab.data.stimuli import write_stimuli
    from physlab.files import write_csv, write_json
    from physlab.lab.looks import foreign_look
    from physlab.lab.showcase import model_digest
    from physlab.model import load_model
    from physlab.scenes.clips import PAIR_DRAWS
    from physlab.scenes.families import load_families
    from physlab.voe.surprise import evaluate

    rows, sets, errors = [], {}, []
    for look, prefix in LOOKS.items():
        folder = (
            ROOT / "benchmarks" / "data" / f"{prefix}_{COMPARISON_PAIRS}_{COMPARISON_SEED}_{COMPARISON_SIZE}_pairs{PAIR_DRAWS}"
        )
        families = load_families(with_violations=True)
        families = [foreign_look(family) for family in families] if look == "foreign" else families
        made = write_stimuli(folder, families, COMPARISON_PAIRS, seed=COMPARISON_SEED, size=COMPARISON_SIZE, workers=workers)
        errors.extend(made.errors)
        family_of = {row["pair"]: row["family"] for row in read_manifest(folder)}
        sets[look] = str(folder.relative_to(ROOT))
        for name in MODELS:
            print(f"scoring the {look} look with {name}", flush=True)
            result = evaluate(folder, load_model(name))
            errors.extend(result.errors)
            rows.extend(
                {"look": look, "model": name, "family": family_of[row["pair"]], **{k: row[k] for k in COMPARISON_COLUMNS[3:]}}
                for row in result.clips
            )
    write_csv(COMPARISON, rows, COMPARISON_COLUMNS)
    write_json(
        COMPARISON_INFO,
        {
            "made_by": "python -m dashboard.precomputed",
            "made": time.strftime("%Y-%m-%d"),
            "sets": sets,
            "pairs_per_family": COMPARISON_PAIRS,
            "first_seed": COMPARISON_SEED,
            "size": COMPARISON_SIZE,
            "digests": {name: model_digest(name) for name in MODELS},
            "errors": errors,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Remake what the dashboard opens with (after a bundled model changed).")
    parser.add_argument("--only", choices=["showcase", "comparison"], help="remake one of the two")
    parser.add_argument("--workers", type=int, default=2, help="processes making pairs (default 2)")
    args = parser.parse_args()
    for name, make in (("showcase", make_showcase), ("comparison", make_comparison)):
        if args.only in (None, name):
            started = time.perf_counter()
            make(args.workers)
            print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
