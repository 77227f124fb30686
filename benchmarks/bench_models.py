"""World models side by side on the same fresh pairs: the bundled JEPA, the pixel-space
predictor and the untrained encoder, pairwise accuracy and AUROC per concept.

    python benchmarks/bench_models.py [--pairs 20] [--seed 100000] [--models jepa,pixel,untrained]

The pairs come from physlab's own families with seeds far from any training clip's; the set
is written once under benchmarks/data/ and reused. `--foreign` makes the pairs look unlike
the training data (30 fps instead of 24, saturated floors, muted walls, wider and farther
cameras, other sizes), and `--set DIR` scores a set made by someone else (any folder in the
docs/design.md contract).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from physlab.data.stimuli import write_stimuli
from physlab.lab.looks import foreign_look
from physlab.model import load_model
from physlab.scenes.clips import PAIR_DRAWS
from physlab.scenes.families import load_families
from physlab.voe.metrics import interval_text
from physlab.voe.plots import plot_accuracy_by_concept
from physlab.voe.surprise import DEFAULT_POOL, POOLS, evaluate

HERE = Path(__file__).resolve().parent


def print_table(results: dict[str, dict], part: str, title: str) -> None:
    """One row per concept (or violation), accuracy and AUROC of each model side by side."""
    rows = sorted({key for summary in results.values() for key in summary.get(part, {})})
    print(f"{title:24s}" + "".join(f" {name + ' acc':>14s} {'95%':>9s} {name + ' auroc':>14s}" for name in results))
    for row in [*rows, "overall"]:
        cells = []
        for summary in results.values():
            metrics = summary if row == "overall" else summary.get(part, {}).get(row, {})
            accuracy, interval, area = (metrics.get(key) for key in ("pairwise_accuracy", "pairwise_interval", "auroc"))
            cells.append(f" {'-' if accuracy is None else f'{accuracy:.3f}':>14s}")
            cells.append(f" {interval_text(interval):>9s}")
            cells.append(f" {'-' if area is None else f'{area:.3f}':>14s}")
        print(f"{row:24s}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--pairs", type=int, default=20, help="pairs per family")
    parser.add_argument("--seed", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--set", help="score this stimulus set instead of making one")
    parser.add_argument("--foreign", action="store_true", help="make the pairs look unlike the training data")
    parser.add_argument("--models", default="jepa,pixel,untrained")
    parser.add_argument("--pool", choices=POOLS, default=DEFAULT_POOL)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    kind = "foreign" if args.foreign else "pairs"
    folder = Path(args.set) if args.set else HERE / "data" / f"{kind}_{args.pairs}_{args.seed}_{args.size}_pairs{PAIR_DRAWS}"
    if not args.set:
        families = load_families(with_violations=True)
        families = [foreign_look(family) for family in families] if args.foreign else families
        write_stimuli(folder, families, args.pairs, seed=args.seed, size=args.size, workers=2)
    results, seconds = {}, {}
    for name in args.models.split(","):
        start = time.perf_counter()
        results[name] = evaluate(folder, load_model(name), pool=args.pool).summary
        seconds[name] = time.perf_counter() - start
    print_table(results, "per_concept", "concept")
    print()
    print_table(results, "per_violation", "violation")
    print("scoring seconds: " + ", ".join(f"{name} {s:.1f}" for name, s in seconds.items()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"models_{kind}_{args.pool}.json").write_text(json.dumps({"set": str(folder), "results": results}, indent=1))
    plot_accuracy_by_concept(results, out / f"models_{kind}_{args.pool}.png")


if __name__ == "__main__":
    main()
