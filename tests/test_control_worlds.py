"""Worlds with actions: their files, and the live pybullet worlds (physlab/control/spec.py, worlds.py, behaviour.py)."""

from pathlib import Path

import numpy as np
import pytest

from physlab.control.behaviour import draw_task, random_state, run_policy, scripted_policy
from physlab.control.checkpoint import action_model_file, bundled_name
from physlab.control.evaluation import load_planning_model
from physlab.control.spec import load_world, world_names
from physlab.control.worlds import make_world
from physlab.errors import PhyslabError


def test_bundled_worlds_load():
    assert {"two_rooms", "push"} <= set(world_names())
    rooms, push = load_world("two_rooms"), load_world("push")
    assert rooms.kind == "two_rooms" and rooms.state_names == ("agent_x", "agent_y")
    assert push.symmetry == 4 and len(push.state_names) == 5


def test_every_bundled_world_has_its_bundled_model():
    tee = load_world("push_t")
    assert tee.object.shape == "tee" and tee.symmetry == 1
    for name in world_names():
        path = action_model_file(bundled_name(name))
        assert path.stat().st_size <= 20 * 2**20
        model = load_planning_model(load_world(name), None)
        assert model.world.name == name and model.config.angle_symmetry == getattr(load_world(name), "symmetry", 0)


def test_a_bad_world_file_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    text = Path(load_world("two_rooms").source).read_text().replace("door_width: 0.45", "door_width: 0.1")
    path.write_text(text)
    with pytest.raises(PhyslabError, match="bad.yaml: .*door_width 0.1 must exceed the agent's diameter"):
        load_world(path)
    path.write_text(text.replace("kind: two_rooms", "kind: maze"))
    with pytest.raises(PhyslabError, match="bad.yaml: field .*kind"):
        load_world(path)
    with pytest.raises(PhyslabError, match="no world named 'nowhere'"):
        load_world("nowhere")


def _episode(world, live, seed):
    rng = np.random.default_rng(seed)
    live.reset(random_state(world, rng))
    return run_policy(live, scripted_policy(world, rng), 12)


@pytest.mark.parametrize("name", ["two_rooms", "push"])
def test_an_episode_is_a_pure_function_of_its_seed(client, name):
    world = load_world(name)
    live = make_world(world, client)
    first, again, other = _episode(world, live, 3), _episode(world, live, 3), _episode(world, live, 4)
    for a, b in zip(first, again):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    frames, actions, states = first
    assert frames.shape == (13, 64, 64, 3) and frames.dtype == np.uint8
    assert actions.shape == (12, 2) and states.shape == (13, len(world.state_names))


def test_the_wall_stops_the_agent_and_the_door_lets_it_through(client):
    world = load_world("two_rooms")
    live = make_world(world, client)
    live.reset(np.array([-0.5, 0.6]))
    for _ in range(15):
        live.step(np.array([1.0, 0.0]))
    blocked = live.state()
    assert blocked[0] == pytest.approx(-world.wall_thickness / 2 - world.agent.radius, abs=0.01)
    live.reset(np.array([-0.5, world.door_centre]))
    for _ in range(10):
        live.step(np.array([1.0, 0.0]))
    assert live.state()[0] == pytest.approx(0.5, abs=0.02)  # 10 steps at 0.1 m a step, through the door
    live.reset(np.array([-0.5, 0.6]))
    live.pass_through_walls()
    for _ in range(15):
        live.step(np.array([1.0, 0.0]))
    assert live.state()[0] > 0.5


def test_the_pusher_pushes_the_object_and_pushes_it_off_the_table(client):
    world = load_world("push")
    live = make_world(world, client)
    live.reset(np.array([-0.2, 0.0, 0.0, 0.0, 0.0]))
    for _ in range(5):
        live.step(np.array([1.0, 0.0]))
    state = live.state()
    assert state[2] > 0.02 and abs(state[3]) < 0.02  # pushed along x
    for _ in range(25):
        live.step(np.array([1.0, 0.0]))
    assert live.object_height() < world.table_height  # off the edge, on the floor


def test_tasks_start_and_end_in_the_places_the_world_says(client):
    rooms, push = load_world("two_rooms"), load_world("push")
    task = draw_task(rooms, make_world(rooms, client), 11)
    assert np.sign(task.start[0]) != np.sign(task.goal[0])  # the goal is in the other room
    live = make_world(push, client)
    task = draw_task(push, live, 11)
    assert np.linalg.norm(task.goal[2:4] - task.start[2:4]) >= push.task.min_displacement
    assert np.array_equal(task.goal, draw_task(push, live, 11).goal)


def test_a_tee_is_built_around_its_centre_of_mass(client):
    import pybullet as p

    push = load_world("push")
    tee = push.model_copy(update={"object": push.object.model_copy(update={"shape": "tee"})})
    live = make_world(tee, client)
    live.reset(np.array([-0.3, 0.0, 0.1, -0.05, 0.0]))
    parts = p.getCollisionShapeData(live.object, -1, physicsClientId=client)
    assert len(parts) == 2  # the bar and the stem
    # pybullet puts the centre of mass at the body's origin; the parts' footprint must balance there
    areas = np.array([part[3][0] * part[3][1] for part in parts])  # dimensions are full extents
    centres = np.array([part[5][:2] for part in parts])
    assert np.allclose((areas[:, None] * centres).sum(0) / areas.sum(), 0.0, atol=1e-6)
    assert live.state()[2:4] == pytest.approx([0.1, -0.05], abs=1e-3)
    assert tee.symmetry == 1 and push.symmetry == 4
