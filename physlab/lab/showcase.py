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
from physlab.data.video import video_from_frames
from physlab.errors import PhyslabError
from physlab.model import WorldModel, load_model
from physlab.model.checkpoint import model_file
from physlab.scenes.clips import Pair, make_pair, pybullet_client
from physlab.scenes.spec import Family
from physlab.voe.divergence import pair_twins
from physlab.voe.surprise import DEFAULT_POOL, SurpriseCurve, model_input, score_videos

OUTCOMES = ("more", "less", "tie")
# A lead of the impossible twin where the twins differ smaller than this share of the larger of the two is not
# called a reaction (a share, so it holds in every model's units); the verdict still counts it, as `evaluate` does.
SLIGHT_SHARE = 0.05


@dataclass(frozen=True)
class PairScore:
    """How surprised a model is by each twin: their clip surprise (as `evaluate` compares pairs), the frame each
    twin's surprise peaks at, and, where known, the first source frame in which the twins differ with each one's
    `diverged` surprise (scored only from there, one baseline for both: physlab/voe/divergence.py)."""

    possible: float
    impossible: float
    possible_peak: int
    impossible_peak: int
    onset: int
    diverge_frame: int | None = None
    possible_diverged: float | None = None
    impossible_diverged: float | None = None

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
    def shared_until(self) -> float:
        """The first source frame the twins do not share: where they differ when that was measured (none: they
        share every frame), else the onset."""
        return shared_until(self.onset, self.diverge_frame, measured=self.reaction is not None)

    @property
    def calm_win(self) -> bool:
        """Right, but with the impossible twin's peak in the frames both twins share: its clip surprise (the peak
        over the clip's typical frame) is the higher because the rest of the clip is calmer, not because the model
        reacted to the violation. Removal violations (a car that hangs, a ball that never comes out) win this way
        often (docs/results.md, 2026-12-01)."""
        return calm_win(self.possible, self.impossible, self.impossible_peak, self.shared_until)

    @property
    def reacts(self) -> bool:
        """Where the twins differ, the impossible twin is the more surprising by more than a hair (SLIGHT_SHARE)."""
        return reacted(self.possible_diverged, self.impossible_diverged)

    @property
    def reaction(self) -> str | None:
        """The outcome scored only where the twins differ (None where unknown): "more" is a reaction to the
        violation, which no calmer rest of the clip can give."""
        if self.possible_diverged is None or self.impossible_diverged is None:
            return None
        return outcome(self.possible_diverged, self.impossible_diverged)

    def reaction_text(self) -> str:
        """The outcome where the twins differ, in words (empty where unknown)."""
        if self.reaction is None:
            return ""
        if self.diverge_frame is None:
            start = "they never do"
        else:
            start = f"from frame {self.diverge_frame} on, the first frame the model sees in which they differ"
            if self.diverge_frame > self.onset + 2:
                start += f"; the violation starts at frame {self.onset}, hidden from view until then"
        numbers = (
            f"{self.impossible_diverged:.2f} for the impossible twin, {self.possible_diverged:.2f} for the possible "
            "one, each its peak from there minus the median of both twins' frames together"
        )
        scored = f"Scored only where the twins differ ({start})"
        if self.reaction == "more" and not self.reacts:
            return f"{scored}, the impossible twin is the more surprising, but only just ({numbers}): hardly a reaction."
        if self.reaction == "more" and outcome(self.possible, self.impossible) != "more":
            return (
                f"{scored}, the impossible twin is the more surprising ({numbers}): the model does react to the "
                "violation; it loses the pair on the possible twin's larger peak over the whole clip."
            )
        return {
            "more": f"{scored}, the impossible twin is also the more surprising ({numbers}): the model reacts to the violation.",
            "less": f"{scored}, the possible twin is the more surprising ({numbers}): the model is more surprised by "
            "what the possible twin does there than by the violation.",
            "tie": f"{scored}, they tie ({numbers}).",
        }[self.reaction]

    def calm_reason(self) -> str:
        """Why a calm win is one, in words (empty when it is not)."""
        if not self.calm_win:
            return ""
        return (
            f"The impossible twin's surprise peaks at frame {self.impossible_peak}, {self._before_shared()}, while the "
            "two clips are still the same clip. Its lead in the numbers above comes from the rest of it being calmer "
            "than the possible twin's (its typical frame is less surprising), not from a peak at the violation."
        )

    def _before_shared(self) -> str:
        if self.reaction is None:
            return f"before the violation's onset at frame {self.onset}"
        if self.diverge_frame is None:
            return "in frames the twins share (they never differ)"
        return f"before frame {self.diverge_frame}, where the twins start to differ"


def calm_win(possible: float, impossible: float, impossible_peak: int, shared_until: float) -> bool:
    """Right ("more") with the impossible twin's peak (source frame) before `shared_until`, the first frame the
    twins do not share: see `PairScore.calm_win`."""
    return outcome(possible, impossible) == "more" and impossible_peak < shared_until


def shared_until(onset: int, diverge_frame: int | None, measured: bool) -> float:
    """The first source frame two twins do not share: where they start to differ when that was `measured` (never:
    infinity), else the onset."""
    if not measured:
        return onset
    return math.inf if diverge_frame is None else diverge_frame


def reacted(possible_diverged: float | None, impossible_diverged: float | None) -> bool:
    """Scored where the twins differ, the impossible twin is ahead by SLIGHT_SHARE of the larger of the two (in
    size) or more (`relative_lead`); False where the scores are unknown."""
    if possible_diverged is None or impossible_diverged is None or outcome(possible_diverged, impossible_diverged) != "more":
        return False
    return relative_lead(possible_diverged, impossible_diverged) >= SLIGHT_SHARE


def relative_lead(possible_diverged: float, impossible_diverged: float) -> float:
    """How far ahead the impossible twin is where the twins differ, as a share of the larger score in size."""
    return (impossible_diverged - possible_diverged) / max(abs(possible_diverged), abs(impossible_diverged), 1e-12)


def outcome(possible: float, impossible: float) -> str:
    """ "more" when the impossible twin's surprise is higher, "less" when lower, "tie" when equal (to rounding)."""
    if math.isclose(possible, impossible, rel_tol=1e-6, abs_tol=1e-6):
        return "tie"
    return "more" if impossible > possible else "less"


def score_pair(pair: Pair, model: WorldModel) -> tuple[list[SurpriseCurve], PairScore]:
    """The twins' surprise curves (possible first) and their score, from the raw frames."""
    spec = model_input(model.config)
    videos = [video_from_frames(clip.label, clip.frames, clip.fps, spec) for clip in (pair.possible, pair.impossible)]
    curves = score_videos(model, videos)
    possible, impossible = curves
    twins = pair_twins([v.frames for v in videos], ["possible", "impossible"], [c.values for c in curves], possible.fps)
    diverge = (
        None
        if twins.diverge_s is None
        else int(possible.frames[min(round(twins.diverge_s * possible.fps), len(possible.frames) - 1)])
    )
    score = PairScore(
        possible=possible.clip_surprise(DEFAULT_POOL),
        impossible=impossible.clip_surprise(DEFAULT_POOL),
        possible_peak=possible.peak_frame(),
        impossible_peak=impossible.peak_frame(),
        onset=pair.onset_frame,
        diverge_frame=diverge,
        possible_diverged=possible.clip_surprise("diverged", twins=twins),
        impossible_diverged=impossible.clip_surprise("diverged", twins=twins),
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
    impossible_peak, onset, possible_diverged, impossible_diverged, diverge_frame]}}} (clip surprises; the
    impossible twin's peak and the onset, source frames; each twin's surprise where they differ, and the source frame
    where they start to, None if never), and the errors of seeds whose scene could not show its violation."""
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
            found[name].setdefault(family, {})[seed] = [
                score.possible,
                score.impossible,
                score.impossible_peak,
                score.onset,
                score.possible_diverged,
                score.impossible_diverged,
                score.diverge_frame,
            ]
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
    """Seeds of one family by outcome ("more": right, "less": wrong, "tie"), in seed order, from `scan_pairs`'
    {seed: [possible, impossible, impossible_peak, onset, possible_diverged, impossible_diverged, diverge_frame]}.
    Among the right ones, those the model reacts to where the twins differ (`PairScore.reacts`) come first, the
    clearest reaction first (so a page opens on a pair whose reaction no rounding can undo), then the others that
    are not calm wins, then calm wins (`PairScore.calm_win`)."""
    found: dict[str, list[int]] = {name: [] for name in OUTCOMES}
    for seed, score in sorted(scores.items()):
        found[outcome(score[0], score[1])].append(seed)
    found["more"].sort(key=lambda seed: (not reacts(scores[seed]), calm(scores[seed]), -lead(scores[seed])))
    return found


def lead(score: list) -> float:
    """`relative_lead` from a `scan_pairs` entry (0 where the entry has no such scores)."""
    if len(score) < 6 or score[4] is None or score[5] is None:
        return 0.0
    return relative_lead(score[4], score[5])


def calm(score: list) -> bool:
    """A calm win (`PairScore.calm_win`), from a `scan_pairs` entry: the impossible peak in the frames the twins
    share (up to where they differ, where that was measured; else up to the onset)."""
    possible, impossible, impossible_peak, onset = score[:4]
    measured = len(score) >= 7 and score[4] is not None
    return calm_win(possible, impossible, int(impossible_peak), shared_until(onset, score[6] if measured else None, measured))


def reacts(score: list) -> bool:
    """The model reacts where the twins differ (`PairScore.reacts`), from a `scan_pairs` entry (False where the
    entry has no such scores)."""
    return len(score) >= 6 and reacted(score[4], score[5])
