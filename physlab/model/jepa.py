"""The video JEPA: predict the next frames' representations, not their pixels.

An online encoder embeds every frame into a grid of latents; a predictor maps the latents of
a context window to those of the next frames; targets come from an EMA copy of the encoder
(stop-gradient, distillation style) or from the online encoder itself, and are normalised.
VICReg-style variance and covariance terms on an expander keep the latents from collapsing.
Surprise is the prediction error of each frame, in representation space. With `colour_levels`, a
second channel predicts each frame's colour histogram (physlab/model/colour.py), and each channel's
error is measured against its own peaks on possible clips (`calibrate`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from physlab.model.colour import ColourPredictor, colour_view
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
    nearest_hypotheses,
    pool_space,
    scoring_predictions,
    training_windows,
    unscored,
    windows_at,
)


class JEPA(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.encoder = FrameEncoder(config)
        self.predictor = TemporalPredictor(config, (config.predicted_dim + int(config.predict_variance)) * config.hypotheses)
        self.target_encoder = copy.deepcopy(self.encoder) if config.target == "ema" else None
        if self.target_encoder is not None:
            self.target_encoder.requires_grad_(False)
        dim, wide = config.latent_dim, config.expander_dim
        self.expander = (
            nn.Sequential(nn.Linear(dim, wide), nn.GELU(), nn.Linear(wide, wide)) if config.regularizer == "vicreg" else None
        )
        self.colour = ColourPredictor(config) if config.colour_levels else None
        # Training only: how much of each cell shows a body, read linearly from its latent (`objectness_weight`).
        self.objectness = nn.Conv2d(dim, 1, kernel_size=1) if config.objectness_weight > 0 else None
        if self.colour is not None:
            # Per channel, the median and spread of log peak surprise on possible training clips; saved with the
            # weights. Until `calibrate` runs, each channel is scored as its plain log.
            self.register_buffer("calibration", torch.tensor([[0.0, 1.0]] * len(config.channel_names)))

    def encode(self, frames: torch.Tensor, encoder: nn.Module | None = None) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, T, D, g, g), by the online encoder unless told another."""
        return encode_clips(encoder or self.encoder, frames)

    def seen(self, frames: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """What the predictor sees of each frame: the latents (B, T, D, g, g), and the colour code beside them
        when the config has one."""
        if not self.config.appearance_dim:
            return latents
        code = appearance_code(frames, self.config.cell_pixels) * self.config.appearance_scale
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
        parts: str = "all",
        target_frames: torch.Tensor | None = None,
        moving: torch.Tensor | None = None,
        objects: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training loss on whole clips (B, T, 3, H, W): predict frames `chosen` (B, n) and the next ones.

        Each clip is encoded once and predicted at several frames from the windows before them,
        exactly as scoring does, so one encoder pass feeds many predictions. `generator` draws
        the hidden blocks of `context_masking`; `cell_weights` (B, T, g, g) weigh each target cell.
        `parts="colour"`: only the colour channel's loss, without an encoder pass. `target_frames` (B, T, 3, H, W):
        the same clips filmed another way (`cross_view`), to encode the targets from. `moving` (B, T, g, g) in [0, 1]:
        how much each cell changed from the frame before (physlab/train/moving.py), for `change_variance_weight`.
        `objects` (B, T, g, g) in [0, 1]: the share of each cell that shows a body (physlab/train/objects.py), for
        `objectness_weight`.
        """
        colour = self._colour_loss(frames, chosen) if self.colour is not None else None
        if parts == "colour":
            if colour is None:
                raise ValueError("this model has no colour channel to train")
            return colour, {"colour_loss": colour.item()}
        latents = self.encode(frames)
        if target_frames is None:
            targets = self.targets(frames, latents)
        else:
            with torch.no_grad():  # with `target: online`, the online encoder encodes them, and must not learn from it
                targets = self.targets(target_frames)
        windows, valid = training_windows(self.seen(frames, latents), self.config, chosen, generator)
        wanted, inside = horizon_targets(targets, chosen, self.config.horizon)
        energy = self._nearest_energy(self.predictor(windows, valid), wanted, self.config.nll_beta, training=True)
        if cell_weights is not None:
            energy = energy * horizon_targets(cell_weights, chosen, self.config.horizon)[0]
        prediction = masked_mean(energy, inside)
        metrics = {"prediction_loss": prediction.item(), "latent_std": latent_std(latents)}
        loss = prediction
        if self.expander is not None:
            expanded = self.expander(latents.permute(0, 1, 3, 4, 2).reshape(-1, latents.shape[2]))
            variance, covariance = vicreg_terms(expanded)
            loss = loss + self.config.variance_weight * variance + self.config.covariance_weight * covariance
            metrics |= {"variance_loss": variance.item(), "covariance_loss": covariance.item()}
            if moving is not None:
                change = change_variance(expanded.reshape(*latents.shape[:2], *latents.shape[3:], -1), moving)
                loss = loss + self.config.change_variance_weight * change
                metrics["change_variance_loss"] = change.item()
        if objects is not None:
            if self.objectness is None:
                raise ValueError("this model has no objectness head (objectness_weight is 0)")
            objectness = objectness_loss(self.objectness, latents, objects)
            loss = loss + self.config.objectness_weight * objectness
            metrics["objectness_loss"] = objectness.item()
        if colour is not None:
            loss = loss + colour
            metrics["colour_loss"] = colour.item()
        return loss, metrics

    def _colour_loss(self, frames: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        """Squared error of the predicted colour histograms of frames `chosen` (B, n) and the next ones."""
        view, histograms = colour_view(frames, self.config.colour_levels, self.config.cell_pixels)
        windows, valid = windows_at(view, self.config.context, chosen)
        wanted, inside = horizon_targets(histograms, chosen, self.config.horizon)
        error = (self.colour(windows, valid.to(windows.device)) - wanted).pow(2).sum(-1)
        return (error * inside).sum() / inside.sum().clamp(min=1)

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
        """(B, T, 3, H, W) -> (B, T) per-frame surprise, the largest of its channels'; NaN for the first
        frames no prediction reaches."""
        return self.surprise_channels(frames).amax(dim=1)

    @torch.no_grad()
    def surprise_channels(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, channels, T): per channel of `config.channel_names`, the per-frame surprise.

        With one channel it is the latents' prediction energy; with colour, each channel's energy on a log scale
        (`_log_scale`), centred and scaled by its peaks on possible clips (`calibrate`), so the channels are
        comparable.
        """
        raw = self._raw_channels(frames)
        if self.colour is None:
            return raw
        centre, spread = self.calibration[:, 0, None], self.calibration[:, 1, None]
        return (self._log_scale(raw) - centre.to(raw)) / spread.to(raw)

    @torch.no_grad()
    def calibrate(self, batches: Iterable[torch.Tensor]) -> None:
        """Set each channel's scale from possible clips (batches of (B, T, 3, H, W)): the median and standard
        deviation of each clip's peak on the log scale (`_log_scale`)."""
        peaks = torch.cat([self._raw_channels(frames).float().nan_to_num(nan=-torch.inf).amax(dim=2) for frames in batches])
        logs = self._log_scale(peaks)
        spread = logs.std(dim=0) if logs.shape[0] > 1 else torch.ones(logs.shape[1])
        self.calibration.copy_(torch.stack([logs.median(dim=0).values, spread.clamp(min=1e-3)], dim=1))

    def _log_scale(self, raw: torch.Tensor) -> torch.Tensor:
        """(B, channels, ...) energies on a log scale: the log of a squared error; the latents' NLL
        (`surprise_energy: nll`) as it is, being a log-likelihood already, negative where the model is sure and right."""
        logs = raw.clamp(min=1e-12).log()
        if self.config.predict_variance and self.config.surprise_energy == "nll":
            logs[:, 0] = raw[:, 0]
        return logs

    def _raw_channels(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, channels, T) per-frame prediction energy of each channel; NaN where no prediction reaches."""
        latents = self._latent_surprise(frames)
        if self.colour is None:
            return latents[:, None]
        return torch.stack([latents, self._colour_surprise(frames)], dim=1)

    def _colour_surprise(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T): squared error of each frame's predicted colour histogram, horizons combined as the latents'."""
        steps = frames.shape[1]
        if steps <= self.config.first_scored_frame:
            return unscored(frames.shape[0], steps, self.config)
        # In float32 even when scoring runs in bfloat16: a small object's share of the histogram is a few
        # thousandths, below bfloat16's resolution of the floor's share.
        with torch.autocast(frames.device.type, enabled=False):
            view, histograms = colour_view(frames.float(), self.config.colour_levels, self.config.cell_pixels)
            predicted = scoring_predictions(self.colour, view, self.config.context)

            def energy(predictions: torch.Tensor, first: int) -> torch.Tensor:
                return (predictions - histograms[:, first : first + predictions.shape[1]]).pow(2).sum(-1)

            return horizon_surprise(predicted, steps, self.config, energy)

    @torch.no_grad()
    def horizon_energies(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) -> (B, surprise_horizon, T): the latents' prediction energy at each frame, row k from the
        prediction made k + 1 frames before it (NaN where none reaches): what `surprise` combines, kept apart so a
        frame can be scored by the expectation formed before a given moment (benchmarks/bench_foresight.py)."""
        return self._latent_surprise(frames, combine=False)

    def _latent_surprise(self, frames: torch.Tensor, combine: bool = True) -> torch.Tensor:
        """(B, T) per-frame prediction energy of the latents, pooled over the grid ((B, horizons, T) uncombined)."""
        batch, steps = frames.shape[:2]
        if steps <= self.config.first_scored_frame:
            return unscored(batch, steps, self.config, combine)
        latents = self.encode(frames)
        targets = self.targets(frames, latents)
        predicted = scoring_predictions(self.predictor, self.seen(frames, latents), self.config.context)

        def energy(predictions: torch.Tensor, first: int) -> torch.Tensor:
            count = predictions.shape[1]
            cells = self._nearest_energy(
                predictions.flatten(0, 1)[:, None],
                targets[:, first : first + count].flatten(0, 1)[:, None],
                nll=self.config.surprise_energy == "nll",
            )
            return pool_space(cells.reshape(batch, count, *latents.shape[3:]), self.config.spatial_pool)

        return horizon_surprise(predicted, steps, self.config, energy, combine)

    def _nearest_energy(
        self, predicted: torch.Tensor, targets: torch.Tensor, beta: float = 0.0, nll: bool = True, training: bool = False
    ) -> torch.Tensor:
        """(N, h, K * P, g, g) predictions of (N, h, D, g, g) targets -> (N, h, g, g): the per-cell energy (`_energy`)
        of the nearest of the K = `hypotheses` predictions of each frame, nearest by the energy pooled over the grid
        as scoring pools it (the squared error in training); in training, the relaxed winner-takes-all mix
        (networks.nearest_hypotheses)."""
        count = self.config.hypotheses
        if count == 1:
            return self._energy(predicted, targets, beta, nll)
        entries, horizon, _, height, width = predicted.shape
        split = predicted.reshape(entries, horizon * count, -1, height, width)
        repeated = targets.repeat_interleave(count, dim=1)
        cells = self._energy(split, repeated, beta, nll).reshape(entries, horizon, count, height, width)
        # Training's cells are the NLL where the model predicts a variance; the nearest is chosen by the squared error.
        by_error = training and self.config.predict_variance
        judged = self._energy(split, repeated, nll=False).reshape(cells.shape) if by_error else cells
        return nearest_hypotheses(cells, pool_space(judged, self.config.spatial_pool), training)

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


def change_variance(expanded: torch.Tensor, moving: torch.Tensor) -> torch.Tensor:
    """VICReg's variance hinge on how the expanded embeddings (B, T, g, g, E) change from one frame to the next,
    over the cells where the picture changed, weighed by `moving` (B, T, g, g) in [0, 1] (0 at the first frame).

    The plain variance term is met by what differs between cells and clips, a room's look above all, so an encoder
    may keep what moves faintly: the moving thing is what is hard to predict, and the prediction loss is lower
    without it. Here each dimension's change where something moved must vary as much as the variance term asks of
    the embeddings themselves (a std of 1). Where nothing moved in the batch the term is 0.
    """
    weights = moving[:, 1:].reshape(-1, 1)
    if weights.sum() < 1e-6:
        return expanded.sum() * 0.0
    changes = (expanded[:, 1:] - expanded[:, :-1]).reshape(-1, expanded.shape[-1])
    total = weights.sum()
    mean = (weights * changes).sum(dim=0) / total
    variance = (weights * (changes - mean).pow(2)).sum(dim=0) / total
    return F.relu(1.0 - torch.sqrt(variance + 1e-4)).mean()


def objectness_loss(head: nn.Module, latents: torch.Tensor, objects: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of `head`'s logits from each latent cell (B, T, D, g, g) against the share of the cell
    that shows a body, `objects` (B, T, g, g) in [0, 1] (soft targets). In float32 whatever the autocast."""
    logits = head(latents.flatten(0, 1)).reshape(objects.shape)
    return F.binary_cross_entropy_with_logits(logits.float(), objects.float())


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
