"""How a model's surprise is scored, chosen on validation sets: the clip pool (max, mean, habituated, excess), the
minimum real context before a frame is scored and the part of the frame scored (the manifest's crop or the pair's
motion), side by side on the same pairs.

    python benchmarks/bench_scoring.py --sets data/val_rand,data/val_classic [--model jepa]
                                       [--min-context 0,0.25,0.5] [--horizons mean,max,farthest]
                                       [--crops manifest,motion]

Choose on validation sets of looks the model trained on (their seeds apart from the benchmarks'), never on held-out
looks: those measure the choice. Each setting's pairwise accuracy (a tie is a miss) and AUROC per set, their mean,
and the after-onset figure where the sets give onsets; the best mean pairwise accuracy is marked. Results go to
benchmarks/results/scoring.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from physlab.model import load_model
from physlab.voe.metrics import interval_text
from physlab.voe.surprise import DEFAULT_CROP, POOLS, evaluate

HERE = Path(__file__).resolve().parent


def settings_grid(min_contexts: list[float], horizons: list[str], crops: list[str]) -> list[dict]:
    """Every combination of the scoring settings measured (each pool comes with every evaluation)."""
    return [
        {"min_context": c, "surprise_horizons": h, "crop": crop}
        for c, h, crop in itertools.product(min_contexts, horizons, crops)
    ]


def measure(model_name: str, sets: list[Path], grid: list[dict]) -> list[dict]:
    """One row per setting and pool: each set's accuracy, interval, AUROC and after-onset accuracy."""
    model = load_model(model_name)
    base = model.config
    rows = []
    for setting in grid:
        model.config = base.model_copy(update={k: v for k, v in setting.items() if k != "crop"})
        by_set = {folder.name: evaluate(folder, model, crop=setting["crop"]).summary for folder in sets}
        for pool in POOLS:
            row = {**setting, "pool": pool, "sets": {}}
            for name, summary in by_set.items():
                metrics = summary["pools"][pool]
                after = (summary.get("after_onset") or {}) if pool == summary["pool"] else {}
                row["sets"][name] = {
                    "pairwise_accuracy": metrics["pairwise_accuracy"],
                    "pairwise_interval": metrics["pairwise_interval"],
                    "auroc": metrics["auroc"],
                    "comparisons": metrics["pairs"],
                    "after_onset": after.get("pairwise_accuracy"),
                }
            row["mean_accuracy"] = sum(s["pairwise_accuracy"] for s in row["sets"].values()) / len(sets)
            rows.append(row)
            print(_line(row), flush=True)
    model.config = base
    return rows


def _line(row: dict) -> str:
    cells = " ".join(
        f"{name}={s['pairwise_accuracy']:.3f} ({interval_text(s['pairwise_interval'])}) auroc {s['auroc']:.3f}"
        for name, s in row["sets"].items()
    )
    setting = (
        f"min_context {row['min_context']:.2f}s  horizons {row['surprise_horizons']:8s} crop {row['crop']:8s} "
        f"pool {row['pool']:10s}"
    )
    return f"{setting} mean {row['mean_accuracy']:.3f}  {cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sets", required=True, help="comma-separated stimulus folders (validation, not held out)")
    parser.add_argument("--model", default="jepa")
    parser.add_argument("--min-context", default="0,0.25,0.5", help="seconds, comma-separated")
    parser.add_argument("--horizons", default="mean", help="surprise_horizons values, comma-separated")
    parser.add_argument("--crops", default=DEFAULT_CROP, help="evaluate's crop values, comma-separated (manifest, motion)")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    sets = [Path(s) for s in args.sets.split(",")]
    grid = settings_grid([float(c) for c in args.min_context.split(",")], args.horizons.split(","), args.crops.split(","))
    rows = measure(args.model, sets, grid)
    best = max(rows, key=lambda r: r["mean_accuracy"])
    print(f"\nbest on these sets: {_line(best)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "scoring.json"
    path.write_text(json.dumps({"model": args.model, "sets": [str(s) for s in sets], "rows": rows, "best": best}, indent=1))
    print(path)


if __name__ == "__main__":
    main()
