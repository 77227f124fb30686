"""Violation of expectation: surprise of any clip under a world model, metrics on any stimulus set.

Surprise at a frame is the model's prediction error for that frame from the frames before it (in representation
space for the JEPA, in pixels for the pixel baseline), scored only where the prediction had at least the model's
`min_context` of real frames (V-JEPA's evaluation predicts from real context only). A clip's surprise pools the
frames: "max" (the peak; with the JEPA's two channels, a soft maximum of each channel's peak), "mean" (Garrido et
al. 2025 found the mean over windows better for pairwise accuracy, the max for single-clip AUROC), or
"habituated" (the largest excess of a frame over the median of the second before it), or "excess" (the peak's excess
over the median of all the clip's scored frames). These two make surprise relative to the clip's own typical
error, as habituation in infant studies: a clip in a look the model never saw errs more everywhere, and that
cancels. "diverged" scores a pair's twins only where they differ: the peak from the first frame in which they
differ on (physlab/voe/divergence.py, found from the frames, no onset needed), over the pair's median frame, one
baseline for both, so a twin that is calmer after the edit cannot win by that. `evaluate` reports every pool beside
the chosen one; docs/results.md has how each was chosen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from physlab.data.manifest import clip_path, crop_box, number_or_none, read_manifest
from physlab.data.motion import motion_crop, read_motion_region
from physlab.data.video import MAX_SECONDS, ModelInput, Video, read_video, video_from_frames
from physlab.errors import PhyslabError
from physlab.model import ModelConfig, WorldModel, load_model
from physlab.model.networks import as_pictures
from physlab.scenes.clips import Clip
from physlab.voe.divergence import Twins, pair_twins
from physlab.voe.metrics import comparisons, summarise

POOLS = ("max", "mean", "habituated", "excess", "diverged")
DEFAULT_POOL = "excess"
# What part of each frame is scored: the manifest's `crop` column where it gives one (else the whole frame), or
# also, for pairs it gives none, where the pair's twins move (physlab/data/motion.py).
CROPS = ("manifest", "motion")
DEFAULT_CROP = "manifest"
HABITUATION_SECONDS = 1.0
SEGMENT = 96  # model frames scored at once in a long clip, so memory stays bounded at any length


def model_input(config: ModelConfig, aspect: str = "letterbox", max_seconds: float = MAX_SECONDS) -> ModelInput:
    """What a model takes from a video: its frame rate and size, the aspect fitting, enough frames for one score."""
    return ModelInput(config.fps, config.image_size, aspect, config.first_scored_frame + 1, max_seconds)


@dataclass
class SurpriseCurve:
    """Per-frame surprise at the model's frame rate `fps`: `values` (T,), NaN where a frame is not scored;
    `frames` (T,) the source frame shown at each model time k / fps; `source_times` (N,) when each source frame
    started (seconds), so onsets given as source frames convert to time."""

    name: str
    values: np.ndarray
    frames: np.ndarray
    fps: float
    # With several channels of surprise: each one's per-frame values (`values` is their per-frame max),
    # and the temperature of the soft maximum that makes a clip's peak of theirs.
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    temperature: float = 0.5
    source_times: np.ndarray | None = None
    timing: str = "timestamps"

    @property
    def seconds(self) -> np.ndarray:
        """(T,) model time of each value, in seconds."""
        return np.arange(len(self.values)) / self.fps

    def source_time(self, frame: int) -> float:
        """When source frame `frame` started, in seconds (an even rate where the source times are unknown)."""
        if self.source_times is None or not len(self.source_times):
            return frame / self.fps
        if frame < len(self.source_times):
            return float(self.source_times[frame])
        step = float(np.mean(np.diff(self.source_times))) if len(self.source_times) > 1 else 1.0 / self.fps
        return float(self.source_times[-1]) + (frame - len(self.source_times) + 1) * step

    def clip_surprise(self, pool: str = DEFAULT_POOL, after: float | None = None, twins: Twins | None = None) -> float:
        """One number for the clip, pooled over its scored frames (from `after` seconds on, if given): see POOLS.

        With several channels, "max" is a soft maximum of the channels' peaks, T log sum exp(peak / T): the
        stronger channel's peak, raised a little when the other one peaks too, so that a clip the stronger channel
        finds as surprising as its twin (at a frame both share) is told apart by the other. "diverged" needs the
        clip's `twins` (physlab/voe/divergence.py); a clip without a twin gets its "excess".
        """
        if pool not in POOLS:
            raise PhyslabError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
        if pool == "diverged":
            if twins is None:
                pool = "excess"
            else:
                start = twins.diverge_s or 0.0
                after = start if after is None else max(after, start)
        keep = slice(None) if after is None else self.seconds >= after - 1e-9
        values = self.values[keep]
        if np.isnan(values).all():
            return float("nan")
        if pool == "mean":
            return float(np.nanmean(values))
        if pool == "habituated":
            return _habituated(self.values, self.fps, None if after is None else int(np.ceil(after * self.fps - 1e-9)))
        if pool == "diverged":
            return float(np.nanmax(values) - twins.baseline)
        if pool == "excess":
            # The baseline is the whole clip's typical frame, also when only frames after an onset are pooled.
            return float(np.nanmax(values) - np.nanmedian(self.values))
        if len(self.channels) < 2:
            return float(np.nanmax(values))
        peaks = np.array([np.nanmax(v[keep]) for v in self.channels.values()]) / self.temperature
        return float(self.temperature * np.logaddexp.reduce(peaks))

    def channel_peaks(self) -> dict[str, float]:
        """Each channel's highest surprise (none for a model with one channel)."""
        return {name: float(np.nanmax(values)) for name, values in self.channels.items()}

    def peak_index(self) -> int:
        """The model frame of the highest surprise."""
        return int(np.nanargmax(self.values))

    def peak_frame(self) -> int:
        """The source frame of the highest surprise."""
        return int(self.frames[self.peak_index()])

    def peak_seconds(self) -> float:
        """When the highest surprise is, in seconds (model time)."""
        return float(self.seconds[self.peak_index()])

    def rows(self) -> list[dict]:
        """One row per model frame (`frame` the source frame, `seconds` the model time, `surprise` empty where the
        frame is not scored); with several channels, a `surprise_<channel>` column for each."""
        rows = [
            {"clip": self.name, "frame": int(f), "seconds": round(float(s), 4), "surprise": _number(v)}
            for f, s, v in zip(self.frames, self.seconds, self.values)
        ]
        if len(self.channels) > 1:
            for channel, values in self.channels.items():
                for row, value in zip(rows, values):
                    row[f"surprise_{channel}"] = _number(value)
        return rows


def _habituated(values: np.ndarray, fps: float, first: int | None = None) -> float:
    """The largest excess of a scored frame over the median of the scored frames in the second before it.

    Only frames with at least half a second of scored past count; a clip too short for any falls back to its peak.
    """
    window = max(2, round(HABITUATION_SECONDS * fps))
    excess = []
    for t in range(first or 0, len(values)):
        past = values[max(0, t - window) : t]
        past = past[~np.isnan(past)]
        if not np.isnan(values[t]) and len(past) >= window // 2:
            excess.append(values[t] - np.median(past))
    return float(max(excess)) if excess else float(np.nanmax(values[first or 0 :]))


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def score_videos(
    model: WorldModel,
    videos: Sequence[Video | tuple[str, np.ndarray, float]],
    batch_size: int = 8,
    precision: str = "auto",
    aspect: str = "letterbox",
    on_batch: Callable[[int], None] | None = None,
) -> list[SurpriseCurve]:
    """Surprise curves of videos: Videos read for this model (`read_video(path, model_input(config))`) or
    (name, frames (T, H, W, 3) uint8, fps) tuples, batched by length; long clips are scored in overlapping
    segments, which give the same values as one pass.

    `precision`: "float32", "bfloat16", or "auto" (bfloat16 where the CPU computes it natively:
    about 1.5x faster, with the same AUROC on physlab's validation pairs and a few near-ties flipped).
    Raises PhyslabError for an in-memory clip too short for the model (a file is refused when it is read).
    `on_batch(n)` is called after each batch of n clips is scored.
    """
    fast = _use_bfloat16(precision)
    config = model.config
    spec = model_input(config, aspect)
    prepared = [video if isinstance(video, Video) else video_from_frames(*video, spec) for video in videos]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, video in enumerate(prepared):
        by_length[len(video.frames)].append(i)
    curves: list[SurpriseCurve | None] = [None] * len(prepared)
    for length, indices in by_length.items():
        step = batch_size if length <= 2 * SEGMENT else 1
        for start in range(0, len(indices), step):
            chunk = indices[start : start + step]
            channels = _channels(model, np.stack([prepared[i].frames for i in chunk]), fast)
            for row, i in enumerate(chunk):
                curves[i] = _curve(prepared[i], channels[row], config)
            if on_batch is not None:
                on_batch(len(chunk))
    return curves


def _curve(video: Video, channels: np.ndarray, config: ModelConfig) -> SurpriseCurve:
    names = config.channel_names
    per_channel = dict(zip(names, channels)) if len(names) > 1 else {}
    return SurpriseCurve(
        video.name,
        channels.max(axis=0),
        video.source_index,
        video.fps,
        per_channel,
        config.channel_temperature,
        video.source_times,
        video.timing,
    )


def _channels(model: WorldModel, frames: np.ndarray, fast: bool) -> np.ndarray:
    """(B, T, S, S, 3) uint8 -> (B, C, T) surprise, in segments of SEGMENT frames when the clips are long.

    A frame's surprise depends on the context + horizon frames before it, so each segment is scored with that
    many frames before it and only its own frames kept.
    """
    steps = frames.shape[1]
    reach = model.config.context + model.config.surprise_horizon
    parts = []
    for first in range(0, steps, SEGMENT if steps > 2 * SEGMENT else steps):
        begin, end = max(0, first - reach), min(steps, first + (SEGMENT if steps > 2 * SEGMENT else steps))
        batch = as_pictures(frames[:, begin:end])
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
            values = model.surprise_channels(batch).float().numpy()
        parts.append(values[:, :, first - begin :])
    return np.concatenate(parts, axis=2)


def _use_bfloat16(precision: str) -> bool:
    if precision not in ("auto", "float32", "bfloat16"):
        raise PhyslabError(f"precision must be auto, float32 or bfloat16, got {precision!r}")
    if precision == "auto":
        return not torch.cuda.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return precision == "bfloat16"


def surprise(
    clip_or_path: Clip | np.ndarray | str | Path,
    model: WorldModel | str | None = None,
    fps: float = 24.0,
    aspect: str = "letterbox",
) -> SurpriseCurve:
    """The surprise curve of one clip: a physlab Clip, frames (T, H, W, 3) uint8 shown at `fps`, or any video file
    or frame folder (read at its own timestamps; `fps` only for a file without timing)."""
    model = model if isinstance(model, torch.nn.Module) else load_model(model)
    if isinstance(clip_or_path, Clip):
        video = (f"{clip_or_path.scene.family}_{clip_or_path.label}", clip_or_path.frames, clip_or_path.fps)
    elif isinstance(clip_or_path, np.ndarray):
        video = ("frames", clip_or_path, fps)
    else:
        video = read_video(clip_or_path, model_input(model.config, aspect), fps=fps)
    return score_videos(model, [video], aspect=aspect)[0]


@dataclass
class Evaluation:
    """Scores of a stimulus set: the summary, one row per clip, the curves, what went wrong (`errors`: a clip or
    pair left out, one line each) and what was assumed (`notes`, e.g. the rate of clips with no timing)."""

    summary: dict
    clips: list[dict]
    curves: dict[str, SurpriseCurve]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate(
    folder: str | Path,
    model: WorldModel | str | None = None,
    *,
    pool: str = DEFAULT_POOL,
    batch_size: int = 8,
    precision: str = "auto",
    aspect: str = "letterbox",
    max_seconds: float = MAX_SECONDS,
    crop: str = DEFAULT_CROP,
    progress: bool = False,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    """Score every readable clip of a stimulus set (docs/design.md's contract, whoever made it, or an IntPhys tree).

    Every possible x impossible comparison within a pair id counts (IntPhys quadruplets give four). A clip that
    cannot be read or is too short, or a pair id without both labels, is one line in `errors`; every other pair is
    still scored. A manifest's `fps` column gives the rate of clips without timing, its `crop` column ('x y width
    height', source pixels) the part of each frame to keep; with `crop="motion"`, a pair whose rows give none is
    cropped to where its twins move (physlab/data/motion.py: one more reading of each clip). `progress` shows
    bars; `on_progress(stage, done, total)` is called as clips are read (stage "reading") and scored ("scoring"),
    for a caller's own progress display.
    """
    if pool not in POOLS:
        raise PhyslabError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
    if crop not in CROPS:
        raise PhyslabError(f"crop must be one of {', '.join(CROPS)}, got {crop!r}")
    folder = Path(folder)
    model = model if isinstance(model, torch.nn.Module) else load_model(model)
    spec = model_input(model.config, aspect, max_seconds)
    rows = read_manifest(folder)
    motion = _motion_crops(folder, rows, spec, progress) if crop == "motion" else {}
    errors: list[str] = []
    videos, kept, untimed, warned = [], [], [], []
    for done, row in enumerate(tqdm(rows, desc="reading clips", unit="clip", disable=None if progress else True, leave=False)):
        try:
            path = clip_path(folder, row["clip"])
            box = crop_box(row.get("crop"), folder / "manifest.csv", row["clip"]) or motion.get(row["clip"])
            video = read_video(path, spec, fps=number_or_none(row.get("fps")), crop=box)
        except PhyslabError as err:
            errors.append(str(err))
            continue
        finally:
            if on_progress is not None:
                on_progress("reading", done + 1, len(rows))
        video.name = row["clip"]
        if not video.has_timing:
            untimed.append((row["clip"], video.timing))
        if video.warning:
            warned.append(f"{row['clip']}: {video.warning}")
        videos.append(video)
        kept.append(row)
    with tqdm(total=len(videos), desc="scoring", unit="clip", disable=None if progress else True, leave=False) as bar:
        done = [0]  # a disabled bar counts nothing

        def scored(count: int) -> None:
            bar.update(count)
            done[0] += count
            if on_progress is not None:
                on_progress("scoring", done[0], len(videos))

        frames = {row["clip"]: video.frames for row, video in zip(kept, videos)}
        if hasattr(model, "score_set"):  # a model that needs more than pixels: each clip's actions (physlab/control)
            curves_, failed = model.score_set(folder, kept, videos)
            scored(len(videos))
            errors.extend(failed)
            kept = [row for row in kept if row["clip"] in {curve.name for curve in curves_}]
        else:
            curves_ = score_videos(model, videos, batch_size, precision, aspect, scored)
        curves = {curve.name: curve for curve in curves_}
    twins = _pair_twins(kept, curves, frames)
    clip_rows = [_clip_row(row, curves[row["clip"]], pool, twins.get(row["clip"])) for row in kept]
    pairs, pair_errors = comparisons(clip_rows, rows, folder)
    errors.extend(pair_errors)
    notes = _timing_notes(untimed) + warned
    summary = summarise(pairs, clip_rows, POOLS) | {
        "pool": pool,
        "aspect": aspect,
        "crop": crop,
        "motion_cropped": sum(1 for box in motion.values() if box is not None),
        "min_context_s": model.config.context_needed / model.config.fps,
        "errors": errors,
        "notes": notes,
        "model": model.config.kind,
    }
    return Evaluation(summary, clip_rows, curves, errors, notes)


def _motion_crops(folder: Path, rows: list[dict], spec: ModelInput, progress: bool) -> dict[str, tuple | None]:
    """Each clip's crop box from its pair's motion (None: not cropped); a clip that cannot be read is left to the
    main reading, which reports it."""
    regions = {}
    for row in tqdm(rows, desc="finding motion", unit="clip", disable=None if progress else True, leave=False):
        if row.get("crop"):
            continue
        try:
            regions[row["clip"]] = read_motion_region(clip_path(folder, row["clip"]), spec, number_or_none(row.get("fps")))
        except PhyslabError:
            regions[row["clip"]] = None
    by_pair: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row["clip"] in regions:
            by_pair[row["pair"]].append(row["clip"])
    return {clip: motion_crop([regions[c] for c in clips]) for clips in by_pair.values() for clip in clips}


def _timing_notes(untimed: list[tuple[str, str]]) -> list[str]:
    """One line per way the rate of untimed clips was set: which clips, and the rate."""
    by_timing: dict[str, list[str]] = defaultdict(list)
    for clip, timing in untimed:
        by_timing[timing].append(clip)
    notes = []
    for timing, clips in by_timing.items():
        named = ", ".join(clips[:3]) + (f" and {len(clips) - 3} more" if len(clips) > 3 else "")
        notes.append(f"{len(clips)} clip(s) ({named}): {timing}")
    return notes


def _pair_twins(rows: list[dict], curves: dict[str, SurpriseCurve], frames: dict[str, np.ndarray]) -> dict[str, Twins]:
    """Each clip's Twins, for the clips of pair ids scored with both labels."""
    by_pair: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_pair[row["pair"]].append(row)
    twins = {}
    for group in by_pair.values():
        if {row["label"] for row in group} != {"possible", "impossible"}:
            continue
        clips = [row["clip"] for row in group]
        shared = pair_twins(
            [frames[c] for c in clips], [row["label"] for row in group], [curves[c].values for c in clips], curves[clips[0]].fps
        )
        twins |= dict.fromkeys(clips, shared)
    return twins


def _clip_row(row: dict, curve: SurpriseCurve, pool: str, twins: Twins | None = None) -> dict:
    onset = number_or_none(row.get("onset_frame"), int)
    onset_s = None if onset is None else curve.source_time(onset)
    peak_s = curve.peak_seconds()
    clip_row = {
        "clip": row["clip"],
        "pair": row["pair"],
        "label": row["label"],
        "concept": row["concept"],
        "violation": row.get("violation") or None,
        "onset_frame": onset,
        "surprise": curve.clip_surprise(pool, twins=twins),
        **{f"surprise_{name}": curve.clip_surprise(name, twins=twins) for name in POOLS},
        "surprise_after_onset": None if onset_s is None else curve.clip_surprise(pool, after=onset_s, twins=twins),
        "onset_seconds": None if onset_s is None else round(onset_s, 4),
        "diverge_seconds": None if twins is None or twins.diverge_s is None else round(twins.diverge_s, 4),
        "peak_frame": curve.peak_frame(),
        "peak_seconds": round(peak_s, 4),
        "peak_delay_s": None if onset_s is None else round(peak_s - onset_s, 4),
    }
    return clip_row
