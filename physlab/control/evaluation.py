"""How well a world model plans: success on held-out start/goal pairs, beside the baselines.

`evaluate_planning` runs the planner (MPC with the JEPA) and, on the same tasks, the random policy, the
pixel-space world model planning with the same planner, and the inverse-dynamics policy on the frozen
embeddings; it returns one summary per method (success rate with its 95% interval, seconds per plan, each
episode's final distance) and can write an H.264 video of every episode. `physlab plan` and
`benchmarks/bench_planning.py` are thin layers over it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from physlab.control.agents import InverseDynamicsAgent, PlanningAgent, RandomAgent
from physlab.control.checkpoint import action_model_file, bundled_name, load_action_model
from physlab.control.episodes import Agent, episode_video, evaluation_tasks, run_episode, summarise_episodes
from physlab.control.landmarks import Landmarks, SubgoalGraph, landmarks_file
from physlab.control.model import ActionWorldModel
from physlab.control.planners import PlannerSettings
from physlab.control.spec import Push, TwoRooms, load_world
from physlab.control.worlds import connect, disconnect, make_world
from physlab.errors import PhyslabError
from physlab.progress import progress_bar

BASELINES = ("random", "pixel", "inverse_dynamics")
# The pixel planner decodes every candidate's every step to pixels, about ten times the JEPA's work a plan, so it
# runs when asked (`--baselines random,inverse_dynamics,pixel`), not by default.
DEFAULT_BASELINES = ("random", "inverse_dynamics")


def load_planning_model(world: TwoRooms | Push, model: str | Path | None, kind: str = "action_jepa") -> ActionWorldModel:
    """The model a world plans with: a file, run folder or bundled name, or the world's bundled model."""
    loaded = load_action_model(model or bundled_name(world.name, kind))
    if loaded.world.kind != world.kind or loaded.world.name != world.name:
        source = action_model_file(model or bundled_name(world.name, kind))
        raise PhyslabError(f"{source}: was trained in the world {loaded.world.name!r}, not {world.name!r}")
    return loaded


def load_subgoal_graph(model_file: Path) -> SubgoalGraph:
    """The landmarks stored beside a model file, as a graph to search for subgoals."""
    path = landmarks_file(model_file)
    if not path.exists():
        raise PhyslabError(
            f"{path}: no landmarks beside the model, so it cannot plan by subgoals; "
            "make them with `physlab landmarks MODEL --data DATA`, or plan with --subgoal-hops 0"
        )
    return SubgoalGraph(Landmarks.load(path))


def evaluate_planning(
    world_name: str,
    episodes: int,
    *,
    seed: int = 0,
    model: str | Path | None = None,
    pixel_model: str | Path | None = None,
    settings: PlannerSettings | None = None,
    baselines: tuple[str, ...] = DEFAULT_BASELINES,
    video_dir: str | Path | None = None,
    steps: int | None = None,
    progress: bool = True,
    threads: int | None = None,
) -> dict:
    """Plan on `episodes` held-out tasks of a world, and run each baseline on the same tasks.

    Returns {"world", "seed", "step_budget", "planner": settings, "success_rate", "success_interval", "episodes",
    "seconds_per_plan", "final_distances", "per_episode", "baselines": {name: the same}}.
    """
    world = load_world(world_name)
    settings = settings or PlannerSettings()
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise PhyslabError(f"unknown baseline(s) {', '.join(sorted(unknown))}; baselines: {', '.join(BASELINES)}")
    if threads:
        torch.set_num_threads(threads)
    jepa = load_planning_model(world, model)
    graph = load_subgoal_graph(action_model_file(model or bundled_name(world.name))) if settings.subgoal_hops else None
    agents: dict[str, Callable[[], Agent]] = {"planner": lambda: PlanningAgent(jepa, world, settings, seed, graph)}
    if "random" in baselines:
        agents["random"] = lambda: RandomAgent(world)
    if "pixel" in baselines:
        if pixel_model is None and not action_model_file(bundled_name(world.name, "action_pixel")).exists():
            raise PhyslabError(
                f"no bundled pixel-space model for {world.name}: give one with --pixel-model (train it with "
                "`physlab train --data DATA --out RUN --preset plan_pixel`), or leave pixel out of --baselines"
            )
        pixel = load_planning_model(world, pixel_model, "action_pixel")
        agents["pixel"] = lambda: PlanningAgent(pixel, world, settings, seed)
    if "inverse_dynamics" in baselines:
        agents["inverse_dynamics"] = lambda: InverseDynamicsAgent(jepa)
    agents = {"planner": agents["planner"], **{name: agents[name] for name in baselines}}  # in the order asked
    client = connect()
    try:
        live = make_world(world, client)
        tasks = evaluation_tasks(world, live, episodes, seed)
        results = {}
        for name, make in agents.items():
            agent = make()
            runs = []
            for index, task in enumerate(progress_bar(tasks, desc=name, unit="episode", disable=not progress)):
                episode = run_episode(world, live, task, agent, steps)
                runs.append(episode)
                if video_dir is not None:
                    episode_video(episode, Path(video_dir) / f"{world.name}_{name}_{index:03d}.mp4", world.motion.control_hz)
            results[name] = summarise_episodes(runs)
    finally:
        disconnect(client)
    planner = results.pop("planner")
    return {
        "world": world.name,
        "seed": seed,
        "step_budget": steps or world.task.steps,
        "model": str(action_model_file(model or bundled_name(world.name))),
        "planner": settings.model_dump(),
        "landmarks": None if graph is None else {"count": graph.size, "shortcut_radius": round(graph.radius, 4)},
        **planner,
        "baselines": results,
    }


def format_planning(summary: dict) -> str:
    """The table a person reads first: each method's success rate, interval and seconds per plan, and where the
    episodes ended: the median distance from the goal and, where the heading counts (push), the median heading error."""
    from physlab.voe.metrics import interval_text

    headed = any(row["final_angle_deg"] is not None for row in summary["per_episode"])
    lines = [
        f"{'method':18s} {'success':>8s} {'95% interval':>13s} {'s/plan':>8s} {'median distance':>16s}"
        + (f" {'median heading':>15s}" if headed else "")
    ]
    planner = f"jepa_{summary['planner']['method']}"
    for name, result in [(planner, summary), *summary["baselines"].items()]:
        seconds = "-" if result["seconds_per_plan"] is None else f"{result['seconds_per_plan']:.3f}"
        distance = f"{np.median(result['final_distances']):.3f} m" if result["final_distances"] else "-"
        interval = interval_text(result["success_interval"])
        line = f"{name:18s} {result['success_rate']:8.2f} {interval:>13s} {seconds:>8s} {distance:>16s}"
        if headed:
            angles = [row["final_angle_deg"] for row in result["per_episode"] if row["final_angle_deg"] is not None]
            line += f" {np.median(angles):>11.1f} deg" if angles else f" {'-':>15s}"
        lines.append(line)
    return "\n".join(lines)
