"""The objective: how far a plan's predicted end state is from the goal, plus guardrails it must not cross.

The goal is a picture. For the JEPA the goal cost is the squared distance between the predicted embedding at
the end of the horizon and the goal picture's embedding; for the pixel-space baseline it is the mean squared
error between the decoded prediction and the goal picture. Guardrails (the push world: keep the object and
the pusher on the table) read the predicted positions with the model's probe at every step of the horizon
and grow with the square of how far past the safe line a position goes, times a large weight, so that no
plan that crosses them can beat one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from physlab.control.model import ActionWorldModel, read_positions
from physlab.control.spec import Push, TwoRooms
from physlab.model.networks import as_pictures

GUARDRAIL_WEIGHT = 1000.0


@dataclass
class Energy:
    """Energies of N candidate plans: the total (N,), its goal and guardrail parts, and the predicted embeddings (N, H, E)."""

    total: torch.Tensor
    goal: torch.Tensor
    guardrail: torch.Tensor
    predicted: torch.Tensor


class Objective:
    """The energy of action plans (N, H, A) from the current observation towards a goal picture."""

    def __init__(
        self,
        model: ActionWorldModel,
        world: TwoRooms | Push,
        observed: np.ndarray,
        goal: np.ndarray,
        past_actions: np.ndarray | None = None,
        every_step: bool = False,
    ):
        """`observed` (h, S, S, 3) uint8: the last h pictures a model step apart (h the model's history, or fewer);
        `goal` (S, S, 3) uint8; `past_actions` (h - 1, A) the chunks between the observed pictures. With
        `every_step` the goal cost is the mean over the horizon's predicted states, not the last one alone: a
        plan that gets there sooner costs less, so its first step, the one MPC takes, heads there."""
        self.model, self.world, self.every_step = model, world, every_step
        with torch.no_grad():
            self.history = model.encode(as_pictures(observed))[None]  # (1, h, E)
            goal_picture = as_pictures(goal[None])
            self.goal_embedding = model.encode(goal_picture)[0]
        self.goal_picture = goal_picture[0]
        self.past_actions = (
            torch.as_tensor(past_actions, dtype=torch.float32)[None] if past_actions is not None and len(past_actions) else None
        )

    def __call__(self, actions: torch.Tensor) -> Energy:
        count = actions.shape[0]
        history = self.history.expand(count, -1, -1)
        past = self.past_actions.expand(count, -1, -1) if self.past_actions is not None else None
        predicted = self.model.rollout(history, actions, past)
        goal = self.goal_cost(predicted).mean(-1) if self.every_step else self.goal_cost(predicted[:, -1])
        guardrail = self.guardrail_cost(predicted)
        return Energy(goal + guardrail, goal, guardrail, predicted)

    def goal_cost(self, states: torch.Tensor) -> torch.Tensor:
        """(..., E) predicted embeddings -> (...) distance to the goal (in pixels, for the pixel baseline)."""
        if self.model.decoder is not None:
            lead = states.shape[:-1]
            decoded = self.model.decoder(states.reshape(-1, states.shape[-1]))
            return (decoded - self.goal_picture).pow(2).flatten(1).mean(1).reshape(lead)
        return (states - self.goal_embedding).pow(2).sum(-1)

    def guardrail_cost(self, predicted: torch.Tensor) -> torch.Tensor:
        """(N, H, E) -> (N,): how far, summed over the horizon, the probe puts things past the table's safe edge."""
        if self.world.kind != "push":
            return torch.zeros(predicted.shape[0])
        positions = read_positions(self.model.probe(predicted), self.model.config.angle_symmetry)
        safe = self.world.half_size - self.world.guardrail_margin
        pusher, thing = positions[..., 0:2], positions[..., 2:4]
        over = (pusher.abs() - safe).clamp(min=0).pow(2).sum(-1) + (thing.abs() - (safe - self.world.object.size / 2)).clamp(
            min=0
        ).pow(2).sum(-1)
        return GUARDRAIL_WEIGHT * over.sum(-1)

    def positions(self, predicted: torch.Tensor) -> torch.Tensor:
        """(..., E) embeddings -> (..., K) the probe's reading of the state (for display)."""
        with torch.no_grad():
            return read_positions(self.model.probe(predicted), self.model.config.angle_symmetry)
