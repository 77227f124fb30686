"""What a world model's embedding sees: how far the goal cost moves when one part of the state changes.

The planner can only reach what its cost tells apart. For each of `samples` start states, pictures are
rendered with one thing changed (the agent moved, the object moved, the object turned) and embedded; the
change's distance is the squared embedding distance to the unchanged picture, the planner's goal cost.
Medians over the states, reported relative to moving the object (or, in two rooms, the agent) by 5 cm, so
models with embeddings of any scale compare. A trained JEPA keeps only what helps it predict: on push it
dropped the box's heading (docs/planning.md), which this measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from physlab.control.behaviour import random_state
from physlab.control.model import ActionWorldModel
from physlab.control.spec import Push, TwoRooms
from physlab.control.worlds import make_world
from physlab.model.networks import as_pictures
from physlab.scenes.world import connect, disconnect

SHIFTS_CM = (1, 2, 5, 10, 20)
TURNS_DEG = (5, 10, 20, 45)
REFERENCE_CM = 5


@dataclass(frozen=True)
class Change:
    """One change of the state: `part` ("agent", "object" or "heading") by `amount` (cm or degrees)."""

    part: str
    amount: float

    @property
    def label(self) -> str:
        if self.part == "heading":
            return f"object turned {self.amount:g} deg"
        return f"{self.part} moved {self.amount:g} cm"


def world_changes(world: TwoRooms | Push) -> list[Change]:
    """The changes measured in a world: moves of each body, and turns of the push world's object."""
    changes = [Change("agent", cm) for cm in SHIFTS_CM]
    if world.kind == "push":
        changes += [Change("object", cm) for cm in SHIFTS_CM] + [Change("heading", deg) for deg in TURNS_DEG]
    return changes


def changed_state(state: np.ndarray, change: Change, direction: float) -> np.ndarray:
    """`state` with `change` applied; moves go along the angle `direction` (radians)."""
    out = state.copy()
    if change.part == "heading":
        out[4] += np.radians(change.amount)
        return out
    offset = change.amount / 100 * np.array([np.cos(direction), np.sin(direction)])
    where = slice(0, 2) if change.part == "agent" else slice(2, 4)
    out[where] += offset
    return out


@torch.no_grad()
def embedding_sensitivity(model: ActionWorldModel, world: TwoRooms | Push, samples: int = 16, seed: int = 0) -> list[dict]:
    """Rows {change, median_distance, relative}: each change's median squared embedding distance over `samples`
    random states and its ratio to the reference change (the object, or in two rooms the agent, moved 5 cm).

    States are drawn as the offline data's starts are (`random_state`), so bodies never overlap at the start; a
    move is along a random direction, and a moved body may touch another (rare, and the same for every model
    measured with the same seed).
    """
    rng = np.random.default_rng(seed)
    changes = world_changes(world)
    model.eval()
    client = connect()
    try:
        live = make_world(world, client)
        distances = np.zeros((samples, len(changes)))
        for row in range(samples):
            state = random_state(world, rng)
            directions = rng.uniform(-np.pi, np.pi, len(changes))
            pictures = [_render(live, state)] + [
                _render(live, changed_state(state, change, angle)) for change, angle in zip(changes, directions)
            ]
            embeddings = model.encode(as_pictures(np.stack(pictures)))
            distances[row] = (embeddings[1:] - embeddings[0]).pow(2).sum(-1).numpy()
    finally:
        disconnect(client)
    medians = np.median(distances, axis=0)
    reference_part = "object" if world.kind == "push" else "agent"
    reference = medians[changes.index(Change(reference_part, REFERENCE_CM))]
    return [
        {"change": change.label, "median_distance": float(value), "relative": float(value / max(reference, 1e-12))}
        for change, value in zip(changes, medians)
    ]


def _render(live, state: np.ndarray) -> np.ndarray:
    live.reset(state)
    return live.render()
