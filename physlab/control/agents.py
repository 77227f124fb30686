"""Agents that act in a world towards a goal picture: the planner (MPC) and the baselines.

Every agent gets the current picture and returns the next env actions to take: a model step's chunk (or
`replan_every` of them) at a time. `PlanningAgent` plans with a world model and a planner and replans after
each chunk (model-predictive control, its plan shifted to start the next search); `InverseDynamicsAgent`
maps the current and goal embeddings to a chunk with the model's frozen-embedding policy head;
`RandomAgent` wanders as the data's random behaviour does. Each records the seconds each decision took.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from physlab.control.behaviour import random_policy
from physlab.control.cost import Objective
from physlab.control.landmarks import SubgoalGraph
from physlab.control.model import ACTION_DIM, ActionWorldModel
from physlab.control.planners import Plan, PlannerSettings, plan
from physlab.control.spec import Push, TwoRooms
from physlab.model.networks import as_pictures


class PlanningAgent:
    """Model-predictive control: plan `horizon` chunks, take the first `replan_every`, plan again.

    With a `graph` of landmarks and `settings.subgoal_hops`, each plan aims at the landmark that many model
    steps along the shortest way to the goal (physlab/control/landmarks.py), until the goal is that near.
    """

    def __init__(
        self,
        model: ActionWorldModel,
        world: TwoRooms | Push,
        settings: PlannerSettings,
        seed: int = 0,
        graph: SubgoalGraph | None = None,
    ):
        self.model, self.world, self.settings = model.requires_grad_(False), world, settings
        self.name = f"{'pixel' if model.decoder is not None else 'jepa'}_{settings.method}"
        self.seed = seed
        self.graph = graph if settings.subgoal_hops else None
        self.seconds: list[float] = []
        self.last_plan: Plan | None = None
        self.last_objective: Objective | None = None
        self.last_subgoal: torch.Tensor | None = None

    def begin(self, goal: np.ndarray, seed: int) -> None:
        """A new episode towards the goal picture (S, S, 3) uint8."""
        self.goal = goal
        self.generator = torch.Generator().manual_seed(int(np.random.SeedSequence([self.seed, seed]).generate_state(1)[0]))
        self.warm: np.ndarray | None = None
        self.observed: list[np.ndarray] = []
        self.taken: list[np.ndarray] = []
        if self.graph is not None:
            with torch.no_grad():
                self.graph.toward(self.model.encode(_picture(goal))[0])

    def act(self, frame: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The next (replan_every * frame_skip, 2) env actions from the current picture (S, S, 3) uint8."""
        started = time.perf_counter()
        window = self.model.config.history
        self.observed = [*self.observed, frame][-window:]
        past = np.asarray(self.taken[-(len(self.observed) - 1) :]) if len(self.observed) > 1 else None
        objective = Objective(self.model, self.world, np.stack(self.observed), self.goal, past, self.settings.every_step)
        self.last_subgoal = None
        if self.graph is not None:
            self.last_subgoal = self.graph.subgoal(objective.history[0, -1], self.settings.subgoal_hops)
            if self.last_subgoal is not None:
                objective.goal_embedding = self.last_subgoal
        chosen = plan(objective, self.settings, self.model.config.chunk_dim, self.generator, self.warm)
        keep = self.settings.replan_every
        self.warm = np.concatenate([chosen.actions[keep:], np.zeros_like(chosen.actions[:keep])])
        self.taken.extend(chosen.actions[:keep])
        self.seconds.append(time.perf_counter() - started)
        self.last_plan, self.last_objective = chosen, objective
        return chosen.actions[:keep].reshape(-1, ACTION_DIM)


class InverseDynamicsAgent:
    """A goal-conditioned policy on the frozen embeddings: (now, goal) -> the next chunk, no search."""

    name = "inverse_dynamics"

    def __init__(self, model: ActionWorldModel):
        self.model = model.requires_grad_(False)
        self.seconds: list[float] = []

    def begin(self, goal: np.ndarray, seed: int) -> None:
        with torch.no_grad():
            self.goal_embedding = self.model.encode(_picture(goal))

    @torch.no_grad()
    def act(self, frame: np.ndarray, state: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        now = self.model.encode(_picture(frame))
        chunk = self.model.inverse(torch.cat([now, self.goal_embedding], dim=-1))[0].clamp(-1.0, 1.0)
        self.seconds.append(time.perf_counter() - started)
        return chunk.numpy().reshape(-1, ACTION_DIM)


class RandomAgent:
    """The data's random behaviour: a random heading and speed held a few steps, then another."""

    name = "random"

    def __init__(self, world: TwoRooms | Push):
        self.world = world
        self.seconds: list[float] = []

    def begin(self, goal: np.ndarray, seed: int) -> None:
        self.policy = random_policy(self.world, np.random.default_rng([seed, 0x7A2D]))

    def act(self, frame: np.ndarray, state: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        actions = np.stack([self.policy(state) for _ in range(self.world.motion.frame_skip)])
        self.seconds.append(time.perf_counter() - started)
        return actions


def _picture(frame: np.ndarray) -> torch.Tensor:
    return as_pictures(frame)[None]
