"""VoE metrics as the field computes them: pairwise accuracy (IntPhys's relative score) with its 95% interval,
AUROC (the absolute score), per concept and per violation, and the onset-to-peak delay."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from physlab.data.manifest import LABELS


def complete_pairs(clip_rows: list[dict], manifest_rows: list[dict], folder: Path) -> tuple[list[tuple[dict, dict]], list[str]]:
    """(possible, impossible) rows of the pairs complete in `clip_rows`; a pair the manifest lists short of a
    label is reported (one complete in the manifest but not in `clip_rows`, say unreadable, is left out quietly)."""
    scored: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in clip_rows:
        scored[row["pair"]][row["label"]] = row
    listed: dict[str, set[str]] = defaultdict(set)
    for row in manifest_rows:
        listed[row["pair"]].add(row["label"])
    errors, pairs = [], []
    for pair, labels in listed.items():
        if labels != set(LABELS):
            errors.append(
                f"{folder / 'manifest.csv'}: pair {pair!r} needs one possible and one impossible clip, has {sorted(labels)}"
            )
        elif set(scored[pair]) == set(LABELS):
            pairs.append((scored[pair]["possible"], scored[pair]["impossible"]))
    return pairs, errors


def summarise(pairs: list[tuple[dict, dict]], clip_rows: list[dict]) -> dict:
    """Pairwise accuracy and AUROC, overall, per concept and per violation, and the onset-to-peak delay."""
    summary = _metrics(pairs)
    concepts = sorted({possible["concept"] for possible, _ in pairs})
    summary["per_concept"] = {c: _metrics([p for p in pairs if p[0]["concept"] == c]) for c in concepts}
    for concept, metrics in summary["per_concept"].items():
        delays = [i["peak_delay_s"] for p, i in pairs if p["concept"] == concept and i["peak_delay_s"] is not None]
        metrics["peak_delay_s"] = float(np.median(delays)) if delays else None
    violations = sorted({i["violation"] for _, i in pairs if i.get("violation")})
    if violations:  # physlab's sets name the edit, which tells apart the ways one concept can break
        summary["per_violation"] = {v: _metrics([p for p in pairs if p[1].get("violation") == v]) for v in violations}
    delays = [row["peak_delay_s"] for _, row in pairs if row["peak_delay_s"] is not None]
    summary["peak_delay_s"] = {"median": float(np.median(delays)) if delays else None, "clips": len(delays)}
    summary["clips"] = len(clip_rows)
    return summary


def _metrics(pairs: list[tuple[dict, dict]]) -> dict:
    if not pairs:
        return {"pairwise_accuracy": None, "pairwise_interval": None, "auroc": None, "pairs": 0}
    wins = [1.0 if i["surprise"] > p["surprise"] else 0.5 if i["surprise"] == p["surprise"] else 0.0 for p, i in pairs]
    scores = [p["surprise"] for p, _ in pairs] + [i["surprise"] for _, i in pairs]
    labels = [0] * len(pairs) + [1] * len(pairs)
    accuracy = float(np.mean(wins))
    return {
        "pairwise_accuracy": accuracy,
        "pairwise_interval": wilson_interval(accuracy, len(pairs)),
        "auroc": auroc(labels, scores),
        "pairs": len(pairs),
    }


def wilson_interval(share: float, count: int, z: float = 1.96) -> list[float]:
    """The 95% Wilson score interval of a share of `count` pairs: how far a concept's accuracy can
    move by the draw of pairs alone (20 pairs at 0.625: 0.41-0.80).

    Written out because a tie counts half a win, so the wins need not be whole, as the
    binomial intervals of scipy and statsmodels require.
    """
    if count <= 0:
        return [0.0, 1.0]
    spread = z * np.sqrt(share * (1 - share) / count + z * z / (4 * count * count))
    centre, scale = share + z * z / (2 * count), 1 + z * z / count
    return [float(max(0.0, (centre - spread) / scale)), float(min(1.0, (centre + spread) / scale))]


def interval_text(interval: list[float] | None) -> str:
    """A 95% interval as tables print it ("0.41-0.80"; "-" where there is none)."""
    return "-" if not interval else f"{interval[0]:.2f}-{interval[1]:.2f}"


def interval_columns(metrics: dict) -> dict:
    """A concept's 95% accuracy interval as two table columns (empty where it has no pairs)."""
    low, high = metrics.get("pairwise_interval") or (None, None)
    return {"pairwise_low": low, "pairwise_high": high}


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve of scores for impossible (1) vs possible (0); None if one class."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(set(labels)) == 2 else None
