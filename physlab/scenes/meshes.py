"""Mesh bodies from pybullet_data: which URDF a shape name loads, and its size, so `size` is in metres.

Shape names are the family schema's meshes (racecar, duck, soccerball, teddy), the looks' extra
meshes (mug, lego, jenga) and `urdf:NNN` for pybullet_data's `random_urdfs/NNN` (1,000 small
objects). A mesh's longest extent is read from its visual OBJ file's vertices and the scale its
URDF gives, without pybullet, so measuring never changes a simulation's bodies.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pybullet_data

MESH_FILES = {
    "racecar": "racecar/racecar.urdf",
    "duck": "duck_vhacd.urdf",
    "soccerball": "soccerball.urdf",
    "teddy": "teddy_vhacd.urdf",
    "mug": "objects/mug.urdf",
    "lego": "lego/lego.urdf",
    "jenga": "jenga/jenga.urdf",
}
# The longest extent of the family schema's meshes at globalScaling=1 (measured by pybullet's bounds).
MESH_EXTENTS = {"racecar": 0.46, "duck": 0.091, "soccerball": 1.0, "teddy": 0.101}
RANDOM_URDFS = 1000
URDF_PREFIX = "urdf:"


def is_mesh(shape: str) -> bool:
    return shape in MESH_FILES or shape.startswith(URDF_PREFIX)


def urdf_file(shape: str) -> str:
    """The URDF (relative to pybullet_data) that a mesh shape name loads."""
    if shape.startswith(URDF_PREFIX):
        number = int(shape.removeprefix(URDF_PREFIX))
        return f"random_urdfs/{number:03d}/{number:03d}.urdf"
    return MESH_FILES[shape]


def urdf_shape(number: int) -> str:
    """The shape name of random_urdfs/NNN."""
    return f"{URDF_PREFIX}{number:03d}"


def mesh_extent(shape: str) -> float:
    """The longest side of the mesh's bounds at globalScaling=1, in metres."""
    if shape in MESH_EXTENTS:
        return MESH_EXTENTS[shape]
    return _visual_extent(urdf_file(shape))


@functools.lru_cache(maxsize=2048)
def _visual_extent(urdf: str) -> float:
    path = Path(pybullet_data.getDataPath()) / urdf
    text = path.read_text()
    visual = text[text.find("<visual") :]
    mesh = re.search(r'<mesh\s+filename="([^"]+)"(?:\s+scale="([^"]+)")?', visual)
    if mesh is None:
        raise ValueError(f"{path}: no visual mesh")
    scale = np.array([float(s) for s in mesh.group(2).split()]) if mesh.group(2) else np.ones(3)
    vertices = [line.split()[1:4] for line in (path.parent / mesh.group(1)).read_text().splitlines() if line.startswith("v ")]
    points = np.asarray(vertices, dtype=float) * scale
    return float(np.max(points.max(axis=0) - points.min(axis=0)))
