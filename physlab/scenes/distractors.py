"""Distractor motion: something moving in the background, by plain physics, away from the event.

A distractor is a kinematic track computed in closed form or by integrating its one equation
(a ball rolling without slipping, a box sliding to rest under friction, a ball bouncing with a
restitution, a pendulum swinging), so it obeys physics, as training data must, without joining
the event's simulation: it can never touch the event's bodies or change their motion. Both
twins of a pair share it. It runs in a lane behind the event (planned in `physlab/scenes/room.py`),
so it never hides the event.
"""

from __future__ import annotations

import math

import numpy as np

from physlab.scenes.looks import DistractorDraw
from physlab.scenes.spec import ConcreteObject
from physlab.scenes.trajectory import Track

GRAVITY = 9.81
SLIDING_FRICTION = 0.35
RESTITUTION = 0.75
DISTRACTOR = "distractor"
ROD = "distractor_rod"


def distractor_tracks(
    draw: DistractorDraw, lane_y: float, x_limits: tuple[float, float], frames: int, fps: float
) -> dict[str, Track]:
    """The distractor's tracks (a pendulum has a bob and a rod) over `frames` frames at `fps`."""
    times = np.arange(frames) / fps
    color = draw.surface.color or (0.8, 0.8, 0.8, 1.0)
    return KINDS[draw.kind](draw, lane_y, x_limits, times, color)


def _travel_start(draw: DistractorDraw, x_limits: tuple[float, float], travel: float) -> float:
    """Where a body that moves `travel` metres along `draw.direction` starts so it stays within `x_limits`."""
    low, high = x_limits
    room = max(0.0, high - low - travel)
    start = low + draw.along * room
    return start if draw.direction > 0 else high - (start - low)


def _roll(draw: DistractorDraw, lane_y: float, x_limits: tuple[float, float], times: np.ndarray, color: tuple) -> dict:
    radius = draw.size / 2
    speed = min(draw.speed, max(0.0, x_limits[1] - x_limits[0] - draw.size) / max(times[-1], 1e-9))
    x = _travel_start(draw, x_limits, speed * times[-1]) + draw.direction * speed * times
    angle = draw.direction * speed * times / radius  # rolling without slipping along x turns about +y
    orientation = np.stack([np.zeros_like(angle), np.sin(angle / 2), np.zeros_like(angle), np.cos(angle / 2)], axis=1)
    position = np.stack([x, np.full_like(x, lane_y), np.full_like(x, radius)], axis=1)
    return {DISTRACTOR: _track(DISTRACTOR, "sphere", (draw.size,) * 3, position, orientation, color)}


def _slide(draw: DistractorDraw, lane_y: float, x_limits: tuple[float, float], times: np.ndarray, color: tuple) -> dict:
    deceleration = SLIDING_FRICTION * GRAVITY
    stop = draw.speed / deceleration
    moving = np.minimum(times, stop)
    travel = draw.speed * moving - 0.5 * deceleration * moving**2
    x = _travel_start(draw, x_limits, float(travel[-1])) + draw.direction * travel
    position = np.stack([x, np.full_like(x, lane_y), np.full_like(x, draw.size / 2)], axis=1)
    orientation = np.tile([0.0, 0.0, 0.0, 1.0], (len(times), 1))
    return {DISTRACTOR: _track(DISTRACTOR, "box", (draw.size,) * 3, position, orientation, color)}


def _bounce(draw: DistractorDraw, lane_y: float, x_limits: tuple[float, float], times: np.ndarray, color: tuple) -> dict:
    radius = draw.size / 2
    height = radius + 0.25 + 0.5 * draw.phase
    z = _bouncing_heights(height, radius, times)
    x = np.full_like(times, x_limits[0] + draw.along * (x_limits[1] - x_limits[0]))
    position = np.stack([x, np.full_like(x, lane_y), z], axis=1)
    orientation = np.tile([0.0, 0.0, 0.0, 1.0], (len(times), 1))
    return {DISTRACTOR: _track(DISTRACTOR, "sphere", (draw.size,) * 3, position, orientation, color)}


def _bouncing_heights(height: float, radius: float, times: np.ndarray) -> np.ndarray:
    """A ball let go at rest from `height` (its centre), bouncing with RESTITUTION; closed form between impacts."""
    z = np.full_like(times, radius)
    start, velocity, top = 0.0, 0.0, height
    while start <= times[-1] and (velocity > 0.05 or start == 0.0):
        # Flight from `top` (height at `start`) with upward speed `velocity` until it is back at `radius`.
        flight = (velocity + math.sqrt(velocity**2 + 2 * GRAVITY * (top - radius))) / GRAVITY
        inside = (times >= start) & (times < start + flight)
        dt = times[inside] - start
        z[inside] = top + velocity * dt - 0.5 * GRAVITY * dt**2
        impact_speed = math.sqrt(velocity**2 + 2 * GRAVITY * (top - radius))
        start, velocity, top = start + flight, RESTITUTION * impact_speed, radius
    return z


def _swing(draw: DistractorDraw, lane_y: float, x_limits: tuple[float, float], times: np.ndarray, color: tuple) -> dict:
    radius = draw.size / 2
    pivot_height = 1.4
    length = pivot_height - radius - 0.15
    pivot_x = x_limits[0] + 0.3 + draw.along * max(0.0, x_limits[1] - x_limits[0] - 0.6)
    theta = _pendulum_angles(draw.direction * (0.3 + 0.4 * draw.phase), length, times)
    swing = np.stack([np.sin(theta), np.zeros_like(theta), -np.cos(theta)], axis=1)
    pivot = np.array([pivot_x, lane_y, pivot_height])
    # The rod (a cylinder along its z axis) turned by -theta about y lies along the string.
    turn = np.stack([np.zeros_like(theta), np.sin(-theta / 2), np.zeros_like(theta), np.cos(-theta / 2)], axis=1)
    bob = pivot + length * swing
    rod = pivot + 0.5 * length * swing
    return {
        DISTRACTOR: _track(DISTRACTOR, "sphere", (draw.size,) * 3, bob, turn, color),
        ROD: _track(ROD, "cylinder", (0.015, 0.015, length), rod, turn, (0.25, 0.25, 0.25, 1.0)),
    }


def _pendulum_angles(theta0: float, length: float, times: np.ndarray, substeps: int = 10) -> np.ndarray:
    """theta'' = -(g / L) sin(theta), from rest at theta0, by fourth-order Runge-Kutta."""

    def rate(state: np.ndarray) -> np.ndarray:
        return np.array([state[1], -GRAVITY / length * math.sin(state[0])])

    state, angles = np.array([theta0, 0.0]), np.zeros_like(times)
    dt = (times[1] - times[0]) / substeps if len(times) > 1 else 0.0
    for t in range(len(times)):
        angles[t] = state[0]
        for _ in range(substeps):
            k1 = rate(state)
            k2 = rate(state + dt / 2 * k1)
            k3 = rate(state + dt / 2 * k2)
            k4 = rate(state + dt * k3)
            state = state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return angles


def _track(name: str, shape: str, size: tuple, position: np.ndarray, orientation: np.ndarray, color: tuple) -> Track:
    half = np.asarray(size) / 2
    frames = len(position)
    model = ConcreteObject(
        name=name,
        shape=shape,
        size=tuple(float(s) for s in size),
        position=tuple(float(v) for v in position[0]),
        rests_on=None,
        yaw=0.0,
        velocity=(0.0, 0.0, 0.0),
        angular_velocity=(0.0, 0.0, 0.0),
        roll=False,
        mass=1.0,
        static=False,
        color=tuple(float(c) for c in color),
        friction=0.5,
        restitution=RESTITUTION,
        rolling_friction=0.0,
    )
    return Track(
        model=model,
        position=position,
        orientation=orientation,
        joints=np.zeros((frames, 0)),
        visible=np.ones(frames, dtype=bool),
        color=np.tile(np.asarray(color, dtype=float), (frames, 1)),
        bounds=np.stack([position - half.max(), position + half.max()], axis=1),
    )


KINDS = {"roll": _roll, "slide": _slide, "bounce": _bounce, "swing": _swing}
