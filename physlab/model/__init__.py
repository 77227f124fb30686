"""World models: a video JEPA, a pixel-space baseline, and an untrained encoder, one interface.

Every model has `loss(frames)` for training and `surprise(frames)` -> (B, T) per-frame
prediction error, with frames (B, T, 3, H, W) floats in [0, 1] at `config.image_size`, and
`surprise_channels(frames)` -> (B, C, T), one curve per channel of `config.channel_names`.
"""

from physlab.model.checkpoint import BUNDLED, WorldModel, build_model, load_model, save_model
from physlab.model.config import ModelConfig, TrainConfig, load_train_config

__all__ = ["BUNDLED", "ModelConfig", "TrainConfig", "WorldModel", "build_model", "load_model", "load_train_config", "save_model"]
