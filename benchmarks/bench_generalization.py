"""Generalization to looks the models never saw: the same concepts filmed in the training distribution of looks
(`looks/randomized.yaml`, event layouts the training data had) and in held-out looks (`looks/heldout_*.yaml`:
textures, palettes, rooms, object sets, lighting, cameras, sizes, frame rates and codecs that `randomized` never
draws, and event layouts outside its bands), beside physlab's own classic look.

    python benchmarks/bench_generalization.py [--pairs 10] [--seed 100000] [--models jepa,pixel,untrained]
                                              [--untrained-seeds 3] [--pool POOL] [--crop motion] [--factors]
                                              [--ablations]

For each model: pairwise accuracy (a tie is a miss) with its 95% interval per concept on the seen look, on every
held-out look pooled, the drop from seen to unseen, and each held-out look's overall accuracy; a concept below 0.5
on any look is flagged as inverted. The untrained encoder is scored at several seeds (Garrido et al. 2025) and
reported as their mean, with the range. `--factors` also scores the `looks/factor_*.yaml` looks: the seen look with
one thing of the held-out looks at a time (their layouts, cameras, surfaces, light, meshes or video formats), and
prints each one's accuracy and drop from the seen look, so a drop can be traced to what causes it. `--ablations`
scores the `looks/ablate_*.yaml` looks: the seen look less one kind of nuisance (moving clutter, textures and codec
noise, odd frame shapes and rates, swapped shapes) or all four, and prints each one's gain. Every model after the
first is also compared with the first pair by pair on the same pairs (a difference with its bootstrap interval and
a sign test: far tighter than two separate intervals, since both meet the same hard pairs); the JSON keeps every
pair's result per model and look (`pair_wins`), so models can be paired with another reference later. `make bench`
holds out dusk, gif_corner and mpeg4_portrait (heldout_photoroom, 600x400 in a furnished room, renders about ten
times slower than the others) and scores the factor and ablation looks. Sets are written once under
benchmarks/data/ and reused; results go to benchmarks/results/generalization.json and .png, and with factors or
ablations generalization_looks.png (each of those looks' accuracy beside the seen look's).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from physlab.data.stimuli import write_stimuli
from physlab.model import load_model
from physlab.scenes.clips import PAIR_DRAWS
from physlab.scenes.families import load_families
from physlab.scenes.looks import LOOK_DRAWS, look_names
from physlab.voe.metrics import interval_text, pair_wins, paired_difference, wilson_interval
from physlab.voe.surprise import CROPS, DEFAULT_CROP, DEFAULT_POOL, POOLS, evaluate

HERE = Path(__file__).resolve().parent


def make_sets(
    pairs: int, seed: int, size: int, held_out: list[str] | None = None, factors: bool = False, ablations: bool = False
) -> dict[str, Path]:
    """The seen look, physlab's classic look and the held-out looks (default: every one), with `factors` every
    factor look and with `ablations` every ablation look, each a stimulus set of every family."""
    families = load_families(with_violations=True)
    held_out = held_out or [name for name in look_names() if name.startswith("heldout_")]
    looks = ["randomized", "classic", *held_out]
    looks += [name for name in look_names() if name.startswith("factor_")] if factors else []
    looks += [name for name in look_names() if name.startswith("ablate_")] if ablations else []
    sets = {}
    for look in looks:
        # The draws' version in the name: a cache of older draws is left alone, not refused.
        folder = HERE / "data" / f"looks_{look}_{pairs}_{seed}_{size}_draws{LOOK_DRAWS}_pairs{PAIR_DRAWS}"
        report = write_stimuli(folder, families, pairs, seed=seed, size=size, workers=2, look=look)
        for error in report.errors:
            print(f"{look}: {error}")
        sets[look] = folder
    return sets


def score(
    sets: dict[str, Path], models: list[str], pool: str, crop: str = DEFAULT_CROP
) -> tuple[dict[str, dict[str, dict]], dict[str, dict[str, dict[str, float]]]]:
    """Each model's evaluation summary on each set, results[model][look], and its pair ids' wins, wins[model][look]
    (`pair_wins`), for paired comparisons."""
    results: dict[str, dict[str, dict]] = {}
    wins: dict[str, dict[str, dict[str, float]]] = {}
    for name in models:
        model = load_model(name)
        started = time.perf_counter()
        evaluations = {look: evaluate(folder, model, pool=pool, crop=crop) for look, folder in sets.items()}
        results[name] = {look: evaluation.summary for look, evaluation in evaluations.items()}
        wins[name] = {look: pair_wins(evaluation.clips) for look, evaluation in evaluations.items()}
        print(f"{name}: scored {len(sets)} sets in {time.perf_counter() - started:.0f} s")
    return results, wins


def paired(wins: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, dict]]:
    """Each model against the first, pair by pair on the same pairs (`paired_difference`): on the seen look, the
    held-out looks pooled, physlab's own look and every set with all the seen look's nuisances taken away."""
    first, *others = wins
    groups = {"seen": ["randomized"], "unseen": [look for look in wins[first] if look.startswith("heldout_")]}
    groups |= {"own": ["classic"], "ablate_all": ["ablate_all"]}

    def pooled_wins(name: str, looks: list[str]) -> dict[str, float]:
        return {f"{look}/{pair}": won for look in looks if look in wins[name] for pair, won in wins[name][look].items()}

    table = {}
    for name in others:
        table[name] = {}
        for group, looks in groups.items():
            reference, other = pooled_wins(first, looks), pooled_wins(name, looks)
            if set(reference) & set(other):  # a look not scored, or a model that scored nothing there: no row
                table[name][group] = paired_difference(reference, other)
    if table:
        print(f"\npaired with {first}: difference in accuracy (95% bootstrap interval; pairs better/worse; sign test p)")
        for name, rows in table.items():
            print(f"{name}: " + ", ".join(_paired_cell(group, row) for group, row in rows.items()))
    return table


def _paired_cell(group: str, row: dict) -> str:
    low, high = row["interval"]
    return f"{group} {row['difference']:+.3f} ({low:+.3f} to {high:+.3f}; {row['better']}/{row['worse']}; p {row['p_value']:.2g})"


def pooled(summaries: list[dict], concept: str | None = None) -> dict:
    """Accuracy over several sets' comparisons (each set's accuracy weighted by its comparisons), with its interval
    over pair ids, as `evaluate` counts it (an IntPhys quadruplet's four comparisons are one group, not four)."""
    parts = [s if concept is None else s["per_concept"].get(concept) for s in summaries]
    parts = [p for p in parts if p and p["pairs"]]
    count = sum(p["pairs"] for p in parts)
    if not count:
        return {"pairwise_accuracy": None, "pairwise_interval": None, "pairs": 0, "groups": 0}
    share = sum(p["pairwise_accuracy"] * p["pairs"] for p in parts) / count
    groups = sum(p.get("groups", p["pairs"]) for p in parts)
    return {"pairwise_accuracy": share, "pairwise_interval": wilson_interval(share, groups), "pairs": count, "groups": groups}


def report(results: dict[str, dict[str, dict]]) -> dict:
    """Per model: per concept seen / unseen / drop, each held-out look, and the inversions; printed as tables."""
    table = {}
    for model, by_look in results.items():
        held_out = [look for look in by_look if look.startswith("heldout_")]
        concepts = sorted({c for summary in by_look.values() for c in summary["per_concept"]})
        rows = {}
        for concept in [*concepts, None]:
            seen = pooled([by_look["randomized"]], concept)
            unseen = pooled([by_look[look] for look in held_out], concept)
            own = pooled([by_look["classic"]], concept)
            per_look = {look: pooled([by_look[look]], concept)["pairwise_accuracy"] for look in held_out}
            drop = None
            if seen["pairwise_accuracy"] is not None and unseen["pairwise_accuracy"] is not None:
                drop = seen["pairwise_accuracy"] - unseen["pairwise_accuracy"]
            rows[concept or "overall"] = {"seen": seen, "unseen": unseen, "own": own, "drop": drop, "per_look": per_look}
        inverted = sorted(
            f"{concept} on {look} ({share:.2f})"
            for concept, row in rows.items()
            for look, share in row["per_look"].items()
            if concept != "overall" and share is not None and share < 0.5
        )
        table[model] = {
            "rows": rows,
            "inverted": inverted,
            "factors": factor_drops(by_look),
            "ablations": ablation_gains(by_look),
        }
        _print_model(model, rows, held_out, inverted)
        _print_one_change(table[model]["factors"], "factor_", "one thing held out", "drop")
        _print_one_change(table[model]["ablations"], "ablate_", "one nuisance less", "gain")
    return table


def factor_drops(by_look: dict[str, dict]) -> dict[str, dict]:
    """Each factor look's accuracy, interval, drop from the seen look (same families and seeds) and inverted concepts."""
    return _one_change(by_look, "factor_", "drop", -1)


def ablation_gains(by_look: dict[str, dict]) -> dict[str, dict]:
    """Each ablation look's accuracy, interval, gain over the seen look (same families and seeds) and inverted
    concepts: what each nuisance of the seen look costs."""
    return _one_change(by_look, "ablate_", "gain", +1)


def _one_change(by_look: dict[str, dict], prefix: str, key: str, sign: int) -> dict[str, dict]:
    """The looks named `prefix`*, each the seen look with one change: accuracy, interval, `key` = `sign` x (accuracy
    minus the seen look's) and inverted concepts."""
    seen = by_look["randomized"]["pairwise_accuracy"]
    rows = {}
    for look in (name for name in by_look if name.startswith(prefix)):
        row = pooled([by_look[look]])
        share = row["pairwise_accuracy"]
        inverted = sorted(c for c, v in by_look[look]["per_concept"].items() if v["pairs"] and v["pairwise_accuracy"] < 0.5)
        rows[look] = row | {key: None if share is None else sign * (share - seen), "inverted": inverted}
    return rows


def _print_one_change(rows: dict[str, dict], prefix: str, title: str, change: str) -> None:
    if not rows:
        return
    print(f"{title:18s} {'acc':>6s} {'95%':>9s} {change:>6s}  inverted concepts")
    for look, row in rows.items():
        shift = "-" if row[change] is None else f"{row[change]:+.2f}"
        interval = interval_text(row["pairwise_interval"])
        print(f"{look.removeprefix(prefix):18s} {_share(row['pairwise_accuracy']):>6s} {interval:>9s} {shift:>6s}  "
              f"{', '.join(row['inverted']) or '-'}")  # fmt: skip


def _print_model(model: str, rows: dict, held_out: list[str], inverted: list[str]) -> None:
    short = [look.removeprefix("heldout_")[:10] for look in held_out]
    print(f"\n{model}: pairwise accuracy (a tie is a miss), 95% intervals")
    header = f"{'concept':12s} {'own':>6s} {'seen':>6s} {'95%':>9s} {'unseen':>6s} {'95%':>9s} {'drop':>6s}"
    print(header + "".join(f" {name:>10s}" for name in short))
    for concept, row in rows.items():
        cells = [
            _share(row["own"]["pairwise_accuracy"]),
            _share(row["seen"]["pairwise_accuracy"]),
            interval_text(row["seen"]["pairwise_interval"]),
            _share(row["unseen"]["pairwise_accuracy"]),
            interval_text(row["unseen"]["pairwise_interval"]),
            "-" if row["drop"] is None else f"{row['drop']:+.2f}",
        ]
        line = f"{concept:12s} {cells[0]:>6s} {cells[1]:>6s} {cells[2]:>9s} {cells[3]:>6s} {cells[4]:>9s} {cells[5]:>6s}"
        print(line + "".join(f" {_share(row['per_look'][look]):>10s}" for look in held_out))
    print(f"pairs: own {rows['overall']['own']['pairs']}, seen {rows['overall']['seen']['pairs']}, "
          f"unseen {rows['overall']['unseen']['pairs']}; inverted: {', '.join(inverted) or 'none'}")  # fmt: skip


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def untrained_mean(results: dict[str, dict[str, dict]], seeds: list[str]) -> None:
    """Replace the untrained seeds' results by one entry, 'untrained (mean of N seeds)', printed with its range."""
    if len(seeds) < 2:
        return
    looks = list(results[seeds[0]])
    overall = {look: [results[s][look]["pairwise_accuracy"] for s in seeds] for look in looks}
    for look, values in overall.items():
        print(
            f"untrained, {look}: mean {np.mean(values):.3f} over {len(seeds)} seeds (range {min(values):.3f}-{max(values):.3f})"
        )


def plot(table: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(table)
    concepts = [c for c in next(iter(table.values()))["rows"] if c != "overall"] + ["overall"]
    figure, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.6), sharey=True, squeeze=False)
    for axis, model in zip(axes[0], models):
        rows = table[model]["rows"]
        x = np.arange(len(concepts))
        for offset, (key, colour) in zip((-0.27, 0.0, 0.27), (("own", "#9e9ac8"), ("seen", "#2b8cbe"), ("unseen", "#e34a33"))):
            values = [rows[c][key]["pairwise_accuracy"] or 0.0 for c in concepts]
            axis.bar(x + offset, values, width=0.27, color=colour, label=key)
        axis.axhline(0.5, color="black", linestyle=":", linewidth=1)
        axis.set_xticks(x, concepts, rotation=60, ha="right", fontsize=8)
        axis.set_title(model)
        axis.set_ylim(0, 1)
    axes[0][0].set_ylabel("pairwise accuracy")
    axes[0][0].legend(frameon=False, fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_one_change(table: dict, path: Path) -> bool:
    """Per model, the accuracy of each factor look (one held-out thing added) and ablation look (one nuisance taken
    away) with its 95% interval, beside the seen look's accuracy as a line; False (no file) when neither was scored."""
    if not any(entry["factors"] or entry["ablations"] for entry in table.values()):
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(table)
    looks = [*next(iter(table.values()))["factors"], *next(iter(table.values()))["ablations"]]
    figure, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 0.32 * len(looks) + 1.4), sharey=True, squeeze=False)
    for axis, model in zip(axes[0], models):
        rows = table[model]["factors"] | table[model]["ablations"]
        for y, look in enumerate(looks):
            row = rows[look]
            if row["pairwise_accuracy"] is None:
                continue
            low, high = row["pairwise_interval"]
            colour = "#e34a33" if look.startswith("factor_") else "#31a354"
            axis.errorbar(row["pairwise_accuracy"], y, xerr=[[row["pairwise_accuracy"] - low], [high - row["pairwise_accuracy"]]],
                          fmt="o", color=colour, capsize=2)  # fmt: skip
        axis.axvline(table[model]["rows"]["overall"]["seen"]["pairwise_accuracy"] or 0.0, color="#2b8cbe", label="seen look")
        axis.axvline(0.5, color="black", linestyle=":", linewidth=1)
        axis.set_xlim(0, 1)
        axis.set_title(model, fontsize=9)
        axis.set_xlabel("pairwise accuracy")
    axes[0][0].set_yticks(range(len(looks)), looks, fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][0].legend(frameon=False, fontsize=8, loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def model_names(models: str, untrained_seeds: int) -> list[str]:
    """The comma-separated `models`, with "untrained" standing for the untrained encoder at each of its seeds."""
    names = []
    for name in models.split(","):
        names += [f"untrained:{seed}" for seed in range(untrained_seeds)] if name == "untrained" else [name]
    return names


def baseline_setup(description: str) -> tuple[argparse.Namespace, list[str], dict[str, Path]]:
    """The command line of the benches that measure one model against the physics-free baselines on this bench's
    sets: the parsed options, the models' names (`model_names`) and the sets (`make_sets`, made on first use)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pairs", type=int, default=8, help="pairs per family and look (default 8)")
    parser.add_argument("--seed", type=int, default=100000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--models", default="jepa,pixel,untrained", help="the first is measured, the rest are baselines")
    parser.add_argument("--untrained-seeds", type=int, default=3)
    parser.add_argument("--held-out", default="heldout_dusk,heldout_gif_corner,heldout_mpeg4_portrait")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    names = model_names(args.models, args.untrained_seeds)
    return args, names, make_sets(args.pairs, args.seed, args.size, args.held_out.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--pairs", type=int, default=10, help="pairs per family and look")
    parser.add_argument("--seed", type=int, default=100_000, help="first pair seed of every family (default 100000)")
    parser.add_argument("--size", type=int, default=128, help="frame size of looks that do not set their own")
    parser.add_argument(
        "--models",
        default="jepa,pixel,untrained",
        help="comma-separated: bundled names or model files (default jepa,pixel,untrained)",
    )
    parser.add_argument("--untrained-seeds", type=int, default=3, help="seeds of the untrained encoder")
    parser.add_argument("--pool", choices=POOLS, default=DEFAULT_POOL, help=f"clip score, as evaluate's (default {DEFAULT_POOL})")
    parser.add_argument("--crop", choices=CROPS, default=DEFAULT_CROP, help="evaluate's crop (motion: to where pairs move)")
    parser.add_argument("--held-out", help="comma-separated held-out looks (default: every looks/heldout_*.yaml)")
    parser.add_argument("--factors", action="store_true", help="also the factor looks: one held-out thing at a time")
    parser.add_argument("--ablations", action="store_true", help="also the ablation looks: the seen look less one nuisance")
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for generalization.json and .png")
    args = parser.parse_args()
    held_out = args.held_out.split(",") if args.held_out else None
    sets = make_sets(args.pairs, args.seed, args.size, held_out, args.factors, args.ablations)
    names = model_names(args.models, args.untrained_seeds)
    results, wins = score(sets, names, args.pool, args.crop)
    untrained_mean(results, [n for n in names if n.startswith("untrained")])
    table = report(results)
    pairs = paired(wins)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "generalization.json").write_text(
        json.dumps({"sets": {k: str(v) for k, v in sets.items()}, "table": table, "paired": pairs, "pair_wins": wins}, indent=1)
    )
    plot(table, out / "generalization.png")
    written = [out / "generalization.json", out / "generalization.png"]
    if plot_one_change(table, out / "generalization_looks.png"):
        written.append(out / "generalization_looks.png")
    print("\n" + ", ".join(str(path) for path in written))


if __name__ == "__main__":
    main()
