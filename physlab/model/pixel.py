"""The generative baseline: the same encoder and predictor, decoded back to pixels.

Same budget as the JEPA; surprise is the error of the predicted next frame in pixel space,
pooled over patches of a latent cell's size the way the JEPA pools its latent grid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from physlab.model.config import ModelConfig
from physlab.model.networks import (
    FrameEncoder,
    TemporalPredictor,
    encode_clips,
    horizon_surprise,
    horizon_targets,
    latent_std,
    masked_mean,
    pool_space,
    scoring_predictions,
    training_windows,
    unscored,
)


class PixelPredictor(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = FrameEncoder(config)
        self.predictor = TemporalPredictor(config)
        c1, c2, c3 = config.channels
        # One doubling per halving in the encoder: latent -> c3 -> c2 -> c1 at stride 8, latent -> c2 -> c1 at 4.
        widths = [config.latent_dim, c3, c2, c1] if config.latent_stride == 8 else [config.latent_dim, c2, c1]
        layers: list[nn.Module] = []
        for inputs, outputs in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(inputs, outputs, 4, stride=2, padding=1), nn.GELU()]
        self.decoder = nn.Sequential(*layers, nn.Conv2d(c1, 3, 3, padding=1))

    def _decode(self, latents: torch.Tensor) -> torch.Tensor:
        lead = latents.shape[:-3]
        return torch.sigmoid(self.decoder(latents.flatten(0, len(lead) - 1))).reshape(*lead, 3, *self._size())

    def _size(self) -> tuple[int, int]:
        return self.config.image_size, self.config.image_size

    def loss(
        self,
        frames: torch.Tensor,
        chosen: torch.Tensor,
        generator: torch.Generator | None = None,
        cell_weights: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss on whole clips, as the JEPA's: decode frames `chosen` (B, n) and the next ones."""
        latents = encode_clips(self.encoder, frames)
        windows, valid = training_windows(latents, self.config, chosen, generator)
        wanted, inside = horizon_targets(frames, chosen, self.config.horizon)
        error = (self._decode(self.predictor(windows, valid)) - wanted).pow(2)
        if cell_weights is not None:  # each latent cell stands for a patch of pixels
            weights = horizon_targets(cell_weights, chosen, self.config.horizon)[0]
            error = error * F.interpolate(weights, size=error.shape[-2:], mode="nearest")[:, :, None]
        loss = masked_mean(error, inside)
        return loss, {"prediction_loss": loss.item(), "latent_std": latent_std(latents)}

    def update_target(self) -> None:
        """No target encoder: a generative model predicts the pixels themselves."""

    forward = loss  # so DistributedDataParallel, which wraps forward(), syncs the loss's gradients

    @torch.no_grad()
    def surprise_channels(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, 1, T): the one channel, pixels (the JEPA's interface, which may have several)."""
        return self.surprise(frames)[:, None]

    def surprise(self, frames: torch.Tensor, combine: bool = True) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T) per-frame pixel prediction energy ((B, horizons, T) uncombined)."""
        batch, steps = frames.shape[:2]
        if steps <= self.config.first_scored_frame:
            return unscored(batch, steps, self.config, combine)
        latents = encode_clips(self.encoder, frames)
        # Decoding is the costly part: decode only the horizons that are scored.
        predicted = scoring_predictions(self.predictor, latents, self.config.context)[:, :, : self.config.surprise_horizon]

        def energy(predictions: torch.Tensor, first: int) -> torch.Tensor:
            count = predictions.shape[1]
            errors = (self._decode(predictions) - frames[:, first : first + count]).pow(2).mean(dim=2)
            cell = self.config.latent_stride
            patches = F.avg_pool2d(errors.flatten(0, 1), cell).reshape(batch, count, *[s // cell for s in self._size()])
            return pool_space(patches, self.config.spatial_pool)

        return horizon_surprise(predicted, steps, self.config, energy, combine)

    @torch.no_grad()
    def horizon_energies(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, surprise_horizon, T): as the JEPA's `horizon_energies`, in pixels."""
        return self.surprise(frames, combine=False)
