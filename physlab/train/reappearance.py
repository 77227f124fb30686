"""Where a hidden object comes back into view, from the renderer's masks (training only).

Predicting a reappearance is the one moment a model has to carry an object, what it looks
like included, through an occlusion; a colour change behind a screen breaks nothing else. The
moment is a few cells of a few frames, so a training loss can weigh it up. Scoring never
sees masks: a user's video has none.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

VISIBLE_PIXELS = 2  # fewer pixels of an object than this, and it counts as hidden


def reappearing_cells(masks: np.ndarray, grid: int, frames_after: int = 3) -> torch.Tensor:
    """(N, T, H, W) object ids (0: none) -> (N, T, grid, grid) bool: the cells of every object in the
    first `frames_after` frames after it comes back into view, having been seen and then hidden."""
    ids = torch.from_numpy(np.ascontiguousarray(masks)).long()
    count, steps = ids.shape[:2]
    cells = torch.zeros(count, steps, grid, grid, dtype=torch.bool)
    for object_id in ids.unique().tolist():
        if object_id == 0:
            continue
        present = ids == object_id
        visible = present.flatten(2).sum(-1) >= VISIBLE_PIXELS  # (N, T)
        seen_before = torch.cummax(visible.int(), dim=1).values.bool()
        back = torch.zeros_like(visible)
        back[:, 1:] = visible[:, 1:] & ~visible[:, :-1] & seen_before[:, :-1]
        recent = back.clone()
        for lag in range(1, frames_after):
            recent[:, lag:] |= back[:, :-lag]
        where = F.adaptive_max_pool2d(present.flatten(0, 1)[:, None].float(), grid)[:, 0].reshape(count, steps, grid, grid)
        cells |= where.bool() & (recent & visible)[:, :, None, None]
    return cells
