"""Where the scene's bodies are, from the renderer's masks: the target of the objectness head (training only).

A latent cell's prediction error mixes the event with everything else in view, and on a look the model never
saw the rest of the frame (a new floor, light or codec) moves the latents as much as the event does. Asking each
cell's latent to tell, linearly, how much of it is covered by a body (any labelled one: the event's, a distractor)
gives the encoder a reason to keep figure apart from ground whatever the room looks like, a weak form of the
object-centric objectives (slot attention, Locatello et al. 2020; SAVi, Kipf et al. 2022, which is taught with
first-frame boxes). Scoring never sees masks: a user's video has none.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def object_cover(masks: np.ndarray, grid: int) -> torch.Tensor:
    """(N, T, H, W) object ids (0: none) -> (N, T, grid, grid) float16 in [0, 1]: the share of each cell's pixels
    that show a body. H and W need not be multiples of `grid` (adaptive pooling)."""
    bodies = torch.from_numpy(np.ascontiguousarray(masks) > 0)
    count, steps = bodies.shape[:2]
    cover = F.adaptive_avg_pool2d(bodies.flatten(0, 1)[:, None].float(), grid)[:, 0]
    return cover.reshape(count, steps, grid, grid).half()
