"""Planning: the cost, the planners, agents and episodes, `physlab plan` (physlab/control/cost.py, planners.py,
agents.py, episodes.py, evaluation.py, stepper.py)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from control_fixtures import episode_data, rooms_data, tiny_pixel_model, tiny_push_model, tiny_rooms_model  # noqa: F401

from physlab.control.agents import InverseDynamicsAgent, PlanningAgent, RandomAgent
from physlab.control.behaviour import Task
from physlab.control.checkpoint import load_action_model
from physlab.control.cost import Energy, Objective
from physlab.control.episodes import evaluation_seed, evaluation_tasks, progress_to_goal, run_episode, summarise_episodes
from physlab.control.evaluation import evaluate_planning, format_planning
from physlab.control.model import ActionWorldModel
from physlab.control.planners import PlannerSettings, plan
from physlab.control.spec import load_world
from physlab.control.stepper import SteppedEpisode
from physlab.control.train import ACTION_PRESETS, model_config_for
from physlab.control.worlds import make_world
from physlab.data.shards import training_seed


def _bowl(target: torch.Tensor):
    """An energy whose least plan is `target` (H, A): the planners must find it."""

    def energy(actions: torch.Tensor) -> Energy:
        total = (actions - target).pow(2).flatten(1).sum(1)
        return Energy(total, total, torch.zeros_like(total), actions)

    return energy


@pytest.mark.parametrize("method", ["cem", "grad"])
def test_the_planners_find_the_least_energy(method):
    target = torch.tensor([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]])
    settings = PlannerSettings(method=method, horizon=3, iterations=40 if method == "grad" else 15, samples=200, elites=20)
    found = plan(_bowl(target), settings, 2, torch.Generator().manual_seed(0))
    assert np.abs(found.actions - target.numpy()).max() < 0.08
    assert found.energies[-1] <= found.energies[0] and found.energy == pytest.approx(found.energies[-1], abs=1e-5)
    assert found.candidates.shape[1:] == (3, 2) and len(found.candidate_energies) == len(found.candidates)


def test_cem_keeps_plans_inside_the_action_bounds():
    found = plan(_bowl(torch.full((2, 2), 3.0)), PlannerSettings(horizon=2, iterations=5), 2, torch.Generator().manual_seed(1))
    assert found.actions.max() <= 1.0 and np.abs(found.candidates).max() <= 1.0


def test_the_goal_cost_is_zero_at_the_goal_and_guardrails_fire_off_the_table(tiny_push_model):  # noqa: F811
    model = load_action_model(tiny_push_model)
    world = load_world("push")
    picture = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    objective = Objective(model, world, picture[None], picture)
    assert objective.goal_cost(objective.history[:, -1])[0] == pytest.approx(0.0, abs=1e-6)
    far = torch.zeros(1, 2, model.config.embedding_size)
    with torch.no_grad():
        model.probe[-1].bias.copy_(torch.tensor([0.0, 0.0, 2.0, 0.0, 1.0, 0.0]))  # the probe reads the object 2 m out
        model.probe[-1].weight.zero_()
    assert objective.guardrail_cost(far)[0] > 1000


def test_an_agent_with_history_plans_from_its_last_pictures_and_the_chunks_taken_between():
    world = load_world("push")
    torch.manual_seed(0)
    model = ActionWorldModel(model_config_for(world, {**ACTION_PRESETS["plan_tiny"]["model"], "history": 3})).eval()
    agent = PlanningAgent(model, world, PlannerSettings(horizon=2, iterations=1, samples=8))
    rng = np.random.default_rng(0)
    agent.begin(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), 0)
    for decision in range(4):
        before = list(agent.taken)
        actions = agent.act(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), np.zeros(5))
        assert actions.shape == (world.motion.frame_skip, 2)
        seen = min(decision + 1, 3)
        objective = agent.last_objective
        assert objective.history.shape[1] == seen
        if seen == 1:
            assert objective.past_actions is None
        else:  # the chunks between the pictures seen, the latest last
            assert objective.past_actions.shape[1] == seen - 1
            assert np.allclose(objective.past_actions[0].numpy(), np.stack(before[-(seen - 1) :]))


def test_success_is_measured_as_the_world_says():
    rooms, push = load_world("two_rooms"), load_world("push")
    assert progress_to_goal(rooms, np.array([0.5, 0.1]), np.array([0.5, 0.0]))[0]
    assert not progress_to_goal(rooms, np.array([0.5, 0.3]), np.array([0.5, 0.0]))[0]
    goal = np.array([0, 0, 0.1, 0.1, 0.0])
    assert progress_to_goal(push, np.array([0.3, 0.3, 0.11, 0.1, np.pi / 2 + 0.1]), goal)[
        0
    ]  # a quarter turn is no turn for a box
    reached, distance, angle = progress_to_goal(push, np.array([0, 0, 0.1, 0.1, 0.6]), goal)
    assert not reached and distance == pytest.approx(0.0) and angle == pytest.approx(np.degrees(0.6))


def test_evaluation_tasks_come_from_their_own_seed_stream(client):
    seeds = {evaluation_seed(0, i) for i in range(200)}
    assert not seeds & {training_seed(0, i) for i in range(5000)}
    world = load_world("two_rooms")
    first = evaluation_tasks(world, make_world(world, client), 3, seed=0)
    assert [t.seed for t in first] == [evaluation_seed(0, i) for i in range(3)]


class _Straight:
    """An agent that knows the goal state (for testing episodes): it heads straight for it."""

    name = "oracle"

    def __init__(self, world, goal):
        self.world, self.goal, self.seconds = world, goal, []

    def begin(self, goal, seed):
        pass

    def act(self, frame, state):
        self.seconds.append(0.0)
        step = self.world.motion.max_speed / self.world.motion.control_hz
        return np.tile(np.clip((self.goal[:2] - state[:2]) / step, -1, 1), (5, 1))


def test_an_episode_stops_when_the_goal_is_reached(client):
    world = load_world("two_rooms")
    live = make_world(world, client)
    task = Task(np.array([0.3, 0.5]), np.array([0.7, 0.2]), 0)
    episode = run_episode(world, live, task, _Straight(world, task.goal))
    assert episode.success and episode.steps < 10 and episode.distance < world.task.success_radius
    assert episode.frames.shape == (episode.steps + 1, 64, 64, 3)
    blocked = run_episode(
        world, live, Task(np.array([0.5, 0.6]), np.array([-0.5, 0.6]), 1), _Straight(world, np.array([-0.5, 0.6])), steps=20
    )
    assert not blocked.success and blocked.steps == 20  # straight at the wall, never through the door
    summary = summarise_episodes([episode, blocked])
    assert summary["success_rate"] == 0.5 and summary["episodes"] == 2 and len(summary["final_distances"]) == 2
    assert 0.0 < summary["success_interval"][0] < 0.5 < summary["success_interval"][1] < 1.0


def test_every_agent_acts_a_chunk_at_a_time(client, tiny_rooms_model):  # noqa: F811
    world = load_world("two_rooms")
    model = load_action_model(tiny_rooms_model)
    live = make_world(world, client)
    picture = live.render()
    for agent in (
        PlanningAgent(model, world, PlannerSettings(iterations=2, samples=20, elites=4)),
        InverseDynamicsAgent(model),
        RandomAgent(world),
    ):
        agent.begin(picture, 0)
        actions = agent.act(picture, np.zeros(2))
        assert actions.shape == (5, 2) and np.abs(actions).max() <= 1.0 and len(agent.seconds) == 1


def test_physlab_plan_writes_the_summary_and_videos(tiny_rooms_model, tiny_pixel_model, tmp_path):  # noqa: F811
    out, videos = tmp_path / "plan.json", tmp_path / "videos"
    command = [
        sys.executable, "-m", "physlab", "plan", "--world", "two_rooms", "--episodes", "2", "--seed", "3",
        "--model", str(tiny_rooms_model), "--pixel-model", str(tiny_pixel_model), "--iterations", "2", "--steps", "10",
        "--samples", "40", "--baselines", "random,inverse_dynamics,pixel",
        "--json", str(out), "--video", str(videos), "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(out.read_text())
    assert summary["episodes"] == 2 and 0 <= summary["success_rate"] <= 1 and summary["seconds_per_plan"] > 0
    assert len(summary["final_distances"]) == 2 and summary["step_budget"] == 10
    assert set(summary["baselines"]) == {"random", "pixel", "inverse_dynamics"}
    assert all(len(b["final_distances"]) == 2 for b in summary["baselines"].values())
    assert summary["planner"]["samples"] == 40 and summary["planner"]["elites"] == 4 and summary["planner"]["iterations"] == 2
    assert len(list(videos.glob("*.mp4"))) == 8
    assert "jepa_cem" in result.stdout and "inverse_dynamics" in result.stdout


def test_plan_refuses_a_model_of_another_world(tiny_push_model):  # noqa: F811
    result = subprocess.run(
        [sys.executable, "-m", "physlab", "plan", "--world", "two_rooms", "--model", str(tiny_push_model), "--episodes", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and "was trained in the world 'push', not 'two_rooms'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_evaluate_planning_runs_the_baselines_on_the_same_tasks(tiny_push_model):  # noqa: F811
    summary = evaluate_planning(
        "push",
        1,
        model=tiny_push_model,
        settings=PlannerSettings(method="grad", iterations=2, restarts=4),
        baselines=("random",),
        steps=5,
        progress=False,
    )
    assert summary["per_episode"][0]["seed"] == summary["baselines"]["random"]["per_episode"][0]["seed"]
    assert summary["per_episode"][0]["final_angle_deg"] is not None
    assert summary["per_episode"][0]["start_distance"] > 0 and summary["per_episode"][0]["start_angle_deg"] is not None
    table = format_planning(summary)
    assert "jepa_grad" in table and "median heading" in table and table.splitlines()[1].endswith(" deg")
    rooms = {**summary, "per_episode": [{**summary["per_episode"][0], "final_angle_deg": None}], "baselines": {}}
    assert "heading" not in format_planning(rooms)  # two rooms: only a position counts


def test_a_stepped_episode_shows_what_the_planner_weighed(tiny_push_model, client):  # noqa: F811
    world = load_world("push")
    model = load_action_model(tiny_push_model)
    task = evaluation_tasks(world, make_world(world, client), 1, seed=5)[0]
    episode = SteppedEpisode(world, model, task, PlannerSettings(iterations=2, samples=30, elites=5))
    decision = episode.step()
    assert episode.steps == 5 and len(episode.frames) == 6 and len(episode.decisions) == 1
    assert (
        decision.paths.shape == (30, 6, 2) and decision.pusher_paths.shape == (30, 6, 2) and decision.chosen_path.shape == (6, 2)
    )
    values, energy = episode.energy_landscape(grid=5)
    assert values.shape == (5,) and energy.shape == (5, 5) and np.isfinite(energy).all()
    # Replaying from the start gives the same world as stepping on: the states match a straight run of the same actions.
    live = make_world(world, client)
    live.reset(task.start)
    for action in episode.actions:
        live.step(action)
    assert np.allclose(live.state(), episode.states[-1])
