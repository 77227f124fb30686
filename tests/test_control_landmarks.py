"""Planning by subgoals over the offline data's landmarks (physlab/control/landmarks.py), and what makes MPC head
straight for a goal: the goal cost over the whole horizon, CEM keeping its best plan (cost.py, planners.py)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from control_fixtures import episode_data, rooms_data, tiny_push_model, tiny_rooms_model  # noqa: F401

from physlab.control.checkpoint import load_action_model
from physlab.control.cost import Energy, Objective
from physlab.control.evaluation import load_subgoal_graph
from physlab.control.landmarks import Landmarks, SubgoalGraph, landmarks_file
from physlab.control.planners import PlannerSettings, cem
from physlab.control.spec import load_world
from physlab.errors import PhyslabError


def _u_shaped_walk() -> Landmarks:
    """Two episodes walking a U in a 2-D embedding space: down the left arm, across the bottom, up the right arm.

    The arms' tops are 0.6 apart, nearer than the way round (2.6): a wall between them, as in two rooms."""
    left = np.stack([np.full(11, -0.3), np.linspace(1.0, 0.0, 11)], axis=1)
    bottom = np.stack([np.linspace(-0.2, 0.2, 5), np.zeros(5)], axis=1)
    right = np.stack([np.full(11, 0.3), np.linspace(0.0, 1.0, 11)], axis=1)
    walk = np.concatenate([left, bottom, right]).astype(np.float32)
    embeddings = np.concatenate([walk, walk[::-1] + 0.01])
    episode = np.repeat(np.arange(2, dtype=np.int32), len(walk))
    return Landmarks(embeddings, episode)


def test_the_way_to_the_goal_goes_round_the_wall_not_through_it():
    graph = SubgoalGraph(_u_shaped_walk())
    graph.toward(torch.tensor([0.3, 1.0]))  # the right arm's top
    subgoal = graph.subgoal(torch.tensor([-0.3, 1.0]), hops=3)  # from the left arm's top
    assert subgoal is not None and subgoal[0] < 0 and subgoal[1] < 0.8  # down the left arm, not across
    assert graph.subgoal(torch.tensor([0.3, 0.85]), hops=3) is None  # the goal is near: aim at it


def test_landmarks_round_trip_without_pickle_and_a_bad_file_is_one_error(tmp_path):
    landmarks = _u_shaped_walk()
    path = tmp_path / "model.landmarks.npz"
    landmarks.save(path)
    again = Landmarks.load(path)
    assert np.array_equal(again.embeddings, landmarks.embeddings) and np.array_equal(again.episode, landmarks.episode)
    bad = tmp_path / "bad.landmarks.npz"
    bad.write_bytes(b"not numpy")
    with pytest.raises(PhyslabError, match="bad.landmarks.npz"):
        Landmarks.load(bad)


def test_training_writes_landmarks_and_the_command_remakes_them(tiny_rooms_model, rooms_data, episode_data):  # noqa: F811
    path = landmarks_file(tiny_rooms_model)
    assert path.name == "model.landmarks.npz" and path.exists()
    model = load_action_model(tiny_rooms_model)
    stored = Landmarks.load(path)
    assert stored.embeddings.shape == (4 * (12 // 5 + 1), model.config.embedding_size)  # every model step of 4 episodes
    assert load_subgoal_graph(tiny_rooms_model).size == len(stored.embeddings)
    path.unlink()
    command = [sys.executable, "-m", "physlab", "landmarks", str(tiny_rooms_model), "--data", str(rooms_data)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0 and path.exists(), done.stderr
    wrong = subprocess.run(command[:-1] + [str(episode_data)], capture_output=True, text=True)
    assert wrong.returncode != 0 and "push" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_model_without_landmarks_cannot_plan_by_subgoals(tiny_rooms_model, tmp_path):  # noqa: F811
    bare = tmp_path / "bare.safetensors"
    bare.write_bytes(tiny_rooms_model.read_bytes())
    with pytest.raises(PhyslabError, match="bare.landmarks.npz"):
        load_subgoal_graph(bare)


def test_plans_are_judged_over_the_whole_horizon_unless_asked_otherwise():
    assert PlannerSettings().every_step and PlannerSettings().subgoal_hops == 0


def test_the_goal_cost_over_the_horizon_is_the_mean_of_each_step(tiny_push_model):  # noqa: F811
    model = load_action_model(tiny_push_model)
    rng = np.random.default_rng(0)
    now, goal = rng.integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    actions = torch.from_numpy(rng.uniform(-1, 1, (3, 4, model.config.chunk_dim))).float()
    with torch.no_grad():
        final = Objective(model, load_world("push"), now[None], goal)(actions)
        every = Objective(model, load_world("push"), now[None], goal, every_step=True)(actions)
        per_step = Objective(model, load_world("push"), now[None], goal).goal_cost(every.predicted)
    assert torch.allclose(final.goal, per_step[:, -1]) and torch.allclose(every.goal, per_step.mean(1))


def test_cem_keeps_its_best_plan_when_the_elites_mean_falls_between_two():
    """Two equally good plans, +0.8 and -0.8: their mean, 0, is the worst; CEM must not return it."""

    def two_ways(actions: torch.Tensor) -> Energy:
        nearest = torch.minimum((actions - 0.8).pow(2), (actions + 0.8).pow(2))
        total = (nearest + 5.0 * (actions.abs() < 0.3).float()).flatten(1).sum(1)
        return Energy(total, total, torch.zeros_like(total), actions)

    settings = PlannerSettings(horizon=1, iterations=2, samples=40, elites=20, initial_std=1.0)
    found = cem(two_ways, settings, 1, torch.Generator().manual_seed(0))
    assert abs(abs(float(found.actions[0, 0])) - 0.8) < 0.3
    assert found.energy == pytest.approx(found.energies[-1]) and found.energy <= min(found.energies[:-1]) + 1e-6


def test_physlab_plan_takes_subgoals_and_the_goal_cost(tiny_rooms_model, tmp_path):  # noqa: F811
    out = tmp_path / "plan.json"
    command = [sys.executable, "-m", "physlab", "plan", "--world", "two_rooms", "--episodes", "1", "--model"]
    command += [str(tiny_rooms_model), "--baselines", "none", "--steps", "10", "--horizon", "3", "--subgoal-hops", "2"]
    done = subprocess.run([*command, "--goal-cost", "final", "--json", str(out), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads(out.read_text())
    assert summary["planner"]["subgoal_hops"] == 2 and summary["planner"]["every_step"] is False
    assert summary["planner"]["horizon"] == 3
    assert summary["landmarks"]["count"] == 4 * 3


def test_the_pixel_baseline_without_a_model_is_one_clear_error(tiny_push_model, tmp_path, monkeypatch):  # noqa: F811
    from physlab.control.evaluation import evaluate_planning
    from physlab.model import checkpoint

    monkeypatch.setattr(checkpoint, "BUNDLED_DIR", tmp_path)  # a checkout without bundled pixel models
    with pytest.raises(PhyslabError, match="--pixel-model"):
        evaluate_planning("push", 1, model=tiny_push_model, baselines=("pixel",), progress=False)


def test_an_action_run_resumes_from_its_folder_alone(rooms_data, tmp_path):  # noqa: F811
    out = tmp_path / "run"
    first = [sys.executable, "-m", "physlab", "train", "--data", str(rooms_data), "--out", str(out), "--preset"]
    done = subprocess.run([*first, "plan_tiny", "--steps", "6", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = [sys.executable, "-m", "physlab", "train", "--out", str(out), "--resume", "--preset", "plan_tiny"]
    done = subprocess.run([*again, "--steps", "8", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads((out / "model.json").read_text())["info"]["step"] == 8
    # Without --preset the run's own config goes on (it once fell back to the world's preset and refused).
    alone = [sys.executable, "-m", "physlab", "train", "--out", str(out), "--resume", "--steps", "10", "--quiet"]
    done = subprocess.run(alone, capture_output=True, text=True)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert f"resuming {out} at step 8 of 10 (its recorded config; data {rooms_data})" in done.stdout
    assert json.loads((out / "model.json").read_text())["info"]["step"] == 10
