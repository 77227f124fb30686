"""Offline behaviour without rewards: random and noisy scripted motion, and how tasks are drawn.

Nothing here knows a goal the data will be judged on: the random behaviour wanders, the scripted one
heads for waypoints (through the door, behind the object and then along a push) with noise. Every
function takes its random generator explicitly, so an episode is a pure function of its seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from physlab.control.spec import Push, TwoRooms
from physlab.control.worlds import ControlWorld

Policy = Callable[[np.ndarray], np.ndarray]  # state -> action (2,) in [-1, 1]
BEHAVIOURS = ("random", "scripted")


@dataclass(frozen=True)
class Task:
    """A start state and a goal state of a world, and the seed that drew them."""

    start: np.ndarray
    goal: np.ndarray
    seed: int


def random_state(spec: TwoRooms | Push, rng: np.random.Generator) -> np.ndarray:
    """A start state anywhere the world allows (data starts); no two bodies overlap."""
    if spec.kind == "two_rooms":
        return _room_point(spec, rng, room=int(rng.integers(2)))
    region = spec.half_size * spec.task.start_region
    thing = np.array([*rng.uniform(-region, region, 2), rng.uniform(-np.pi, np.pi)])
    return np.concatenate([_free_pusher_point(spec, thing[:2], rng), thing])


def random_policy(spec: TwoRooms | Push, rng: np.random.Generator) -> Policy:
    """Wandering: a random heading and speed held for a random number of steps, then another."""
    state = {"left": 0, "action": np.zeros(2)}

    def act(_: np.ndarray) -> np.ndarray:
        if state["left"] <= 0:
            angle, speed = rng.uniform(-np.pi, np.pi), rng.uniform(0.2, 1.0)
            state["action"] = speed * np.array([np.cos(angle), np.sin(angle)])
            state["left"] = int(rng.integers(2, 12))
        state["left"] -= 1
        return np.clip(state["action"] + rng.normal(0, 0.15, 2), -1, 1)

    return act


def scripted_policy(spec: TwoRooms | Push, rng: np.random.Generator) -> Policy:
    """Noisy purposeful motion: to random waypoints (two rooms) or behind the object and along a push (push)."""
    return _room_walker(spec, rng) if spec.kind == "two_rooms" else _pusher(spec, rng)


def behaviour_policy(spec: TwoRooms | Push, behaviour: str, rng: np.random.Generator) -> Policy:
    if behaviour == "random":
        return random_policy(spec, rng)
    return scripted_policy(spec, rng)


def run_policy(world: ControlWorld, policy: Policy, steps: int, render: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply `policy` for `steps` env steps from the world's current state.

    Returns frames (steps + 1, S, S, 3) uint8 (empty when `render` is False), actions (steps, 2) float32 and
    states (steps + 1, state size) float32: frame and state t are before action t.
    """
    frames, actions, states = [], [], []
    for _ in range(steps):
        state = world.state()
        states.append(state)
        if render:
            frames.append(world.render())
        action = policy(state)
        actions.append(action)
        world.step(action)
    states.append(world.state())
    if render:
        frames.append(world.render())
    size = world.image_size
    return (
        np.stack(frames) if frames else np.zeros((0, size, size, 3), np.uint8),
        np.asarray(actions, dtype=np.float32).reshape(steps, 2),
        np.asarray(states, dtype=np.float32),
    )


def draw_task(spec: TwoRooms | Push, world: ControlWorld, seed: int) -> Task:
    """A start and a goal for the planner, a pure function of `seed`.

    Two rooms: the start anywhere in one room, the goal anywhere in the other. Push, as DINO-WM and
    LeWorldModel evaluate Push-T (but on a trajectory of its own seed, never a training one): a noisy scripted
    pushing trajectory from a random state; the start is its state at a step t and the goal its state
    `goal_steps` later, t drawn among those where the object moves at least `min_displacement` in between and
    stays on the table.
    """
    rng = np.random.default_rng([seed, 0x6A7])
    if spec.kind == "two_rooms":
        room = int(rng.integers(2))
        return Task(_room_point(spec, rng, room), _room_point(spec, rng, 1 - room), seed)
    span = spec.task.goal_steps
    if spec.task.start == "behind":
        return _push_task(spec, world, rng, seed)
    for _ in range(100):
        world.reset(random_state(spec, rng))
        _, _, states = run_policy(world, _pusher(spec, rng), 2 * span, render=False)
        states = states.astype(np.float64)
        moved = np.linalg.norm(states[span:, 2:4] - states[:-span, 2:4], axis=1)
        on_table = np.all(np.abs(states[span:, 2:4]) < spec.half_size - spec.object.size / 2, axis=1)
        starts = np.flatnonzero((moved >= spec.task.min_displacement) & on_table)
        if len(starts):
            t = int(starts[rng.integers(len(starts))])
            return Task(states[t], states[t + span], seed)
    raise RuntimeError(f"no push task found for seed {seed}")  # not reached with the bundled world


def _push_task(spec: Push, world: ControlWorld, rng: np.random.Generator, seed: int) -> Task:
    """The object anywhere in the start region, the pusher just behind it; the goal is where a noisy scripted push of
    `goal_steps` from there, towards a random point of the table's middle, leaves both."""
    reach = spec.object.size / 2 + spec.agent.radius
    region = spec.half_size * spec.task.start_region
    for _ in range(100):
        thing = np.array([*rng.uniform(-region, region, 2), rng.uniform(-np.pi, np.pi)])
        aim = rng.uniform(-1, 1, 2) * spec.half_size * 0.6
        towards = aim - thing[:2]
        angle = np.arctan2(towards[1], towards[0]) + rng.normal(0, 0.3)
        direction = np.array([np.cos(angle), np.sin(angle)])
        start = np.concatenate([thing[:2] - direction * (reach + 0.02), thing])
        world.reset(start)
        _, _, states = run_policy(world, _pusher(spec, rng, push=(direction, aim)), spec.task.goal_steps, render=False)
        goal = states[-1].astype(np.float64)
        moved = np.linalg.norm(goal[2:4] - start[2:4])
        if moved >= spec.task.min_displacement and np.all(np.abs(goal[2:4]) < spec.half_size - spec.object.size / 2):
            return Task(start, goal, seed)
    raise RuntimeError(f"no push task found for seed {seed}")  # not reached with the bundled world


def _room_point(spec: TwoRooms, rng: np.random.Generator, room: int) -> np.ndarray:
    """A point in room 0 (x < 0) or 1 (x > 0), clear of the walls."""
    keep = spec.agent.radius + spec.task.clearance
    low, high = keep + spec.wall_thickness / 2, spec.half_size - keep
    x = rng.uniform(low, high) * (1 if room else -1)
    return np.array([x, rng.uniform(-high, high)])


def _free_pusher_point(spec: Push, thing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    clear = spec.object.size * 0.75 + spec.agent.radius + 0.02
    limit = spec.half_size - spec.agent.radius
    while True:
        point = rng.uniform(-limit, limit, 2)
        if np.linalg.norm(point - thing) > clear:
            return point


def _room_walker(spec: TwoRooms, rng: np.random.Generator) -> Policy:
    door = np.array([0.0, spec.door_centre])
    plan: dict = {"waypoints": []}

    def act(state: np.ndarray) -> np.ndarray:
        if not plan["waypoints"]:
            goal = _room_point(spec, rng, int(rng.integers(2)))
            through = np.sign(goal[0]) != np.sign(state[0])
            jitter = np.array([0.0, rng.uniform(-0.3, 0.3) * spec.door_width])
            plan["waypoints"] = [door + jitter + [np.sign(state[0]) * 0.15, 0], door + jitter, goal] if through else [goal]
            plan["speed"] = rng.uniform(0.4, 1.0)
        target = plan["waypoints"][0]
        offset = target - state[:2]
        distance = np.linalg.norm(offset)
        if distance < 0.06:
            plan["waypoints"].pop(0)
        step = spec.motion.max_speed / spec.motion.control_hz
        heading = offset / max(distance, 1e-9) * min(1.0, distance / step)
        return np.clip(plan["speed"] * heading + rng.normal(0, 0.2, 2), -1, 1)

    return act


def _pusher(
    spec: Push, rng: np.random.Generator, first_push_only: bool = False, push: tuple[np.ndarray, np.ndarray] | None = None
) -> Policy:
    """Go behind the object (seen from a random push direction), then push along that direction a while.

    `push` (direction, aim point): start already pushing that way, towards that point, with nothing after.
    """
    plan: dict = {"phase": "choose"}
    if push is not None:
        plan.update(phase="push", direction=push[0], aim=push[1], left=10**6, speed=rng.uniform(0.5, 1.0))
        first_push_only = True
    reach = spec.object.size / 2 + spec.agent.radius

    def act(state: np.ndarray) -> np.ndarray:
        pusher, thing = state[:2], state[2:4]
        if plan["phase"] == "choose" or (plan["phase"] == "push" and plan["left"] <= 0):
            if plan["phase"] == "push" and first_push_only:
                return np.zeros(2)
            # Mostly towards a random point of the table's middle, so the object stays on it; now and then anywhere.
            aim = rng.uniform(-1, 1, 2) * spec.half_size * 0.6
            towards = aim - thing
            angle = np.arctan2(towards[1], towards[0]) + rng.normal(0, 0.3) if rng.random() < 0.9 else rng.uniform(-np.pi, np.pi)
            direction = np.array([np.cos(angle), np.sin(angle)])
            plan.update(phase="approach", direction=direction, aim=aim, left=int(rng.integers(5, 20)))
            plan["speed"] = rng.uniform(0.5, 1.0)
        direction = plan["direction"]
        if plan["phase"] == "approach":
            behind = thing - direction * (reach + 0.03)
            offset = behind - pusher
            # Going around the object: aim beside it while it is between the pusher and the point behind it.
            if np.dot(pusher - thing, direction) > -reach * 0.5 and np.linalg.norm(pusher - thing) < reach * 2.5:
                side = np.array([-direction[1], direction[0]])
                side = side if np.dot(pusher - thing, side) >= 0 else -side
                offset = thing + side * (reach + 0.06) - direction * reach - pusher
            if np.linalg.norm(behind - pusher) < 0.03:
                plan["phase"] = "push"
            step = spec.motion.max_speed / spec.motion.control_hz
            heading = offset / max(np.linalg.norm(offset), 1e-9) * min(1.0, np.linalg.norm(offset) / step)
            return np.clip(heading + rng.normal(0, 0.1, 2), -1, 1)
        plan["left"] -= 1
        if np.dot(plan["aim"] - thing, direction) < 0:  # past the point it was pushing towards
            plan["left"] = 0
        toward = thing - pusher
        aim = 0.7 * direction + 0.3 * toward / max(np.linalg.norm(toward), 1e-9)
        return np.clip(plan["speed"] * aim + rng.normal(0, 0.15, 2), -1, 1)

    return act
