"""Which clip pool measures a reaction to the violation, and which one something else: every pool's pairwise
accuracy for the JEPA beside the physics-free baselines (the pixel model, the untrained encoder at several seeds)
on the same pairs of the generalization bench's looks.

    python benchmarks/bench_pools.py [--pairs 8] [--seed 100000] [--models jepa,pixel,untrained]
                                     [--untrained-seeds 3] [--held-out heldout_dusk,...]

A pool under which a model that knows no physics is far from 0.5 rewards something that is not physics: a pool
relative to the clip's own median rewards a twin that goes still after its edit (a calm win, the fifteenth
session's finding); one that scores a pair only from where its twins differ (`diverged`) cannot be won that way,
but an imperfect predictor errs more on the possible twin's ongoing motion than on a still impossible one, so it
leans the other way. The table prints each pool's accuracy (a tie is a miss; 95% Wilson intervals, counting pair
ids) on physlab's own classic look, the seen look and the held-out looks pooled, each baseline's distance from 0.5,
and the JEPA's margin over the better baseline; then, per violation, the seen and held-out pairs the JEPA wins under
`diverged`, which are reactions to the edit. Sets are the generalization bench's (written once under
benchmarks/data/ and reused); results go to benchmarks/results/pools.json and pools.png.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from bench_generalization import baseline_setup, pooled

from physlab.files import write_json
from physlab.model import load_model
from physlab.voe.metrics import interval_text
from physlab.voe.surprise import POOLS, evaluate

HERE = Path(__file__).resolve().parent
GROUPS = ("own", "seen", "unseen")


def measure(sets: dict[str, Path], models: list[str]) -> dict[str, dict[str, dict]]:
    """summaries[model][look]: each model's evaluation summary on each set (every pool is in each)."""
    summaries: dict[str, dict[str, dict]] = {}
    for name in models:
        model = load_model(name)
        started = time.perf_counter()
        summaries[name] = {look: evaluate(folder, model).summary for look, folder in sets.items()}
        print(f"{name}: scored {len(sets)} sets in {time.perf_counter() - started:.0f} s", flush=True)
    return summaries


def grouped(by_look: dict[str, dict], pool: str) -> dict[str, dict]:
    """One pool's accuracy on the own, seen and held-out (pooled) looks of one model, pooled as the generalization
    bench pools looks (`pooled`: weighted by comparisons, the interval over pair ids)."""
    looks = {"own": ["classic"], "seen": ["randomized"], "unseen": [look for look in by_look if look.startswith("heldout_")]}
    return {group: pooled([by_look[look]["pools"][pool] for look in names]) for group, names in looks.items()}


def table(summaries: dict[str, dict[str, dict]], baselines: list[str]) -> dict[str, dict]:
    """rows[pool]: each model's grouped accuracy, each baseline's distance from 0.5 and the first model's margin
    over the better baseline, per look group."""
    first = next(iter(summaries))
    rows = {}
    for pool in POOLS:
        models = {name: grouped(by_look, pool) for name, by_look in summaries.items()}
        row: dict = {"models": models}
        for group in GROUPS:
            base = [models[b][group]["pairwise_accuracy"] for b in baselines]
            row.setdefault("baseline_from_chance", {})[group] = max(abs(v - 0.5) for v in base) if base else None
            row.setdefault("margin", {})[group] = models[first][group]["pairwise_accuracy"] - max(base) if base else None
        rows[pool] = row
    return rows


def reactions(by_look: dict[str, dict]) -> dict[str, dict]:
    """Per violation, the JEPA's wins and pairs under `diverged` on the seen and held-out looks together."""
    parts: dict[str, list[dict]] = defaultdict(list)
    for look, summary in by_look.items():
        if look == "classic":
            continue
        for violation, metrics in summary.get("per_violation", {}).items():
            parts[violation].append(metrics["pools"]["diverged"])
    together = {violation: pooled(metrics) for violation, metrics in sorted(parts.items())}
    return {v: {"wins": round((m["pairwise_accuracy"] or 0.0) * m["pairs"]), "pairs": m["pairs"]} for v, m in together.items()}


def plot(rows: dict[str, dict], path: Path) -> None:
    import matplotlib.pyplot as plt

    from physlab.voe.plots import save_figure

    models = list(next(iter(rows.values()))["models"])
    figure, axes = plt.subplots(1, len(GROUPS), figsize=(4.4 * len(GROUPS), 3.4), sharey=True)
    width = 0.8 / len(models)
    for axis, group in zip(axes, GROUPS):
        x = np.arange(len(rows))
        for k, model in enumerate(models):
            values = [rows[pool]["models"][model][group]["pairwise_accuracy"] or 0.0 for pool in rows]
            axis.bar(x + (k - (len(models) - 1) / 2) * width, values, width=width, label=model)
        axis.axhline(0.5, color="black", linestyle=":", linewidth=1)
        axis.set_xticks(x, list(rows), rotation=30, ha="right")
        axis.set_title(f"{group} look{'s' if group == 'unseen' else ''}")
        axis.set_ylim(0, 1)
    axes[0].set_ylabel("pairwise accuracy (tie = miss)")
    axes[0].legend(frameon=False, fontsize=7)
    save_figure(figure, path)


def main() -> None:
    args, names, sets = baseline_setup(__doc__.split("\n\n")[0])
    summaries = measure(sets, names)
    rows = table(summaries, names[1:])
    print(f"\n{'pool':11s} {'model':12s}" + "".join(f" {g:>17s}" for g in GROUPS))
    for pool, row in rows.items():
        for model, groups in row["models"].items():
            cells = "".join(
                f" {groups[g]['pairwise_accuracy']:.3f} ({interval_text(groups[g]['pairwise_interval'])})" for g in GROUPS
            )
            print(f"{pool:11s} {model:12s}{cells}")
        far = "".join(f" {row['baseline_from_chance'][g]:17.3f}" for g in GROUPS)
        margin = "".join(f" {row['margin'][g]:+17.3f}" for g in GROUPS)
        print(f"{pool:11s} {'baselines':12s}{far}   <- the farthest baseline from 0.5")
        print(f"{pool:11s} {'margin':12s}{margin}   <- {names[0]} minus the better baseline\n")
    wins = reactions(summaries[names[0]])
    print(f"{names[0]} under `diverged`, seen and held-out looks: pairs won by a reaction after the edit")
    for violation, count in wins.items():
        print(f"  {violation:24s} {count['wins']:3d} of {count['pairs']:3d}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "pools.json", {"rows": rows, "reactions": wins, "sets": {k: str(v) for k, v in sets.items()}})
    plot(rows, out / "pools.png")
    print(f"wrote {out / 'pools.json'} and {out / 'pools.png'}")


if __name__ == "__main__":
    main()
