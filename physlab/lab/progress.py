"""Progress of scoring: a world model that reports each batch of clips it scores.

`evaluate` and `score_videos` (physlab/voe/surprise.py) take no progress callback; wrapping the model
gives long scoring runs (an experiment's sets, the dashboard's comparisons) a real count of clips.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from physlab.model import WorldModel


class CountingModel(torch.nn.Module):
    """`model`, scoring as before, calling `on_clips(n)` after each batch of n clips it scores."""

    def __init__(self, model: WorldModel, on_clips: Callable[[int], None]):
        super().__init__()
        self.model = model
        self.config = model.config
        self._on_clips = on_clips

    @torch.no_grad()
    def surprise_channels(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, channels, T), as the wrapped model's."""
        channels = self.model.surprise_channels(frames)
        self._on_clips(frames.shape[0])
        return channels

    @torch.no_grad()
    def surprise(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T), as the wrapped model's."""
        return self.surprise_channels(frames).amax(dim=1)
