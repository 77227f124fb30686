"""Pictures of results: surprise curves aligned on the onset, accuracy by concept, development, timing."""

from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from physlab.files import atomic_path  # noqa: E402

COLORS = {"possible": "#2b8cbe", "impossible": "#e34a33"}


def onset_aligned(
    clips: list[dict], curves: dict, window: float = 1.0
) -> tuple[np.ndarray, dict[str, dict[str, list[np.ndarray]]]]:
    """Each clip's surprise on one grid of seconds from its onset (-window..window, 24 a second), by concept
    and label: (grid, {concept: {label: [values on the grid]}}), NaN where a clip has no frame."""
    by_concept: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    grid = np.round(np.arange(-window, window + 1e-9, 1 / 24), 4)
    for row in clips:
        if row["onset_frame"] is None:
            continue
        curve = curves[row["clip"]]
        offset = curve.seconds - curve.source_time(row["onset_frame"])
        keep = ~np.isnan(curve.values)
        if keep.sum() < 2:
            continue
        by_concept[row["concept"]][row["label"]].append(
            np.interp(grid, offset[keep], curve.values[keep], left=np.nan, right=np.nan)
        )
    return grid, by_concept


def plot_aligned_curves(clips: list[dict], curves: dict, path: str | Path, window: float = 1.0) -> None:
    """Mean and spread of surprise, possible vs impossible, against seconds from the onset, per concept."""
    grid, by_concept = onset_aligned(clips, curves, window)
    concepts = sorted(by_concept)
    if not concepts:
        return
    columns = min(4, len(concepts))
    rows = int(np.ceil(len(concepts) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False, sharex=True)
    for axis, concept in zip(axes.flat, concepts):
        for label in ("possible", "impossible"):
            stack = np.array(by_concept[concept][label])
            if not len(stack):
                continue
            with warnings.catch_warnings():  # frames no clip reaches are NaN, and stay blank
                warnings.simplefilter("ignore", RuntimeWarning)
                mean, spread = np.nanmean(stack, axis=0), np.nanstd(stack, axis=0)
            axis.plot(grid, mean, color=COLORS[label], label=label)
            axis.fill_between(grid, mean - spread, mean + spread, color=COLORS[label], alpha=0.2)
        axis.axvline(0, color="black", linestyle=":", linewidth=1)
        axis.set_title(concept)
        axis.set_xlabel("seconds from onset")
    for axis in list(axes.flat)[len(concepts) :]:
        axis.axis("off")
    axes.flat[0].set_ylabel("surprise")
    axes.flat[0].legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def plot_accuracy_by_concept(results: dict[str, dict], path: str | Path, metric: str = "pairwise_accuracy") -> None:
    """A metric (pairwise accuracy or AUROC) per concept, one bar per model, with chance marked."""
    models = list(results)
    concepts = sorted({c for summary in results.values() for c in summary["per_concept"]})
    figure, axis = plt.subplots(figsize=(max(6, 1.1 * len(concepts) * max(1, len(models)) / 1.5), 3.4))
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        values = [results[model]["per_concept"].get(c, {}).get(metric) or 0.0 for c in concepts]
        axis.bar(np.arange(len(concepts)) + i * width - 0.4 + width / 2, values, width, label=model)
    axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    axis.set_xticks(np.arange(len(concepts)), concepts, rotation=30, ha="right")
    axis.set_ylim(0, 1)
    axis.set_ylabel(metric.replace("_", " ").replace("auroc", "AUROC"))
    axis.legend(frameon=False, fontsize=8, ncols=len(models))
    save_figure(figure, path)


def plot_visibility(summaries: dict[str, dict[str, dict]], path: str | Path) -> None:
    """Per violation, how visible it is in pixels and in each model's representation (physlab/voe/visibility.py)."""
    rows = sorted({row for summary in summaries.values() for row in summary})
    first = next(iter(summaries.values()), {})
    series = {"pixels": [first.get(row, {}).get("pixels") or 0.0 for row in rows]}
    series |= {name: [summary.get(row, {}).get("representation") or 0.0 for row in rows] for name, summary in summaries.items()}
    figure, axis = plt.subplots(figsize=(min(14, max(7, 0.2 * len(rows) * len(series))), 3.8))
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        axis.bar(np.arange(len(rows)) + i * width - 0.4 + width / 2, values, width, label=name, color="grey" if i == 0 else None)
    axis.set_xticks(np.arange(len(rows)), rows, rotation=35, ha="right")
    axis.set_ylabel("twin distance / a frame of motion")
    axis.legend(frameon=False, fontsize=8, ncols=len(series))
    save_figure(figure, path)


def plot_development(points: dict[str, list[tuple[int, float]]], path: str | Path, threshold: float) -> None:
    """Pairwise accuracy per concept against experience (clips seen), the acquisition threshold dashed."""
    figure, axis = plt.subplots(figsize=(7, 3.8))
    for concept, series in sorted(points.items()):
        xs, ys = zip(*sorted(series))
        axis.plot(xs, ys, marker="o", label=concept)
    axis.axhline(threshold, color="black", linestyle="--", linewidth=1)
    axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    axis.set_xlabel("experience (training clips seen)")
    axis.set_ylabel("pairwise accuracy")
    axis.set_ylim(0, 1.02)
    axis.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    save_figure(figure, path)


def plot_timing(delays: dict[str, dict[str, list[float]]], path: str | Path) -> None:
    """Seconds from the violation onset to the surprise peak of impossible clips, per concept and model."""
    models = list(delays)
    concepts = sorted({c for per_model in delays.values() for c in per_model})
    figure, axis = plt.subplots(figsize=(max(6, 0.9 * len(concepts) * max(1, len(models))), 3.6))
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        positions = np.arange(len(concepts)) + i * width - 0.4 + width / 2
        data = [delays[model].get(c) or [np.nan] for c in concepts]
        parts = axis.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, manage_ticks=False)
        for box in parts["boxes"]:
            box.set_facecolor(f"C{i}")
            box.set_alpha(0.6)
        axis.plot([], [], color=f"C{i}", linewidth=6, alpha=0.6, label=model)
    axis.axhline(0, color="black", linestyle=":", linewidth=1)
    axis.set_xticks(np.arange(len(concepts)), concepts, rotation=30, ha="right")
    axis.set_ylabel("onset to surprise peak (s)")
    axis.legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def plot_curve(curves: list, path: str | Path, onsets: dict[str, int] | None = None) -> None:
    """Surprise against time for a few clips."""
    figure, axis = plt.subplots(figsize=(7, 3.2))
    for curve in curves:
        axis.plot(curve.seconds, curve.values, label=Path(curve.name).name)
        onset = (onsets or {}).get(curve.name)
        if onset is not None:
            axis.axvline(curve.source_time(onset), color="black", linestyle=":", linewidth=1)
    axis.set_xlabel("seconds")
    axis.set_ylabel("surprise")
    if len(curves) <= 8:
        axis.legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def save_figure(figure, path: str | Path) -> None:
    """Lay `figure` out, write it to `path` atomically (its folder made if need be; the format from the suffix) at
    120 dpi, and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    with atomic_path(path) as temp:
        figure.savefig(temp, dpi=120, format=path.suffix.lstrip(".") or "png")
    plt.close(figure)
