"""Whether a model's representation sees a violation at all, before any predictor is asked to.

Surprise is prediction error in the space a model predicts in. If the twins of a pair are
nearly the same point in that space, no predictor can tell them apart, however it is trained.
A pair's *visibility* is how far apart the twins get in that space, at any frame and in any
cell, in units of how far a frame of motion moves a clip of the set. The same measure on the
pixels says how visible the violation was to begin with, so the two side by side show what the
encoder kept and what it threw away (for the bundled JEPA: colour, see README).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from physlab.data.manifest import clip_path, read_manifest
from physlab.data.video import ModelInput, read_video
from physlab.errors import PhyslabError
from physlab.model import WorldModel, load_model
from physlab.model.networks import as_pictures
from physlab.voe.metrics import comparisons

MOTION_QUANTILE = 0.9  # of the possible twin's frame-to-frame changes: the motion scale, robust to still frames


@dataclass
class Visibility:
    """One pair: how far apart its twins get in the model's representation and in pixels, in units of the set's motion."""

    pair: str
    concept: str
    violation: str | None
    representation: float
    pixels: float


def representation(model: WorldModel, frames: torch.Tensor) -> torch.Tensor:
    """(B, T, 3, H, W) frames in [0, 1] -> (B, T, C, g, g): the space the model's surprise is measured in.

    The JEPA's normalised target latents; for the pixel model, the pixels of each latent cell.
    """
    if hasattr(model, "targets"):
        return model.targets(frames, model.encode(frames))
    return pixel_cells(frames, model.config.cell_pixels)


def pixel_cells(frames: torch.Tensor, stride: int) -> torch.Tensor:
    """(B, T, 3, H, W) -> (B, T, 3 * stride**2, H / stride, W / stride): each cell's pixels as its features."""
    batch, steps = frames.shape[:2]
    cells = F.pixel_unshuffle(frames.flatten(0, 1), stride)
    return cells.reshape(batch, steps, *cells.shape[1:])


def twin_distance(possible: torch.Tensor, impossible: torch.Tensor) -> float:
    """(T, C, g, g) features of the twins -> the largest mean squared difference of any cell at any frame."""
    steps = min(len(possible), len(impossible))
    return float((possible[:steps] - impossible[:steps]).pow(2).mean(1).flatten(1).amax().item())


def motion_scale(features: torch.Tensor) -> float:
    """(T, C, g, g) -> how far one frame of motion moves the clip's most changing cell (a high quantile over frames)."""
    change = (features[1:] - features[:-1]).pow(2).mean(1).flatten(1).amax(1)
    return float(torch.quantile(change.float(), MOTION_QUANTILE).item()) if len(change) else 0.0


def set_visibility(folder: str | Path, model: WorldModel | str | None = None) -> tuple[list[Visibility], list[str]]:
    """Every complete pair of a stimulus set, under a model (default the bundled JEPA); a pair whose clips
    cannot be read is reported, the rest go on.

    The unit is the set's typical frame of motion (the median over its possible clips), so a pair
    whose possible twin stands still (an object that should not appear) is measured too.
    """
    folder = Path(folder)
    model = model if isinstance(model, torch.nn.Module) else load_model(model)
    config = model.config
    rows = read_manifest(folder)
    pairs, errors = comparisons(rows, rows, folder)
    measured = []
    for possible, impossible in pairs:
        try:
            twins = [
                _model_frames(clip_path(folder, row["clip"]), config.fps, config.image_size) for row in (possible, impossible)
            ]
        except PhyslabError as err:  # a clip the reader rejects is one error line; the set goes on
            errors.append(str(err))
            continue
        measured.append((impossible, pair_distances(model, *twins)))
    units = [_unit([distances[i] for _, distances in measured]) for i in (1, 3)]  # representation, pixels
    results = [
        Visibility(row["pair"], row["concept"], row.get("violation") or None, distances[0] / units[0], distances[2] / units[1])
        for row, distances in measured
    ]
    return results, errors


def pair_distances(model: WorldModel, possible: np.ndarray, impossible: np.ndarray) -> tuple[float, float, float, float]:
    """Frames (T, H, W, 3) uint8 of the twins at the model's size and rate -> the twin distance and the possible
    twin's motion scale, in the model's representation and in its pixels."""
    clips = [as_pictures(f)[None] for f in (possible, impossible)]
    with torch.inference_mode():
        features = [representation(model, clip)[0].float() for clip in clips]
    pixels = [pixel_cells(clip, model.config.cell_pixels)[0] for clip in clips]
    return twin_distance(*features), motion_scale(features[0]), twin_distance(*pixels), motion_scale(pixels[0])


def summarise_visibility(results: list[Visibility], by: str = "concept") -> dict[str, dict]:
    """Median visibility in the representation and in pixels, and their ratio, per concept (or violation)."""
    groups: dict[str, list[Visibility]] = defaultdict(list)
    for result in results:
        groups[getattr(result, by) or "-"].append(result)
    summary = {}
    for name, members in sorted(groups.items()):
        seen = float(np.median([m.representation for m in members]))
        raw = float(np.median([m.pixels for m in members]))
        summary[name] = {"representation": seen, "pixels": raw, "kept": seen / raw if raw > 0 else None, "pairs": len(members)}
    return summary


def format_visibility(summaries: dict[str, dict[str, dict]], title: str = "violation") -> str:
    """A table of summarise_visibility's results, one column pair (visibility, share kept) per model."""
    rows = sorted({row for summary in summaries.values() for row in summary})
    first = next(iter(summaries.values()), {})
    lines = [f"{title:24s} {'pixels':>8s}" + "".join(f" {name[-10:]:>10s} {'kept':>6s}" for name in summaries)]
    for row in rows:
        cells = [f" {first[row]['pixels']:8.2f}"]
        for summary in summaries.values():
            kept = summary[row]["kept"]
            cells.append(f" {summary[row]['representation']:10.2f} {'-' if kept is None else f'{kept:.2f}':>6s}")
        lines.append(f"{row:24s}" + "".join(cells))
    lines.append(
        "median over pairs of how far apart the twins get, in units of a frame of the set's motion: in pixels, in each "
        "model's representation, and the share of the pixels' visibility that representation kept"
    )
    return "\n".join(lines)


def _unit(scales: list[float]) -> float:
    moving = [scale for scale in scales if scale > 0]
    return float(np.median(moving)) if moving else 1.0


def _model_frames(path: Path, fps: float, size: int) -> np.ndarray:
    return read_video(path, ModelInput(fps, size)).frames
