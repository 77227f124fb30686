"""Foresight: does the model expect what the possible twin does, more than what the impossible twin does?

    python benchmarks/bench_foresight.py [--pairs 8] [--seed 100000] [--size 128] [--models jepa,pixel,untrained]
                                         [--untrained-seeds 3] [--held-out heldout_dusk,...] [--out DIR]

A matched pair's twins are the same clip until they differ (physlab/voe/divergence.py finds the first model frame
where they do, from the frames, forgiving codec noise up to its tolerance). The predictions made from the frames
before it are therefore the same for both twins: one expectation, two outcomes, as in an infant study's test
trial. Each twin is scored by the mean energy of those predictions (horizons 1..surprise_horizon, landing on the
first frames where the twins differ) against its own frames, and the pair is right when the impossible twin is the
farther from the expectation. No later frame
counts, so neither a calmer rest of the clip (the `excess` pool's calm wins) nor the model re-anchoring on what
the violation already showed can decide it. A predictor that copies the last frame expects nothing to change and
so favours whichever twin changes less; the untrained encoder and the pixel model are measured on the same pairs.

Each model's pairwise accuracy (a tie or a pair with no prediction reaching the divergence is a miss; 95% Wilson
intervals) on three groups of looks: "own", physlab's classic look (the bundled JEPA's first training stage);
"seen", the randomized look (its second stage); "unseen", the held-out looks pooled (no model trained on them).
Then the first model's margin over the best of the baselines (the pixel model and each untrained seed: a
conservative margin), every look on its own, and the first model's wins per violation on the seen and unseen
looks. Sets are the generalization bench's (benchmarks/data/, made on first use: several minutes); scoring them
takes about 1 min a model on 2 cores. Results go to benchmarks/results/foresight.json (`results`, `margin`,
`per_look`, `per_violation`) and foresight.png.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from bench_generalization import baseline_setup

from physlab.data.manifest import clip_path, read_manifest
from physlab.data.video import read_video
from physlab.files import write_json
from physlab.model import load_model
from physlab.model.networks import as_pictures
from physlab.voe.divergence import divergence_frame
from physlab.voe.metrics import interval_text, wilson_interval
from physlab.voe.surprise import model_input

HERE = Path(__file__).resolve().parent
GROUPS = {"own": ("classic",), "seen": ("randomized",), "unseen": ("heldout_",)}


def expectation_scores(energies: np.ndarray, diverge: int) -> dict[int, float]:
    """The energies (horizons, T) of the predictions made from the frames before `diverge`: {k: row k's value at frame
    diverge + k}, for every horizon k that reaches a frame of the clip and was scored (not NaN)."""
    horizons, steps = energies.shape
    reached = {k: float(energies[k, diverge + k]) for k in range(horizons) if diverge + k < steps}
    return {k: value for k, value in reached.items() if not math.isnan(value)}


def pair_outcomes(folder: Path, model: torch.nn.Module) -> list[dict]:
    """One row per pair of a set: its violation and whether the impossible twin is the farther from the shared
    expectation (False for a tie, or where the twins never differ or no prediction reaches where they do)."""
    spec = model_input(model.config)
    clips: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    violation = {}
    for row in read_manifest(folder):
        clips[row["pair"]][row["label"]] = read_video(clip_path(folder, row["clip"]), spec).frames
        if row["label"] == "impossible":
            violation[row["pair"]] = row.get("violation") or ""
    rows = []
    for pair, twins in clips.items():
        possible, impossible = twins["possible"], twins["impossible"]
        diverge = divergence_frame(possible, impossible)
        right = False
        if diverge is not None:
            with torch.inference_mode():
                energies = [model.horizon_energies(as_pictures(clip[None]))[0].float().numpy() for clip in (possible, impossible)]
            scores = [expectation_scores(e, diverge) for e in energies]
            shared = sorted(set(scores[0]) & set(scores[1]))  # the same horizons for both twins
            right = bool(shared) and bool(np.mean([scores[1][k] for k in shared]) > np.mean([scores[0][k] for k in shared]))
        rows.append({"pair": pair, "violation": violation[pair], "right": right})
    return rows


def accuracy(rows: list[dict]) -> dict:
    share = sum(r["right"] for r in rows) / len(rows) if rows else 0.0
    return {"pairwise_accuracy": share, "pairwise_interval": wilson_interval(share, len(rows)), "pairs": len(rows)}


def grouped(by_look: dict[str, list[dict]]) -> dict[str, dict]:
    """Accuracy on the own, seen and held-out (pooled) looks."""
    return {
        group: accuracy([row for look, rows in by_look.items() if look.startswith(prefixes) for row in rows])
        for group, prefixes in GROUPS.items()
    }


def plot(results: dict[str, dict[str, dict]], path: Path) -> None:
    import matplotlib.pyplot as plt

    from physlab.voe.plots import save_figure

    models = list(results)
    figure, axis = plt.subplots(figsize=(6.5, 3.4))
    width = 0.8 / len(models)
    x = np.arange(len(GROUPS))
    for k, model in enumerate(models):
        shares = [results[model][group]["pairwise_accuracy"] for group in GROUPS]
        low = [share - results[model][group]["pairwise_interval"][0] for share, group in zip(shares, GROUPS)]
        high = [results[model][group]["pairwise_interval"][1] - share for share, group in zip(shares, GROUPS)]
        axis.bar(x + (k - (len(models) - 1) / 2) * width, shares, width=width, yerr=[low, high], capsize=2, label=model)
    axis.axhline(0.5, color="black", linestyle=":", linewidth=1)
    axis.set_xticks(x, [f"{group} look{'s' if group == 'unseen' else ''}" for group in GROUPS])
    axis.set_ylim(0, 1)
    axis.set_ylabel("pairwise accuracy (tie = miss)")
    axis.set_title("the impossible twin the farther from the shared expectation")
    axis.legend(frameon=False, fontsize=7)
    save_figure(figure, path)


def main() -> None:
    args, names, sets = baseline_setup(__doc__.split("\n\n")[0])
    outcomes, results = {}, {}
    for name in names:
        started = time.perf_counter()
        model = load_model(name)
        outcomes[name] = {look: pair_outcomes(folder, model) for look, folder in sets.items()}
        results[name] = grouped(outcomes[name])
        print(f"{name}: {len(sets)} sets in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"\n{'model':12s}" + "".join(f" {group:>17s}" for group in GROUPS))
    for name, groups in results.items():
        print(
            f"{name:12s}"
            + "".join(f" {g['pairwise_accuracy']:.3f} ({interval_text(g['pairwise_interval'])})" for g in groups.values())
        )
    first, baselines = names[0], names[1:]
    margin = (
        {
            group: results[first][group]["pairwise_accuracy"] - max(results[b][group]["pairwise_accuracy"] for b in baselines)
            for group in GROUPS
        }
        if baselines
        else {}
    )
    if margin:
        print(
            f"{'margin':12s}"
            + "".join(f" {value:+17.3f}" for value in margin.values())
            + f"   <- {first} minus the better baseline"
        )
    per_look = {name: {look: accuracy(rows) for look, rows in by_look.items()} for name, by_look in outcomes.items()}
    print(f"\neach look on its own\n{'model':12s}" + "".join(f" {look.removeprefix('heldout_')[:17]:>17s}" for look in sets))
    for name, by_look in per_look.items():
        print(
            f"{name:12s}"
            + "".join(f" {c['pairwise_accuracy']:.3f} ({interval_text(c['pairwise_interval'])})" for c in by_look.values())
        )
    per_violation: dict[str, list[bool]] = defaultdict(list)
    for look, rows in outcomes[first].items():
        if look != "classic":
            for row in rows:
                per_violation[row["violation"]].append(row["right"])
    print(f"\n{first}, seen and held-out looks: pairs whose impossible twin is the farther from the expectation")
    for violation, wins in sorted(per_violation.items()):
        print(f"  {violation:24s} {sum(wins):3d} of {len(wins):3d}")
    out = Path(args.out)
    write_json(
        out / "foresight.json",
        {
            "results": results,
            "margin": margin,
            "per_look": per_look,
            "per_violation": {v: [sum(w), len(w)] for v, w in per_violation.items()},
            "sets": {look: str(folder) for look, folder in sets.items()},
        },
    )
    plot(results, out / "foresight.png")
    print(f"wrote {out / 'foresight.json'} and {out / 'foresight.png'}")


if __name__ == "__main__":
    main()
