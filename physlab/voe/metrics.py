"""VoE metrics as the field computes them: pairwise accuracy (IntPhys's relative score) with its 95% interval,
AUROC (the absolute score), per concept and per violation, and the onset-to-peak delay."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from physlab.data.manifest import LABELS


def comparisons(clip_rows: list[dict], manifest_rows: list[dict], folder: Path) -> tuple[list[tuple[dict, dict]], list[str]]:
    """Every (possible, impossible) comparison within each pair id, as IntPhys's relative score and InfLevel's
    evaluator count them: one for a matched pair, four for an IntPhys quadruplet (two of each), and so on.

    A pair id the manifest lists without a clip of each label is an error naming it and its clips (none of its
    clips is dropped in silence); clips that could not be scored were reported where they failed, and their
    comparisons are left out.
    """
    scored: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in clip_rows:
        scored[row["pair"]][row["label"]].append(row)
    listed: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in manifest_rows:
        listed[row["pair"]][row["label"]].append(row["clip"])
    found, errors = [], []
    for pair, labels in listed.items():
        if set(labels) != set(LABELS):
            have = "; ".join(f"{label}: {', '.join(clips)}" for label, clips in labels.items())
            errors.append(f"{folder / 'manifest.csv'}: pair {pair!r} needs a possible and an impossible clip, has {have}")
            continue
        found.extend(itertools.product(scored[pair]["possible"], scored[pair]["impossible"]))
    return found, errors


def summarise(pairs: list[tuple[dict, dict]], clip_rows: list[dict], pools: Sequence[str] = ()) -> dict:
    """Pairwise accuracy and AUROC, overall, per concept and per violation, and the onset-to-peak delay.

    `pairs` are comparisons of clip rows whose `surprise` is the clip score; `surprise_<pool>` for each of `pools`
    is scored the same way beside it (under "pools"), and `surprise_after_onset`, where rows have it, gives the
    secondary "after_onset" figure: the clip scored from the violation's onset on.
    """
    summary = _all_metrics(pairs, pools)
    concepts = sorted({possible["concept"] for possible, _ in pairs})
    summary["per_concept"] = {c: _all_metrics([p for p in pairs if p[0]["concept"] == c], pools) for c in concepts}
    for concept, metrics in summary["per_concept"].items():
        delays = [i["peak_delay_s"] for p, i in pairs if p["concept"] == concept and i["peak_delay_s"] is not None]
        metrics["peak_delay_s"] = float(np.median(delays)) if delays else None
    violations = sorted({i["violation"] for _, i in pairs if i.get("violation")})
    if violations:  # physlab's sets name the edit, which tells apart the ways one concept can break
        summary["per_violation"] = {v: _all_metrics([p for p in pairs if p[1].get("violation") == v], pools) for v in violations}
    delays = [row["peak_delay_s"] for _, row in pairs if row["peak_delay_s"] is not None]
    summary["peak_delay_s"] = {"median": float(np.median(delays)) if delays else None, "clips": len(delays)}
    summary["calm_wins"] = calm_wins(pairs)
    summary["divergence"] = divergence_found(pairs)
    summary["clips"] = len(clip_rows)
    return summary


def calm_wins(pairs: list[tuple[dict, dict]]) -> dict | None:
    """Of the comparisons the clip score gets right, those whose impossible twin peaks in the frames both twins
    share: before the twins start to differ (`diverge_seconds`, found from the frames) or, where that is unknown,
    before the onset. {"pairs", "of_right"}; None where no comparison has either.

    With a pool relative to the clip's typical frame (`excess`), such a pair wins because the rest of the impossible
    clip is calmer (a car that hangs, a ball that never comes out), not because the model reacted to the violation.
    The Surprise lab reads its pairs the same way (physlab/lab/showcase.py's `shared_until`).
    """
    judged = [(p, i, _shared_until(i)) for p, i in pairs]
    judged = [(p, i, shared) for p, i, shared in judged if shared is not None]
    if not judged:
        return None
    right = [(i, shared) for p, i, shared in judged if i["surprise"] > p["surprise"]]
    return {"pairs": sum(i["peak_seconds"] < shared for i, shared in right), "of_right": len(right)}


def _shared_until(row: dict) -> float | None:
    """Seconds into a clip where it stops sharing its twin's frames: where they differ, else its onset."""
    if row.get("diverge_seconds") is not None:
        return row["diverge_seconds"]
    return row.get("onset_seconds")


def divergence_found(pairs: list[tuple[dict, dict]]) -> dict | None:
    """Where the comparisons' twins first differ (the `diverged` pool scores from there): how many never differ,
    how many differ from the first frame, and, over the `timed` ones whose impossible twin has an onset, the median
    of divergence minus onset in seconds (None: no row was scored as twins).
    """
    found = [i for _, i in pairs if "diverge_seconds" in i]
    if not found:
        return None
    timed = [
        i["diverge_seconds"] - i["onset_seconds"]
        for i in found
        if i.get("onset_seconds") is not None and i["diverge_seconds"] is not None
    ]
    return {
        "comparisons": len(found),
        "never": sum(i["diverge_seconds"] is None for i in found),
        "from_start": sum(i["diverge_seconds"] == 0 for i in found),
        "median_after_onset_s": float(np.median(timed)) if timed else None,
        "timed": len(timed),
    }


def _all_metrics(pairs: list[tuple[dict, dict]], pools: Sequence[str]) -> dict:
    metrics = _metrics(pairs)
    metrics["pools"] = {pool: _metrics(pairs, f"surprise_{pool}") for pool in pools}
    timed = [(p, i) for p, i in pairs if i.get("surprise_after_onset") is not None and p.get("surprise_after_onset") is not None]
    metrics["after_onset"] = _metrics(timed, "surprise_after_onset") if timed else None
    return metrics


def _metrics(pairs: list[tuple[dict, dict]], key: str = "surprise") -> dict:
    """Strict pairwise accuracy (a tie is a miss, as Garrido et al. 2025 count it), its interval, ties, and the
    AUROC of the clips' scores, each clip counted once however many comparisons it is in.

    The interval counts pair ids, not comparisons: an IntPhys quadruplet's four comparisons share clips and are
    not independent. A group's share of wins lies in [0, 1], so its variance is at most p(1 - p), and the
    Wilson interval over groups is a conservative one; for matched pairs the two counts are the same."""
    if not pairs:
        return {"pairwise_accuracy": None, "pairwise_interval": None, "auroc": None, "pairs": 0, "groups": 0, "ties": 0}
    wins = [1.0 if i[key] > p[key] else 0.0 for p, i in pairs]
    ties = sum(i[key] == p[key] for p, i in pairs)
    clips = {row["clip"]: row for pair in pairs for row in pair}
    labels = [int(row["label"] == "impossible") for row in clips.values()]
    accuracy = float(np.mean(wins))
    groups = len({possible["pair"] for possible, _ in pairs})
    return {
        "pairwise_accuracy": accuracy,
        "pairwise_interval": wilson_interval(accuracy, groups),
        "auroc": auroc(labels, [row[key] for row in clips.values()]),
        "pairs": len(pairs),
        "groups": groups,
        "ties": int(ties),
    }


def pair_wins(clip_rows: list[dict], key: str = "surprise") -> dict[str, float]:
    """Each pair id's share of its possible x impossible comparisons won (the impossible clip more surprising; a
    tie is a miss), from `evaluate`'s clip rows, compared as `comparisons` pairs them: what a paired comparison of
    two models on one set needs. A pair id without clips of both labels has no comparison and no entry."""
    found, _ = comparisons(clip_rows, clip_rows, Path("."))  # its errors were reported when the set was scored
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for possible, impossible in found:
        outcomes[possible["pair"]].append(impossible[key] > possible[key])
    return {pair: float(np.mean(won)) for pair, won in outcomes.items()}


def paired_difference(first: dict[str, float], second: dict[str, float], seed: int = 0) -> dict:
    """Two models' pairwise accuracy on the same pair ids (`pair_wins` of each), compared pair by pair.

    Returns the difference (second - first) with a 95% bootstrap interval over pair ids (scipy's BCa, paired
    resampling), the pair ids each model wins where the other does not, and the exact two-sided sign test's p
    (McNemar's test for matched pairs) on those. Paired, it is far tighter than two separate intervals: both
    models meet the same hard and easy pairs. Where every pair differs alike (all the same, or a single pair), the
    interval is the difference itself and only the sign test's p tells how little that says.
    Raises ValueError when the two share no pair id.
    """
    from scipy.stats import binomtest, bootstrap

    common = sorted(set(first) & set(second))
    if not common:
        raise ValueError("the two models share no pair id")
    a, b = np.array([first[p] for p in common]), np.array([second[p] for p in common])
    better, worse = int(np.sum(b > a)), int(np.sum(b < a))
    difference = float(np.mean(b - a))
    interval = [difference, difference]
    if np.ptp(b - a) > 0:  # pairs that differ alike leave nothing to resample; the sign test's p says how little
        result = bootstrap((a, b), lambda x, y: np.mean(y - x), paired=True, n_resamples=2000, random_state=seed)
        interval = [float(result.confidence_interval.low), float(result.confidence_interval.high)]
    return {
        "difference": difference,
        "interval": interval,
        "groups": len(common),
        "better": better,
        "worse": worse,
        "p_value": float(binomtest(better, better + worse).pvalue) if better + worse else 1.0,
    }


def wilson_interval(share: float, count: int, z: float = 1.96) -> list[float]:
    """The 95% Wilson score interval of a share of `count` pairs: how far a concept's accuracy can
    move by the draw of pairs alone (20 pairs at 0.625: 0.41-0.80)."""
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
