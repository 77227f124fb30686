"""Held-out looks: the same events filmed differently, to test a model on stimuli unlike its training data."""

from __future__ import annotations

from typing import Any

from physlab.scenes.spec import Family


def foreign_look(family: Family) -> Family:
    """The same events filmed differently: 30 fps instead of 24, saturated floors, muted walls, wider and
    farther cameras, objects 10% larger."""
    camera = family.camera.model_copy(
        update={"distance": _scaled(family.camera.distance, 1.15), "yaw": (-35.0, 35.0), "fov": (36.0, 52.0)}
    )
    objects = [obj.model_copy(update={"size": _scaled(obj.size, 1.1)}) for obj in family.objects]
    frames = round(family.frames * 30 / family.fps)
    return family.model_copy(
        update={
            "fps": 30.0,
            "frames": frames,
            "floor_color": "random",
            "wall_color": "random_muted",
            "camera": camera,
            "objects": objects,
        }
    )


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, tuple) and len(value) == 3:
        return tuple(_scaled(v, factor) for v in value)
    if isinstance(value, tuple):
        return (value[0] * factor, value[1] * factor)
    if isinstance(value, (int, float)):
        return value * factor
    return value
