"""Planners: search for the action plan of least energy under the world model.

`cem`, the cross-entropy method (as LeWorldModel and DINO-WM plan: sample plans from a Gaussian, keep the
elites, refit, repeat); `gradient`, descent on the plan through the predictor (a few restarts at once, each
action kept in [-1, 1] by a tanh). Both take any energy function of (N, H, A) plans in [-1, 1] and return a
`Plan` with what a person may want to see of the search: the energy of the chosen plan after each
iteration and the candidates of the last one with their energies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from physlab.control.cost import Energy
from physlab.control.model import ACTION_DIM

EnergyFunction = Callable[[torch.Tensor], Energy]


class PlannerSettings(BaseModel):
    """How a planner searches; LeWorldModel's CEM: 300 samples, 30 elites, horizon 5 (with frame-skip 5)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["cem", "grad"] = "cem"
    horizon: int = Field(5, ge=1, description="model steps planned ahead")
    samples: int = Field(300, ge=2, description="CEM: plans drawn per iteration")
    elites: int = Field(30, ge=1, description="CEM: the best plans the next Gaussian is fitted to (default: a tenth of samples)")
    iterations: int = Field(10, ge=1, description="CEM iterations, or gradient steps")
    initial_std: float = Field(1.0, gt=0)
    min_std: float = Field(0.05, ge=0)
    restarts: int = Field(16, ge=1, description="grad: plans descended at once")
    learning_rate: float = Field(0.3, gt=0, description="grad: Adam's step size on the plan's pre-tanh values")
    replan_every: int = Field(1, ge=1, description="model steps executed between plans (MPC)")
    # The goal's distance averaged over the horizon's predicted states, not the last one's alone: with the last alone
    # every plan that gets there in time costs the same, whatever its first step, and MPC takes only that step
    # (held-out success, docs/planning.md: two rooms 1.00 against 0.65, push 0.60 against 0.14).
    every_step: bool = Field(True, description="goal cost averaged over the horizon's states, not the last alone")
    subgoal_hops: int = Field(
        0, ge=0, description="aim at the landmark this many model steps along the way to the goal (0: at the goal itself)"
    )
    # Frame-skip as action repeat: one velocity per model step, held through its frame_skip env steps, so the search
    # is over horizon x 2 numbers (10) instead of horizon x frame_skip x 2 (50), and every plan is the kind of
    # motion the offline data holds (headings held a while), not jitter the model never saw.
    hold: bool = True

    @model_validator(mode="before")
    @classmethod
    def _elites_a_tenth(cls, data: Any) -> Any:
        if isinstance(data, dict) and "samples" in data and "elites" not in data:
            data = {**data, "elites": max(2, int(data["samples"]) // 10)}
        return data


@dataclass
class Plan:
    """A plan (H, A) in [-1, 1], its energy, and a record of the search."""

    actions: np.ndarray
    energy: float
    goal_energy: float
    guardrail_energy: float
    energies: list[float] = field(default_factory=list)  # the chosen plan's energy after each iteration
    candidates: np.ndarray | None = None  # (N, H, A): the last iteration's plans
    candidate_energies: np.ndarray | None = None  # (N,)
    predicted: np.ndarray | None = None  # (N, H, E): their predicted embeddings
    chosen_predicted: np.ndarray | None = None  # (H, E): the chosen plan's


def plan(
    energy: EnergyFunction, settings: PlannerSettings, chunk_dim: int, generator: torch.Generator, warm: np.ndarray | None = None
) -> Plan:
    """The plan (H, chunk_dim) of least energy the chosen method finds, starting from `warm` (H, chunk_dim) if given.

    A model step's action is a chunk of `chunk_dim` numbers: frame_skip velocity commands of 2. With
    `settings.hold` the search is over one velocity per step, repeated through the chunk.
    """
    search = cem if settings.method == "cem" else gradient
    if not settings.hold:
        return search(energy, settings, chunk_dim, generator, warm)
    repeats = chunk_dim // ACTION_DIM
    held_warm = None if warm is None else warm.reshape(len(warm), repeats, ACTION_DIM).mean(axis=1)
    found = search(lambda velocities: energy(_held(velocities, repeats)), settings, ACTION_DIM, generator, held_warm)
    found.actions = _held(torch.from_numpy(found.actions), repeats).numpy()
    found.candidates = _held(torch.from_numpy(found.candidates), repeats).numpy()
    return found


def _held(velocities: torch.Tensor, repeats: int) -> torch.Tensor:
    """(..., H, 2) one velocity per model step -> (..., H, 2 * repeats) chunks that hold it."""
    return velocities.repeat_interleave(repeats, dim=-2).reshape(*velocities.shape[:-1], repeats * ACTION_DIM)


@torch.no_grad()
def cem(
    energy: EnergyFunction, settings: PlannerSettings, action_dim: int, generator: torch.Generator, warm: np.ndarray | None = None
) -> Plan:
    """The cross-entropy method: a Gaussian over plans, refitted to its `elites` best of `samples` draws."""
    shape = (settings.horizon, action_dim)
    mean = torch.as_tensor(warm, dtype=torch.float32) if warm is not None else torch.zeros(shape)
    std = torch.full(shape, settings.initial_std)
    history = []
    best_plan, best_energy = mean.clamp(-1.0, 1.0), float("inf")
    for _ in range(settings.iterations):
        noise = torch.randn((settings.samples, *shape), generator=generator)
        candidates = (mean + std * noise).clamp(-1.0, 1.0)
        candidates[0] = mean.clamp(-1.0, 1.0)  # the current mean competes too, so the plan never gets worse
        scored = energy(candidates)
        best = torch.topk(scored.total, settings.elites, largest=False).indices
        if float(scored.total[best[0]]) < best_energy:
            best_plan, best_energy = candidates[best[0]].clone(), float(scored.total[best[0]])
        elites = candidates[best]
        mean, std = elites.mean(0), elites.std(0).clamp(min=settings.min_std)
        history.append(float(scored.total[best[0]]))
    # The elites' mean can fall between two good plans that part ways (round an obstacle either side); the best
    # plan drawn is kept when the mean is worse than it.
    final = energy(mean.clamp(-1.0, 1.0)[None])
    chosen = mean.clamp(-1.0, 1.0)
    if best_energy < float(final.total[0]):
        chosen = best_plan
        final = energy(chosen[None])
    history.append(float(final.total[0]))
    return Plan(
        chosen.numpy(),
        float(final.total[0]),
        float(final.goal[0]),
        float(final.guardrail[0]),
        history,
        candidates.numpy(),
        scored.total.float().numpy(),
        scored.predicted.float().numpy(),
        final.predicted[0].float().numpy(),
    )


def gradient(
    energy: EnergyFunction, settings: PlannerSettings, action_dim: int, generator: torch.Generator, warm: np.ndarray | None = None
) -> Plan:
    """Gradient descent on `restarts` plans at once through the model (Adam on pre-tanh values); the best wins."""
    shape = (settings.restarts, settings.horizon, action_dim)
    start = torch.randn(shape, generator=generator) * 0.5
    if warm is not None:
        start[0] = torch.atanh(torch.as_tensor(warm, dtype=torch.float32).clamp(-0.95, 0.95))
    raw = start.requires_grad_(True)
    optimizer = torch.optim.Adam([raw], lr=settings.learning_rate)
    history = []
    for _ in range(settings.iterations):
        scored = energy(torch.tanh(raw))
        optimizer.zero_grad()
        scored.total.sum().backward()
        optimizer.step()
        history.append(float(scored.total.detach().min()))
    with torch.no_grad():
        candidates = torch.tanh(raw)
        scored = energy(candidates)
        best = int(scored.total.argmin())
    history.append(float(scored.total[best]))
    return Plan(
        candidates[best].numpy(),
        float(scored.total[best]),
        float(scored.goal[best]),
        float(scored.guardrail[best]),
        history,
        candidates.numpy(),
        scored.total.float().numpy(),
        scored.predicted.float().numpy(),
        scored.predicted[best].float().numpy(),
    )
