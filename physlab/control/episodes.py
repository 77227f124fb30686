"""Episodes and their evaluation: an agent acts from a start towards a goal picture within the step budget.

Tasks (start and goal) are drawn from `evaluation_seed(seed, i)`, a seed stream apart from the training
episodes' (`physlab.data.shards.training_seed`), so no evaluation start or goal is a state the model was
trained on (a known pitfall of published evaluations, which draw them from the training data). An episode
stops when the goal is reached (two rooms: the agent within `success_radius`; push: the object within
`position_tolerance` and `angle_tolerance` of the goal pose) or the budget is spent; its final distance
is measured where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from physlab.control.behaviour import Task, draw_task
from physlab.control.spec import Push, TwoRooms
from physlab.control.worlds import ControlWorld
from physlab.voe.metrics import wilson_interval


class Agent(Protocol):
    name: str
    seconds: list[float]

    def begin(self, goal: np.ndarray, seed: int) -> None: ...

    def act(self, frame: np.ndarray, state: np.ndarray) -> np.ndarray: ...


@dataclass
class Episode:
    """What happened: success, distances where it stopped, steps taken, and the pictures and states."""

    seed: int
    success: bool
    distance: float  # metres: the agent's (two rooms) or the object's (push) from the goal's
    angle: float | None  # degrees off the goal heading, modulo the object's symmetry (push)
    steps: int
    frames: np.ndarray  # (steps + 1, S, S, 3)
    states: np.ndarray  # (steps + 1, K)
    goal_frame: np.ndarray
    goal: np.ndarray
    start_distance: float  # metres from the goal at the start: how far the task asks the agent (or object) to go
    start_angle: float | None  # degrees the start's heading is off the goal's (push)
    seconds: list[float] = field(default_factory=list)  # per decision of the agent

    def row(self) -> dict:
        return {
            "seed": self.seed,
            "success": self.success,
            "start_distance": round(self.start_distance, 4),
            "start_angle_deg": None if self.start_angle is None else round(self.start_angle, 2),
            "final_distance": round(self.distance, 4),
            "final_angle_deg": None if self.angle is None else round(self.angle, 2),
            "steps": self.steps,
        }


def evaluation_seed(seed: int, index: int) -> int:
    """The seed of evaluation task `index`: a stream apart from the training episodes' seeds."""
    return int(np.random.SeedSequence([seed, index, 0xE7A1]).generate_state(1)[0] & 0x7FFFFFFF)


def evaluation_tasks(world: TwoRooms | Push, live: ControlWorld, count: int, seed: int = 0) -> list[Task]:
    """`count` held-out start/goal pairs of a world."""
    return [draw_task(world, live, evaluation_seed(seed, index)) for index in range(count)]


def goal_picture(live: ControlWorld, goal: np.ndarray) -> np.ndarray:
    """The picture (S, S, 3) of the world in its goal state."""
    live.reset(goal)
    return live.render()


def progress_to_goal(world: TwoRooms | Push, state: np.ndarray, goal: np.ndarray) -> tuple[bool, float, float | None]:
    """(reached, distance in metres, heading error in degrees or None) of a state against the goal state."""
    if world.kind == "two_rooms":
        distance = float(np.linalg.norm(state[:2] - goal[:2]))
        return distance < world.task.success_radius, distance, None
    distance = float(np.linalg.norm(state[2:4] - goal[2:4]))
    angle = float(heading_error(state[4] - goal[4], world.symmetry))
    return distance < world.task.position_tolerance and angle < world.task.angle_tolerance, distance, angle


def heading_error(difference: np.ndarray | float, symmetry: int) -> np.ndarray:
    """Headings' difference (radians) -> how far apart they are in degrees, modulo a 1/`symmetry` turn (a box
    turned a quarter is where it was): in [0, 180 / symmetry]."""
    period = 2 * np.pi / symmetry
    turn = np.mod(difference, period)
    return np.degrees(np.minimum(turn, period - turn))


def run_episode(world: TwoRooms | Push, live: ControlWorld, task: Task, agent: Agent, steps: int | None = None) -> Episode:
    """Let `agent` act from the task's start towards its goal picture for at most `steps` env steps (the budget)."""
    budget = steps or world.task.steps
    goal_frame = goal_picture(live, task.goal)
    live.reset(task.start)
    frames, states = [live.render()], [live.state()]
    agent.begin(goal_frame, task.seed)
    decisions_before = len(agent.seconds)
    reached, distance, angle = progress_to_goal(world, states[-1], task.goal)
    start_distance, start_angle = distance, angle
    while not reached and len(frames) - 1 < budget:
        for action in agent.act(frames[-1], states[-1])[: budget - (len(frames) - 1)]:
            live.step(action)
            frames.append(live.render())
            states.append(live.state())
            reached, distance, angle = progress_to_goal(world, states[-1], task.goal)
            if reached:
                break
    return Episode(
        task.seed,
        reached,
        distance,
        angle,
        len(frames) - 1,
        np.stack(frames),
        np.stack(states),
        goal_frame,
        task.goal,
        start_distance,
        start_angle,
        list(agent.seconds[decisions_before:]),
    )


def summarise_episodes(episodes: list[Episode]) -> dict:
    """Success rate with its 95% Wilson interval, seconds per decision, and each episode's row."""
    successes = [episode.success for episode in episodes]
    rate = float(np.mean(successes)) if episodes else 0.0
    seconds = [s for episode in episodes for s in episode.seconds]
    return {
        "success_rate": rate,
        "success_interval": wilson_interval(rate, len(episodes)),
        "episodes": len(episodes),
        "seconds_per_plan": float(np.mean(seconds)) if seconds else None,
        "final_distances": [round(episode.distance, 4) for episode in episodes],
        "per_episode": [episode.row() for episode in episodes],
    }


def episode_video(episode: Episode, path: str | Path, fps: float, scale: int = 4) -> None:
    """An H.264 mp4 of the episode, the goal picture beside every frame, each `scale` times larger."""
    from physlab.data.video import write_mp4

    goal = np.broadcast_to(episode.goal_frame, episode.frames.shape)
    gap = np.full((*episode.frames.shape[:2], 2, 3), 255, np.uint8)
    side_by_side = np.concatenate([episode.frames, gap, goal], axis=2)
    write_mp4(path, side_by_side.repeat(scale, axis=1).repeat(scale, axis=2), fps)
