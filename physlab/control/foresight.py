"""How well a world model predicts, read in the world's own units: open-loop error of the predicted state.

From each start picture of held-out episodes the model rolls `horizon` model steps ahead under the actions
that were taken; the probe reads the predicted embedding, and its reading is compared with the true state.
Beside it, two references on the same moments: the probe reading the real picture at that step (what the
embedding lets the probe see at all) and the start state copied forward (a model that predicts nothing).
Prediction error near the real picture's means the predictor is not what holds planning back; near the copy's
means it is. Only moments where the object moved are counted (push: more than 3 cm over the horizon), since
a still object is predicted by copying.
"""

from __future__ import annotations

import numpy as np
import torch

from physlab.control.data import Episodes
from physlab.control.episodes import heading_error
from physlab.control.model import ActionWorldModel, chunk_actions, read_positions
from physlab.model.networks import as_pictures

MOVED_M = 0.03


@torch.no_grad()
def open_loop_error(model: ActionWorldModel, episodes: Episodes, horizon: int = 5, every: int = 3) -> dict:
    """Median errors over moments `every` model steps apart in `episodes` (frames (N, T+1, S, S, 3) uint8):
    {"moments", "object_m": {"predicted", "read", "copied"}, and for worlds with a heading "heading_deg" alike}.

    Positions in metres (the object's, or in two rooms the agent's), headings in degrees modulo the object's
    symmetry. Raises ValueError if the episodes are shorter than `horizon` model steps.
    """
    config = model.eval().config
    skip, symmetry = config.frame_skip, config.angle_symmetry
    frames = as_pictures(episodes.frames[:, ::skip])
    states = episodes.states[:, ::skip]
    actions = chunk_actions(torch.from_numpy(episodes.actions), skip)
    if frames.shape[1] <= horizon:
        raise ValueError(f"episodes of {frames.shape[1]} pictures a model step apart; the horizon needs {horizon + 1}")
    embeddings = model.encode(frames)
    where = slice(2, 4) if episodes.world.kind == "push" else slice(0, 2)
    errors: dict[str, list[np.ndarray]] = {
        key: [] for key in ("predicted", "read", "copied", "h_predicted", "h_read", "h_copied")
    }
    for start in range(0, frames.shape[1] - horizon, every):
        predicted = model.rollout(embeddings[:, start : start + 1], actions[:, start : start + horizon])[:, -1]
        readings = {
            "predicted": read_positions(model.probe(predicted), symmetry).numpy(),
            "read": read_positions(model.probe(embeddings[:, start + horizon]), symmetry).numpy(),
            "copied": states[:, start],
        }
        truth = states[:, start + horizon]
        moved = np.linalg.norm(truth[:, where] - states[:, start, where], axis=1) > MOVED_M
        for name, reading in readings.items():
            errors[name].append(np.linalg.norm(reading[:, where] - truth[:, where], axis=1)[moved])
            if symmetry:
                errors["h_" + name].append(heading_error(reading[:, -1] - truth[:, -1], symmetry)[moved])
    count = int(sum(len(part) for part in errors["predicted"]))
    summary: dict = {"moments": count, "horizon": horizon, "object_m": _medians(errors, "")}
    if symmetry:
        summary["heading_deg"] = _medians(errors, "h_")
    return summary


def _medians(errors: dict[str, list[np.ndarray]], prefix: str) -> dict[str, float]:
    out = {}
    for name in ("predicted", "read", "copied"):
        values = np.concatenate(errors[prefix + name]) if errors[prefix + name] else np.zeros(0)
        out[name] = round(float(np.median(values)), 4) if values.size else float("nan")
    return out
