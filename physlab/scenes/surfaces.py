"""Dressing bodies in a look's surfaces: colour, procedural texture, and box meshes whose UVs tile in metres.

The tiny renderer multiplies a texture by the body's rgbaColor, so a greyscale pattern takes
the surface's colour. pybullet's GEOM_BOX maps a texture unevenly onto its faces, so a textured
box (floor, wall, screen, crate) is drawn as a mesh with one repeat every `surface.scale`
metres; spheres, cylinders and meshes keep their own UVs. Textures stay loaded across
`resetSimulation`, so each client loads each image once (`forget_client` when it disconnects).
"""

from __future__ import annotations

import numpy as np
import pybullet as p

from physlab.scenes.looks import Surface
from physlab.scenes.textures import texture_file

# (client, texture file) -> pybullet texture id; a resource handle cache, like an open file table.
_LOADED: dict[tuple[int, str], int] = {}

# Each face of a unit box: its outward normal, and the two axes its UVs run along.
_FACES = (
    ((1, 0, 0), 1, 2),
    ((-1, 0, 0), 1, 2),
    ((0, 1, 0), 0, 2),
    ((0, -1, 0), 0, 2),
    ((0, 0, 1), 0, 1),
    ((0, 0, -1), 0, 1),
)


def texture_id(client: int, surface: Surface) -> int:
    """The client's texture id for the surface's pattern, loading the image on first use."""
    path = str(texture_file(surface.texture, surface.variant, surface.contrast))
    key = (client, path)
    if key not in _LOADED:
        _LOADED[key] = p.loadTexture(path, physicsClientId=client)
    return _LOADED[key]


def forget_client(client: int) -> None:
    """Drop a disconnected client's texture ids (a new client may reuse its number)."""
    for key in [key for key in _LOADED if key[0] == client]:
        del _LOADED[key]


def dress_body(client: int, body: int, surface: Surface, color: tuple) -> None:
    """Put the surface's texture on every link of `body`, tinted by `color`."""
    if not surface.texture:
        return
    texture = texture_id(client, surface)
    for link in range(-1, p.getNumJoints(body, physicsClientId=client)):
        p.changeVisualShape(body, link, textureUniqueId=texture, rgbaColor=list(color), physicsClientId=client)


def box_visual(client: int, half_extents: tuple[float, float, float], color: tuple, surface: Surface) -> int:
    """A box-shaped visual mesh whose texture repeats every `surface.scale` metres on every face."""
    vertices, normals, uvs, indices = box_mesh(half_extents, surface.scale)
    return p.createVisualShape(
        p.GEOM_MESH,
        vertices=vertices.tolist(),
        indices=indices.tolist(),
        uvs=uvs.tolist(),
        normals=normals.tolist(),
        rgbaColor=list(color),
        physicsClientId=client,
    )


def box_mesh(half_extents: tuple[float, float, float], repeat: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (24, 3), normals (24, 3), UVs (24, 2) in repeats of `repeat` metres, and triangle indices (36,)."""
    half = np.asarray(half_extents, dtype=float)
    vertices, normals, uvs, indices = [], [], [], []
    for normal, u_axis, v_axis in _FACES:
        axis = int(np.flatnonzero(normal)[0])
        base = len(vertices)
        corners = ((-1, -1), (1, -1), (1, 1), (-1, 1))
        for su, sv in corners:
            point = np.zeros(3)
            point[axis] = normal[axis] * half[axis]
            point[u_axis], point[v_axis] = su * half[u_axis], sv * half[v_axis]
            vertices.append(point)
            normals.append(normal)
            uvs.append((point[u_axis] / repeat, point[v_axis] / repeat))
        # Counter-clockwise seen from outside the box.
        flip = (np.cross(np.eye(3)[u_axis], np.eye(3)[v_axis]) @ np.asarray(normal)) < 0
        quad = (0, 2, 1, 0, 3, 2) if flip else (0, 1, 2, 0, 2, 3)
        indices.extend(base + i for i in quad)
    return np.asarray(vertices), np.asarray(normals, dtype=float), np.asarray(uvs), np.asarray(indices, dtype=int)
