"""Pairs that show the effect, chosen by measuring: which pairs of each family a model gets right.

The Surprise lab opens on a pair the bundled JEPA gets right and keeps the ones it gets wrong one
click away. Which is which is measured, not picked by hand: `scan_pairs` makes seeds 0..n-1 of
every family and scores them as the lab does (raw frames at the lab's size, `score_pair`) with
each model. `dashboard/precompute.py` stores the result beside each model's digest, so a
retrained model makes it stale, and a test says so, until the one command is run again.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from physlab.data.parallel import run_batches
from physlab.errors import PhyslabError
from physlab.model import WorldModel, load_model
from physlab.model.checkpoint import model_file
from physlab.scenes.clips import Pair, make_pair, pybullet_client
from physlab.scenes.spec import Family
from physlab.voe.surprise import DEFAULT_POOL, SurpriseCurve, score_videos

OUTCOMES = ("more", "less", "tie")


@dataclass(frozen=True)
class PairScore:
    """How surprised a model is by each twin: their clip surprise (as `evaluate` compares pairs) and
    the frame each twin's surprise peaks at."""

    possible: float
    impossible: float
    possible_peak: int
    impossible_peak: int
    onset: int

    @property
    def outcome(self) -> str:
        """ "more" (the impossible twin is the more surprising: right), "less" (wrong) or "tie"."""
        return outcome(self.possible, self.impossible)

    def tie_reason(self) -> str:
        """Why the twins tie, in words (empty when they do not)."""
        if self.outcome != "tie":
            return ""
        if max(self.possible_peak, self.impossible_peak) < self.onset:
            return (
                f"both twins are most surprising early on (frames {self.possible_peak} and {self.impossible_peak}), "
                f"before the violation's onset at frame {self.onset}, while the two clips are still the same clip: "
                "their peaks are the same number, so the peak cannot tell them apart"
            )
        return "the two peaks are the same number"

    @property
    def calm_win(self) -> bool:
        """Right, but with the impossible twin's peak before the onset, in the opening both twins share: its clip
        surprise (the peak over the clip's typical frame) is the higher because the rest of the clip is calmer,
        not because the model reacted to the violation. Removal violations (a car that hangs, a ball that never
        comes out) win this way often (docs/results.md, 2026-12-01)."""
        return calm_win(self.possible, self.impossible, self.impossible_peak, self.onset)

    def calm_reason(self) -> str:
        """Why a calm win is one, in words (empty when it is not)."""
        if not self.calm_win:
            return ""
        return (
            f"The impossible twin's surprise peaks at frame {self.impossible_peak}, before the violation's onset at "
            f"frame {self.onset}, while the two clips are still the same clip. It comes out ahead because the rest "
            "of it is calmer than the possible twin's (its typical frame is less surprising), not because the model "
            "reacted to the violation."
        )


def calm_win(possible: float, impossible: float, impossible_peak: int, onset: int) -> bool:
    """Right ("more") with the impossible twin's peak (source frame) before the onset: see `PairScore.calm_win`."""
    return outcome(possible, impossible) == "more" and impossible_peak < onset


def outcome(possible: float, impossible: float) -> str:
    """ "more" when the impossible twin's surprise is higher, "less" when lower, "tie" when equal (to rounding)."""
    if math.isclose(possible, impossible, rel_tol=1e-6, abs_tol=1e-6):
        return "tie"
    return "more" if impossible > possible else "less"


def score_pair(pair: Pair, model: WorldModel) -> tuple[list[SurpriseCurve], PairScore]:
    """The twins' surprise curves (possible first) and their score, from the raw frames."""
    clips = (pair.possible, pair.impossible)
    curves = score_videos(model, [(clip.label, clip.frames, clip.fps) for clip in clips])
    possible, impossible = curves
    score = PairScore(
        possible=possible.clip_surprise(DEFAULT_POOL),
        impossible=impossible.clip_surprise(DEFAULT_POOL),
        possible_peak=possible.peak_frame(),
        impossible_peak=impossible.peak_frame(),
        onset=pair.onset_frame,
    )
    return curves, score


def model_digest(name: str) -> str:
    """SHA-256 of a model: of its file, or for 'untrained' (which has none) of its seeded weights."""
    path = model_file(name)
    if path is not None:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    digest = hashlib.sha256()
    for tensor in load_model(name).state_dict().values():
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class _ScanJob:
    family: Family
    seed: int
    size: int
    models: tuple[str, ...]
    threads: int


def scan_pairs(
    families: Iterable[Family], models: Iterable[str], seeds: Iterable[int], *, size: int = 128, workers: int = 1, progress=True
) -> tuple[dict[str, dict[str, dict[int, list[float]]]], list[str]]:
    """Score seeds of every family with every model: {model: {family: {seed: [possible, impossible,
    impossible_peak, onset]}}} (clip surprises; the impossible twin's peak and the onset, source frames), and the
    errors of seeds whose scene could not show its violation."""
    models, seeds = tuple(models), tuple(seeds)
    threads = max(1, (torch.get_num_threads() // workers)) if workers > 1 else 0
    jobs = [_ScanJob(family, seed, size, models, threads) for family in families for seed in seeds]  # one pair a task
    found: dict[str, dict[str, dict[int, list[float]]]] = {name: {} for name in models}
    errors: list[str] = []
    for family, seed, scores, error in run_batches(
        _scan, jobs, workers=workers, description="pairs", unit="pair", progress=progress
    ):
        if error:
            errors.append(error)
            continue
        for name, score in scores.items():
            found[name].setdefault(family, {})[seed] = [score.possible, score.impossible, score.impossible_peak, score.onset]
    for per_family in found.values():  # in seed order, whatever order the workers finished in
        for family in per_family:
            per_family[family] = dict(sorted(per_family[family].items()))
    return found, errors


def _scan(job: _ScanJob) -> tuple[str, int, dict[str, PairScore], str]:
    if job.threads:
        torch.set_num_threads(job.threads)
    with pybullet_client() as client:
        try:
            pair = make_pair(job.family, job.seed, size=job.size, client=client)
        except PhyslabError as err:
            return job.family.name, job.seed, {}, str(err)
    return job.family.name, job.seed, {name: score_pair(pair, _model(name))[1] for name in job.models}, ""


@functools.cache
def _model(name: str) -> WorldModel:
    """Each worker process loads each model once."""
    return load_model(name)


def seeds_by_outcome(scores: dict[int, list[float]]) -> dict[str, list[int]]:
    """Seeds of one family by outcome ("more": right, "less": wrong, "tie"), in seed order, from
    {seed: [possible, impossible, impossible_peak, onset]} as `scan_pairs` gives them; among the right ones, those
    won by a reaction to the violation come first and calm wins (`PairScore.calm_win`) after them."""
    found: dict[str, list[int]] = {name: [] for name in OUTCOMES}
    calm = []
    for seed, (possible, impossible, impossible_peak, onset) in sorted(scores.items()):
        if calm_win(possible, impossible, int(impossible_peak), int(onset)):
            calm.append(seed)
        else:
            found[outcome(possible, impossible)].append(seed)
    found["more"] += calm
    return found
