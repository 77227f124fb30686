"""Where things move, from the frames alone (training only).

A physics event fills a few cells of a few frames; the rest of a clip is a still room, its walls, textures and
clutter, which a predictor learns to copy early on and which then still fill most of the loss. Weighing up the
cells that change makes the loss about foreseeing motion. Unlike the reappearance weights (renderer masks), this
needs nothing but pixels, so it works on any training clip.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FULL_CHANGE = 0.1  # a cell whose largest pixel change (of 1) reaches this counts fully as moving


def moving_cells(frames: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, T, 3, H, W) pictures in [0, 1] -> (B, T, grid, grid) in [0, 1]: how much each cell changed from the
    frame before (its largest pixel change, mean over colour, ramped up to FULL_CHANGE). The first frame is 0.

    Max-pooled, so an object of a few pixels in a cell counts; rendered clips are still where nothing moves
    (the median cell change of the randomized training data is 0), so no noise floor is taken off.
    """
    batch, steps = frames.shape[:2]
    change = (frames[:, 1:] - frames[:, :-1]).abs().mean(dim=2)  # (B, T-1, H, W)
    pooled = F.adaptive_max_pool2d(change.flatten(0, 1)[:, None], grid)[:, 0].reshape(batch, steps - 1, grid, grid)
    moving = (pooled / FULL_CHANGE).clamp(0.0, 1.0)
    return torch.cat([torch.zeros_like(moving[:, :1]), moving], dim=1)
