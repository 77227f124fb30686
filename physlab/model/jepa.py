"""The video JEPA: predict the next frames' representations, not their pixels.

An online encoder embeds every frame into a grid of latents; a predictor maps the latents of
a context window to those of the next frames; targets come from an EMA copy of the encoder
(stop-gradient, distillation style) or from the online encoder itself, and are normalised.
VICReg-style variance and covariance terms on an expander keep the latents from collapsing.
Surprise is the prediction error of each frame, in representation space.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from physlab.model.config import ModelConfig
from physlab.model.networks import (
    FrameEncoder,
    TemporalPredictor,
    appearance_code,
    encode_clips,
    horizon_surprise,
    horizon_targets,
    latent_std,
    masked_mean,
    pool_space,
    scoring_predictions,
    training_windows,
)


class JEPA(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = FrameEncoder(config)
        self.predictor = TemporalPredictor(config, config.predicted_dim + int(config.predict_variance))
        self.target_encoder = copy.deepcopy(self.encoder) if config.target == "ema" else None
        if self.target_encoder is not None:
            self.target_encoder.requires_grad_(False)
        dim, wide = config.latent_dim, config.expander_dim
        self.expander = (
            nn.Sequential(nn.Linear(dim, wide), nn.GELU(), nn.Linear(wide, wide)) if config.regularizer == "vicreg" else None
        )

    def encode(self, frames: torch.Tensor, encoder: nn.Module | None = None) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T, D, g, g), by the online encoder unless told another."""
        return encode_clips(encoder or self.encoder, frames)

    def seen(self, frames: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """What the predictor sees of each frame: the latents (B, T, D, g, g), and the colour code beside them
        when the config has one."""
        if not self.config.appearance_dim:
            return latents
        code = appearance_code(frames, self.config.latent_stride) * self.config.appearance_scale
        return torch.cat([latents, code.to(latents.dtype)], dim=2)

    @torch.no_grad()
    def targets(self, frames: torch.Tensor, online: torch.Tensor | None = None) -> torch.Tensor:
        """What the predictor predicts (B, T, D + colour code, g, g): normalised target latents, never carrying
        gradient, and the colour code when the config has one."""
        latents = (
            online.detach() if self.target_encoder is None and online is not None else self.encode(frames, self.target_encoder)
        )
        return self.seen(frames, _normalise(latents))

    def loss(
        self,
        frames: torch.Tensor,
        chosen: torch.Tensor,
        generator: torch.Generator | None = None,
        cell_weights: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss on whole clips (B, T, 3, H, W): predict frames `chosen` (B, n) and the next ones.

        Each clip is encoded once and predicted at several frames from the windows before them,
        exactly as scoring does, so one encoder pass feeds many predictions. `generator` draws
        the hidden blocks of `context_masking`; `cell_weights` (B, T, g, g) weigh each target cell.
        """
        latents = self.encode(frames)
        targets = self.targets(frames, latents)
        windows, valid = training_windows(self.seen(frames, latents), self.config, chosen, generator)
        wanted, inside = horizon_targets(targets, chosen, self.config.horizon)
        energy = self._energy(self.predictor(windows, valid), wanted, self.config.nll_beta)
        if cell_weights is not None:
            energy = energy * horizon_targets(cell_weights, chosen, self.config.horizon)[0]
        prediction = masked_mean(energy, inside)
        metrics = {"prediction_loss": prediction.item(), "latent_std": latent_std(latents)}
        loss = prediction
        if self.expander is not None:
            variance, covariance = vicreg_terms(self.expander(latents.permute(0, 1, 3, 4, 2).reshape(-1, latents.shape[2])))
            loss = loss + self.config.variance_weight * variance + self.config.covariance_weight * covariance
            metrics |= {"variance_loss": variance.item(), "covariance_loss": covariance.item()}
        return loss, metrics

    @torch.no_grad()
    def update_target(self) -> None:
        """EMA step of the target encoder towards the online one."""
        if self.target_encoder is None:
            return
        momentum = self.config.ema_momentum
        for target, online in zip(self.target_encoder.parameters(), self.encoder.parameters()):
            target.lerp_(online, 1.0 - momentum)

    forward = loss  # so DistributedDataParallel, which wraps forward(), syncs the loss's gradients

    @torch.no_grad()
    def surprise(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T) per-frame surprise; NaN for the first frames no prediction reaches."""
        batch, steps = frames.shape[:2]
        if steps <= self.config.first_scored_frame:
            return torch.full((batch, steps), float("nan"))
        latents = self.encode(frames)
        targets = self.targets(frames, latents)
        predicted = scoring_predictions(self.predictor, self.seen(frames, latents), self.config.context)

        def energy(predictions: torch.Tensor, first: int) -> torch.Tensor:
            count = predictions.shape[1]
            cells = self._energy(
                predictions.flatten(0, 1)[:, None],
                targets[:, first : first + count].flatten(0, 1)[:, None],
                nll=self.config.surprise_energy == "nll",
            )
            return pool_space(cells.reshape(batch, count, *latents.shape[3:]), self.config.spatial_pool)

        return horizon_surprise(predicted, steps, self.config, energy)

    def _energy(self, predicted: torch.Tensor, targets: torch.Tensor, beta: float = 0.0, nll: bool = True) -> torch.Tensor:
        """Per-cell prediction energy (..., g, g): squared error, or Gaussian NLL with the predicted variance.

        `beta` > 0 weighs each cell's NLL by its detached variance to that power (for training only);
        `nll=False` gives the squared error even where the model predicts a variance.
        """
        dim = self.config.predicted_dim
        error = (predicted[:, :, :dim] - targets).pow(2).mean(dim=2)
        if not (self.config.predict_variance and nll):
            return error
        log_variance = predicted[:, :, dim].clamp(-6.0, 6.0)
        negative_log_likelihood = 0.5 * (error * torch.exp(-log_variance) + log_variance)
        return negative_log_likelihood * torch.exp(beta * log_variance.detach()) if beta else negative_log_likelihood


def _normalise(latents: torch.Tensor) -> torch.Tensor:
    """Layer-normalise each latent vector, so the loss cannot shrink by shrinking the targets."""
    return F.layer_norm(latents.transpose(2, -1), (latents.shape[2],)).transpose(2, -1)


def vicreg_terms(embeddings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Variance (hinge on each dimension's std) and covariance (off-diagonal energy) of (N, E)."""
    centred = embeddings - embeddings.mean(dim=0)
    std = torch.sqrt(centred.var(dim=0) + 1e-4)
    variance = F.relu(1.0 - std).mean()
    n, dim = centred.shape
    cov = (centred.T @ centred) / max(n - 1, 1)
    off_diagonal = cov - torch.diag(torch.diag(cov))
    covariance = off_diagonal.pow(2).sum() / dim
    return variance, covariance
