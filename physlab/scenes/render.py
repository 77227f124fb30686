"""Trajectory to frames and per-object masks with pybullet's tiny renderer, headless."""

from __future__ import annotations

import math

import numpy as np
import pybullet as p

from physlab.scenes.looks import ConcreteLook, vertical_fov
from physlab.scenes.spec import Camera, ConcreteScene
from physlab.scenes.trajectory import Trajectory
from physlab.scenes.world import HIDDEN_POSITION, World, add_body


def camera_matrices(camera: Camera, size: int) -> tuple[list[float], list[float]]:
    """View and projection matrices; yaw 0 looks along +y, pitch is elevation in degrees."""
    view = p.computeViewMatrix(_eye(camera).tolist(), list(camera.target), [0, 0, 1])
    projection = p.computeProjectionMatrixFOV(camera.fov, 1.0, 0.05, 30.0)
    return view, projection


def _eye(camera: Camera, yaw_offset: float = 0.0, distance_factor: float = 1.0) -> np.ndarray:
    yaw, pitch = math.radians(camera.yaw + yaw_offset), math.radians(camera.pitch)
    direction = np.array([math.sin(yaw) * math.cos(pitch), -math.cos(yaw) * math.cos(pitch), math.sin(pitch)])
    return np.asarray(camera.target) + camera.distance * distance_factor * direction


def _motion(look: ConcreteLook | None, t: int, frames: int) -> tuple[float, float]:
    """(yaw offset in degrees, distance factor) of a look's pan and dolly at frame t."""
    if look is None or frames < 2:
        return 0.0, 1.0
    progress = t / (frames - 1)
    return look.camera["pan"] * progress, 1.0 + look.camera["dolly"] * progress


def eye_positions(camera: Camera, look: ConcreteLook | None, frames: int) -> np.ndarray:
    """(frames, 3) where the camera is at each frame."""
    return np.stack([_eye(camera, *_motion(look, t, frames)) for t in range(frames)])


def image_size(scene: ConcreteScene, look: ConcreteLook | None) -> tuple[int, int]:
    """(width, height) of the rendered frames: the look's, or the scene's square size."""
    return (look.width_pixels, look.image_height) if look is not None else (scene.size, scene.size)


def render_trajectory(
    world: World,
    trajectory: Trajectory,
    *,
    start: int = 0,
    base: tuple[np.ndarray, np.ndarray] | None = None,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render every frame from `start` on; earlier frames, and those `keep` (T,) marks, are copied from `base`.

    Returns frames (T, H, W, 3) uint8 and masks (T, H, W) uint8 where k > 0 is the k-th
    track of `trajectory.tracks` and 0 is floor, backdrop, sky or the look's set.
    """
    scene, look = world.scene, world.look
    width, height = image_size(scene, look)
    frames = np.zeros((trajectory.frames, height, width, 3), dtype=np.uint8)
    masks = np.zeros((trajectory.frames, height, width), dtype=np.uint8)
    copied = np.zeros(trajectory.frames, dtype=bool) if keep is None else keep.copy()
    copied[:start] = True
    if copied.any():
        frames[copied], masks[copied] = base[0][copied], base[1][copied]
    names = list(trajectory.tracks)
    for name in names:
        if name not in world.bodies:
            add_body(world, trajectory.tracks[name].model, physical=False)
    # Body ids count up from 0 after a reset; the look's set (walls, clutter) comes after the event's bodies.
    label_of = np.zeros(max(max(world.bodies.values()) + 2, p.getNumBodies(physicsClientId=world.client) + 1), dtype=np.uint8)
    for index, name in enumerate(names, start=1):
        label_of[world.bodies[name] + 1] = index
    lights = light_args(scene, look)
    view, projection = camera_matrices(scene.camera, width) if look is None else _look_matrices(scene.camera, look, 0, 1)
    moving_camera = look is not None and (look.camera["pan"] != 0.0 or look.camera["dolly"] != 0.0)
    # A frame that shows every body as the frame before, through a camera that did not move, is that frame again.
    still = np.zeros(trajectory.frames, dtype=bool) if moving_camera else trajectory.still()
    for t in np.flatnonzero(~copied).tolist():
        if still[t]:
            frames[t], masks[t] = frames[t - 1], masks[t - 1]
            continue
        for name in names:
            _pose_body(world, name, trajectory, t)
        if moving_camera:
            view, projection = _look_matrices(scene.camera, look, t, trajectory.frames)
        _, _, rgba, _, seg = p.getCameraImage(
            width, height, view, projection, renderer=p.ER_TINY_RENDERER, **lights, physicsClientId=world.client
        )
        frames[t] = np.reshape(rgba, (height, width, 4))[:, :, :3]
        masks[t] = label_of[np.reshape(seg, (height, width)) + 1]
    return frames, masks


def _look_matrices(camera: Camera, look: ConcreteLook, t: int, frames: int) -> tuple[list[float], list[float]]:
    """View and projection of a look's camera at frame t: its pan and dolly so far, its aspect (the fov on the shorter side)."""
    eye = _eye(camera, *_motion(look, t, frames))
    view = p.computeViewMatrix(eye.tolist(), list(camera.target), [0, 0, 1])
    aspect = look.width_pixels / look.image_height
    projection = p.computeProjectionMatrixFOV(vertical_fov(camera.fov, aspect), aspect, 0.05, 30.0)
    return view, projection


def _pose_body(world: World, name: str, trajectory: Trajectory, t: int) -> None:
    client, body, track = world.client, world.bodies[name], trajectory.tracks[name]
    if not track.visible[t]:
        p.resetBasePositionAndOrientation(body, HIDDEN_POSITION, track.orientation[t], physicsClientId=client)
        return
    p.resetBasePositionAndOrientation(body, track.position[t], track.orientation[t], physicsClientId=client)
    for joint, angle in zip(world.joints[name], track.joints[t]):
        p.resetJointState(body, joint, angle, physicsClientId=client)
    color = tuple(track.color[t])
    if world.colors[name] != color:
        for link in range(-1, p.getNumJoints(body, physicsClientId=client)):
            p.changeVisualShape(body, link, rgbaColor=color, physicsClientId=client)
        world.colors[name] = color


def light_args(scene: ConcreteScene, look: ConcreteLook | None = None) -> dict:
    """The tiny renderer's lighting arguments for a scene (and the look's light colour).

    The colour is always given: the renderer keeps the last one it was given, so a clip after a
    coloured-light look would otherwise be lit in that colour (white is also its own default).
    """
    light = scene.lighting
    return {
        "lightDirection": light.direction,
        "lightAmbientCoeff": light.ambient,
        "lightDiffuseCoeff": light.diffuse,
        "lightSpecularCoeff": light.specular,
        "shadow": int(light.shadow),
        "lightColor": list(look.light_color) if look is not None and look.light_color is not None else [1.0, 1.0, 1.0],
    }
