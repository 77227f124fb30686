"""An episode a person can step through: one planning decision at a time, with what the planner weighed.

The dashboard's Planning page is a thin view over this. Between steps the episode holds no pybullet
state: each step rebuilds the world from the start and replays the actions taken so far (an episode is a
pure function of its start and actions), so it can live in a Streamlit session across reruns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from physlab.control.agents import PlanningAgent
from physlab.control.behaviour import Task
from physlab.control.episodes import goal_picture, progress_to_goal
from physlab.control.model import ActionWorldModel
from physlab.control.planners import PlannerSettings
from physlab.control.spec import Push, TwoRooms
from physlab.control.worlds import connect, disconnect, make_world


@dataclass
class Decision:
    """One planning decision as a person sees it.

    `paths` are where the probe reads the planned-for thing (two rooms: the agent; push: the object) at each
    model step of each candidate plan, from the current picture on: (N, H + 1, 2) metres; `pusher_paths` the
    same for the pusher (push only). `energies` is the chosen plan's energy after each iteration.
    """

    step: int
    seconds: float
    energy: float
    goal_energy: float
    guardrail_energy: float
    energies: list[float]
    paths: np.ndarray
    pusher_paths: np.ndarray | None
    path_energies: np.ndarray
    chosen_path: np.ndarray
    chosen_pusher_path: np.ndarray | None
    plan: np.ndarray  # (H, A)


@dataclass
class SteppedEpisode:
    """An MPC episode advanced one decision at a time; `frames` and `states` are every env step so far."""

    world: TwoRooms | Push
    model: ActionWorldModel
    task: Task
    settings: PlannerSettings
    frames: list[np.ndarray] = field(default_factory=list)
    states: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    goal_frame: np.ndarray | None = None
    reached: bool = False
    distance: float = float("nan")
    angle: float | None = None

    def __post_init__(self) -> None:
        self.agent = PlanningAgent(self.model, self.world, self.settings)
        client = connect()
        try:
            live = make_world(self.world, client)
            self.goal_frame = goal_picture(live, self.task.goal)
            live.reset(self.task.start)
            self.frames, self.states = [live.render()], [live.state()]
        finally:
            disconnect(client)
        self.agent.begin(self.goal_frame, self.task.seed)
        self.reached, self.distance, self.angle = progress_to_goal(self.world, self.states[-1], self.task.goal)

    @property
    def steps(self) -> int:
        return len(self.actions)

    @property
    def done(self) -> bool:
        return self.reached or self.steps >= self.world.task.steps

    def step(self) -> Decision | None:
        """Plan from the current picture, take the plan's first chunk; None when the episode is over."""
        if self.done:
            return None
        chunk = self.agent.act(self.frames[-1], self.states[-1])[: self.world.task.steps - self.steps]
        decision = self._describe(self.steps)
        client = connect()
        try:
            live = make_world(self.world, client)
            live.reset(self.task.start)
            for action in self.actions:
                live.step(action)
            for action in chunk:
                live.step(action)
                self.actions.append(np.asarray(action))
                self.frames.append(live.render())
                self.states.append(live.state())
                self.reached, self.distance, self.angle = progress_to_goal(self.world, self.states[-1], self.task.goal)
                if self.reached:
                    break
        finally:
            disconnect(client)
        self.decisions.append(decision)
        return decision

    def run(self, decisions: int | None = None) -> None:
        """Take decisions until the episode ends (or `decisions` of them)."""
        taken = 0
        while not self.done and (decisions is None or taken < decisions):
            self.step()
            taken += 1

    def energy_landscape(self, grid: int = 21) -> tuple[np.ndarray, np.ndarray]:
        """The latest decision's energy over the first chunk's velocity (vx, vy), held through the chunk, the rest of
        the chosen plan kept: the axis values (grid,) and energies (grid, grid) indexed [vy, vx]."""
        plan, objective = self.agent.last_plan, self.agent.last_objective
        if plan is None or objective is None:
            raise ValueError("no decision yet")
        values = np.linspace(-1.0, 1.0, grid)
        vx, vy = np.meshgrid(values, values)
        plans = np.repeat(plan.actions[None], grid * grid, axis=0)
        plans[:, 0] = np.tile(np.stack([vx.ravel(), vy.ravel()], axis=1), self.world.motion.frame_skip)
        with torch.no_grad():
            energy = objective(torch.from_numpy(plans).float()).total.numpy()
        return values, energy.reshape(grid, grid)

    def _describe(self, step: int) -> Decision:
        plan, objective = self.agent.last_plan, self.agent.last_objective
        now = objective.history[:, -1:].expand(plan.predicted.shape[0], -1, -1)
        readings = objective.positions(torch.cat([now, torch.from_numpy(plan.predicted)], dim=1)).numpy()
        chosen = objective.positions(torch.cat([objective.history[0, -1:], torch.from_numpy(plan.chosen_predicted)])).numpy()
        thing = slice(0, 2) if self.world.kind == "two_rooms" else slice(2, 4)
        pusher = self.world.kind == "push"
        return Decision(
            step=step,
            seconds=self.agent.seconds[-1],
            energy=plan.energy,
            goal_energy=plan.goal_energy,
            guardrail_energy=plan.guardrail_energy,
            energies=plan.energies,
            paths=readings[..., thing],
            pusher_paths=readings[..., 0:2] if pusher else None,
            path_energies=plan.candidate_energies,
            chosen_path=chosen[..., thing],
            chosen_pusher_path=chosen[..., 0:2] if pusher else None,
            plan=plan.actions,
        )
