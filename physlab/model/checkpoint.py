"""Model files: safetensors weights with the config in their metadata, and a JSON copy beside.

No pickle anywhere: a model file from a stranger can be loaded safely.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from physlab.errors import PhyslabError
from physlab.files import atomic_path, write_json
from physlab.model.config import ModelConfig
from physlab.model.jepa import JEPA
from physlab.model.pixel import PixelPredictor

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "models"
BUNDLED = ("jepa", "pixel", "untrained")
WorldModel = JEPA | PixelPredictor


def build_model(config: ModelConfig, seed: int = 0) -> WorldModel:
    """A freshly initialised model (seeded, so 'untrained' is always the same network)."""
    torch.manual_seed(seed)
    return (JEPA if config.kind == "jepa" else PixelPredictor)(config)


def save_model(path: str | Path, model: WorldModel, info: dict | None = None) -> None:
    """Write `path` (.safetensors) atomically, and `path` with .json for people to read."""
    path = Path(path)
    metadata = {"config": model.config.model_dump_json(), "info": json.dumps(info or {})}
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(path) as temp:
        save_file(state, str(temp), metadata=metadata)
    write_json(path.with_suffix(".json"), {"config": model.config.model_dump(), "info": info or {}})


def model_file(name_or_path: str | Path | None = None) -> Path | None:
    """The weights file a model name stands for: a bundled file, a run folder's model, or the path itself.

    None for 'untrained' (or 'untrained:SEED'), which is a seeded initialisation and has no file.
    """
    name = str(name_or_path or "jepa")
    if _untrained_seed(name) is not None:
        return None
    return BUNDLED_DIR / f"{name}.safetensors" if name in BUNDLED else bundled_or_path(name)


def bundled_or_path(name: str) -> Path:
    """A bare name of a file in physlab/models (the planning worlds' plan_two_rooms, plan_push, ...) stands for it;
    anything else is a path, a run folder standing for its model.safetensors."""
    bundled = BUNDLED_DIR / f"{name}.safetensors"
    if "/" not in name and not Path(name).suffix and bundled.exists():
        return bundled
    path = Path(name)
    return path / "model.safetensors" if path.is_dir() else path


def load_model(name_or_path: str | Path | None = None) -> WorldModel:
    """A bundled model by name ('jepa', 'pixel', 'untrained'; default 'jepa') or a model file.

    'untrained' is the JEPA's architecture at its seeded initialisation (seed 0); 'untrained:SEED' another seed, for
    the several untrained baselines Garrido et al. (2025) report. It takes the bundled JEPA's config, so it is
    scored the same way.
    """
    seed = _untrained_seed(str(name_or_path or "jepa"))
    if seed is not None:
        bundled = BUNDLED_DIR / "jepa.safetensors"
        config = _config_of(bundled) if bundled.exists() else ModelConfig()
        return _for_inference(build_model(config.model_copy(update={"colour_levels": 0}), seed=seed))
    path = model_file(name_or_path)
    if not path.exists():
        raise PhyslabError(f"{path}: no such model file (bundled models: {', '.join(BUNDLED)})")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        if "action_config" in metadata:  # an action-conditioned world model (physlab/control) scores with actions
            from physlab.control.checkpoint import load_action_model

            return load_action_model(path)
        config = ModelConfig.model_validate_json(metadata["config"])
        model = build_model(config)
        model.load_state_dict(load_file(str(path)))
    except (SafetensorError, KeyError, ValidationError, RuntimeError, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PhyslabError(f"{path}: not a readable physlab model ({reason})") from None
    return _for_inference(model)


def _untrained_seed(name: str) -> int | None:
    """The seed an 'untrained' or 'untrained:SEED' name asks for; None for any other name."""
    if name == "untrained":
        return 0
    if name.startswith("untrained:") and name.removeprefix("untrained:").isdigit():
        return int(name.removeprefix("untrained:"))
    return None


def _config_of(path: Path) -> ModelConfig:
    with safe_open(str(path), framework="pt") as handle:
        return ModelConfig.model_validate_json((handle.metadata() or {})["config"])


def load_weights(model: WorldModel, name_or_path: str | Path) -> list[str]:
    """Copy a model file's weights into `model`, to start training from them; returns the parts it lacked.

    A part the file lacks (one added since, such as `predictor_summary`) keeps its initial values;
    a weight of another shape, or one the model has no place for, is an error. An unfolded model's first
    convolution starts a folded one's (`input_fold`) as the same function of the frame averaged over each
    fold x fold block, so a 64 px model starts a 128 px folded model exactly where it was.
    """
    path = model_file(name_or_path)
    if path is None or not path.exists():
        raise PhyslabError(f"{path or name_or_path}: no model file to start from")
    try:
        weights = load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise PhyslabError(f"{path}: not a readable physlab model ({str(err).splitlines()[0]})") from None
    own = model.state_dict()
    weights = _tiled_hypotheses(_folded(weights, own, model.config.input_fold), own, model.config)
    foreign = sorted(set(weights) - set(own))
    reshaped = sorted(name for name in set(weights) & set(own) if weights[name].shape != own[name].shape)
    if foreign or reshaped:
        misfits = ", ".join(reshaped + foreign)[:200]
        raise PhyslabError(f"{path}: does not fit this model's config (other shape or unknown: {misfits})")
    model.load_state_dict(weights, strict=False)
    return sorted(set(own) - set(weights))


def _folded(weights: dict[str, torch.Tensor], own: dict[str, torch.Tensor], fold: int) -> dict[str, torch.Tensor]:
    """`weights` with each encoder's first convolution, (C, 3, k, k), spread over the fold**2 pixels a colour is
    folded into, (C, 3 * fold**2, k, k), each with 1 / fold**2 of the weight: a convolution is linear, so that
    is the old one applied to the block average. Only when `own` wants the folded shape."""
    spread = dict(weights)
    for name, weight in weights.items():
        wanted = own.get(name)
        first_convolution = name.endswith("encoder.net.0.weight") and wanted is not None and weight.dim() == 4
        if fold > 1 and first_convolution and weight.shape[:2] == (wanted.shape[0], wanted.shape[1] // fold**2):
            # pixel_unshuffle puts colour c's block pixels at channels c * fold**2 ... c * fold**2 + fold**2 - 1.
            spread[name] = weight.repeat_interleave(fold**2, dim=1) / fold**2
    return spread


def _tiled_hypotheses(
    weights: dict[str, torch.Tensor], own: dict[str, torch.Tensor], config: ModelConfig
) -> dict[str, torch.Tensor]:
    """`weights` with a predictor's output layer of one prediction a frame copied into each of `config.hypotheses`
    (a model with `hypotheses` starts from one without), the copies' weights jittered by a twentieth of their spread
    (seeded) so the nearest-hypothesis training can tell them apart. Only when `own` wants K times the outputs."""
    count, horizon = config.hypotheses, config.horizon
    if count == 1:
        return weights
    tiled = dict(weights)
    jitter = torch.Generator().manual_seed(0)
    for name, weight in weights.items():
        wanted = own.get(name)
        if not name.startswith("predictor.head.") or wanted is None:
            continue
        if wanted.shape[0] != weight.shape[0] * count or wanted.shape[1:] != weight.shape[1:]:
            continue
        copies = weight.reshape(horizon, 1, -1, *weight.shape[1:]).expand(-1, count, *([-1] * weight.dim()))
        copies = copies.reshape(wanted.shape).clone()
        if weight.dim() > 1:
            copies += torch.randn(copies.shape, generator=jitter) * 0.05 * weight.std()
        tiled[name] = copies
    return tiled


def _for_inference(model: WorldModel) -> WorldModel:
    """Eval mode, with conv weights laid out channels-last: about 15% faster scoring on CPU (benchmarks/bench_score.py)."""
    return model.eval().to(memory_format=torch.channels_last)


def model_info(path: str | Path) -> dict:
    """The training information stored with a model file (steps, data, time)."""
    with safe_open(str(path), framework="pt") as handle:
        return json.loads((handle.metadata() or {}).get("info", "{}"))
