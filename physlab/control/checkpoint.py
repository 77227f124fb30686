"""Files of action-conditioned world models: safetensors weights, the config and the world in the metadata.

No pickle: a model file from a stranger loads safely. Bundled models live in `physlab/models/` as
`plan_<world>.safetensors` (the JEPA) and `plan_<world>_pixel.safetensors` (the pixel-space baseline).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from physlab.control.model import ActionModelConfig, ActionWorldModel
from physlab.control.spec import Push, TwoRooms
from physlab.errors import PhyslabError
from physlab.files import atomic_path, write_json
from physlab.model.checkpoint import bundled_or_path

METADATA_KEY = "action_config"  # what tells an action model's file from the watching models' files


def bundled_name(world: str, kind: str = "action_jepa") -> str:
    """The bundled model of a world: `plan_two_rooms`, `plan_push_pixel`, ..."""
    return f"plan_{world}" + ("_pixel" if kind == "action_pixel" else "")


def action_model_file(name_or_path: str | Path) -> Path:
    """A bundled name, a run folder (its model.safetensors) or a file."""
    return bundled_or_path(str(name_or_path))


def is_action_model_file(path: str | Path) -> bool:
    """Whether a safetensors file holds an action-conditioned model (so `load_model` hands it here)."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            return METADATA_KEY in (handle.metadata() or {})
    except (SafetensorError, OSError):
        return False


def save_action_model(path: str | Path, model: ActionWorldModel, world: TwoRooms | Push, info: dict | None = None) -> None:
    """Write `path` atomically, with a .json beside it for people to read."""
    path = Path(path)
    metadata = {
        METADATA_KEY: model.config.model_dump_json(),
        "world": world.model_dump_json(exclude={"source"}),
        "info": json.dumps(info or {}),
    }
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(path) as temp:
        save_file(state, str(temp), metadata=metadata)
    write_json(
        path.with_suffix(".json"),
        {"config": model.config.model_dump(), "world": world.model_dump(exclude={"source"}), "info": info or {}},
    )


def load_action_model(name_or_path: str | Path) -> ActionWorldModel:
    """A model file (or bundled name, or run folder) ready for inference; `.world` holds its world's spec."""
    path = action_model_file(name_or_path)
    if not path.exists():
        raise PhyslabError(f"{path}: no such model file")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        config = ActionModelConfig.model_validate_json(metadata[METADATA_KEY])
        recorded = json.loads(metadata["world"])
        world = (TwoRooms if recorded["kind"] == "two_rooms" else Push).model_validate(recorded)
        model = ActionWorldModel(config)
        model.load_state_dict(load_file(str(path)))
    except (SafetensorError, KeyError, ValidationError, RuntimeError, OSError, json.JSONDecodeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PhyslabError(f"{path}: not a readable action-conditioned model ({reason})") from None
    model.world = world
    return model.eval()


def action_model_info(path: str | Path) -> dict:
    """The training information stored with a model file (steps, episodes, seconds)."""
    with safe_open(str(action_model_file(path)), framework="pt") as handle:
        return json.loads((handle.metadata() or {}).get("info", "{}"))
