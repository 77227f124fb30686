"""Subgoals from experience: a graph over the offline data's embeddings, searched for a way to the goal.

A goal-embedding distance is greedy: in the two-rooms world the agent nearest the goal in the picture is
often against the wall on the wrong side of it, and CEM, however long its horizon, settles there. After
Search on the Replay Buffer (Eysenbach, Salakhutdinov and Levine, NeurIPS 2019), the agent plans over what
it has seen instead. Landmarks are embeddings of pictures a model step apart in the offline episodes
(random and scripted behaviour, no rewards, no positions); edges join pictures one model step apart in an
episode, and any two landmarks whose embeddings are nearer than the `shortcut_quantile` of those one-step
distances (so a shortcut is shorter than a typical step). At each decision the agent takes the shortest path
(in model steps) from the landmark nearest its picture to the one nearest the goal picture and gives the
planner the landmark `hops` steps along it as the goal, until the goal itself is that near.

Stored beside the model as `<model>.landmarks.npz` (numpy arrays only, read without pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from physlab.control.checkpoint import action_model_file, load_action_model
from physlab.control.data import Episodes, data_world, load_episodes
from physlab.control.model import ActionWorldModel
from physlab.errors import PhyslabError
from physlab.files import atomic_path
from physlab.model.networks import as_pictures

SUFFIX = ".landmarks.npz"


@dataclass(frozen=True)
class Landmarks:
    """Embeddings (M, E) float32 of pictures a model step apart, and each one's episode (M,) int32, in order."""

    embeddings: np.ndarray
    episode: np.ndarray

    def save(self, path: str | Path) -> None:
        with atomic_path(Path(path)) as temp, open(temp, "wb") as handle:
            np.savez_compressed(handle, embeddings=self.embeddings, episode=self.episode)

    @classmethod
    def load(cls, path: str | Path) -> Landmarks:
        try:
            with np.load(path, allow_pickle=False) as stored:
                landmarks = cls(stored["embeddings"].astype(np.float32), stored["episode"].astype(np.int32))
        except (OSError, KeyError, ValueError) as err:
            raise PhyslabError(f"{path}: not a readable landmarks file ({err})") from None
        if landmarks.embeddings.ndim != 2 or len(landmarks.embeddings) != len(landmarks.episode):
            raise PhyslabError(f"{path}: embeddings and episodes do not match")
        return landmarks


def landmarks_file(model_file: str | Path) -> Path:
    """Where a model file's landmarks live: `plan_two_rooms.safetensors` -> `plan_two_rooms.landmarks.npz`."""
    path = Path(model_file)
    return path.with_name(path.name.removesuffix(".safetensors") + SUFFIX)


@torch.no_grad()
def build_landmarks(model: ActionWorldModel, episodes: Episodes, count: int = 200, seed: int = 0) -> Landmarks:
    """Embed every model step of `count` episodes drawn from `episodes` (all of them if fewer)."""
    chosen = np.sort(np.random.default_rng(seed).choice(episodes.count, min(count, episodes.count), replace=False))
    skip, device = model.config.frame_skip, next(model.parameters()).device
    embeddings, owners = [], []
    for index in chosen:
        pictures = as_pictures(episodes.frames[index, ::skip])
        embeddings.append(model.encode(pictures.to(device)).float().cpu().numpy())
        owners.append(np.full(len(pictures), index, dtype=np.int32))
    return Landmarks(np.concatenate(embeddings).astype(np.float32), np.concatenate(owners))


def save_landmarks(model: str | Path, data: str | Path, count: int = 200) -> Path:
    """Embed `count` episodes of `data` with the model (a file or run folder); write them beside it; return the path."""
    path = action_model_file(model)
    loaded = load_action_model(path)
    world = data_world(data)
    if world.name != loaded.world.name:
        raise PhyslabError(f"{data}: episodes of the world {world.name!r}, but {path} was trained in {loaded.world.name!r}")
    target = landmarks_file(path)
    build_landmarks(loaded, load_episodes(data, limit=count), count).save(target)
    return target


class SubgoalGraph:
    """The landmarks' graph; `toward(goal)` fixes a goal, `subgoal(now, hops)` gives the next landmark to aim at."""

    def __init__(self, landmarks: Landmarks, shortcut_quantile: float = 0.25, block: int = 1024):
        self.embeddings = torch.from_numpy(landmarks.embeddings)
        same = landmarks.episode[1:] == landmarks.episode[:-1]
        steps = np.flatnonzero(same)
        one_step = (self.embeddings[steps + 1] - self.embeddings[steps]).norm(dim=-1)
        self.radius = float(torch.quantile(one_step, shortcut_quantile)) if len(one_step) else 0.0
        rows, cols = [steps, steps + 1], [steps + 1, steps]
        for start in range(0, len(self.embeddings), block):
            near = torch.cdist(self.embeddings[start : start + block], self.embeddings) < self.radius
            a, b = np.nonzero(near.numpy())
            rows.append(a + start)
            cols.append(b)
        size = len(self.embeddings)
        row, col = np.concatenate(rows), np.concatenate(cols)
        keep = row != col
        self.graph = coo_matrix((np.ones(int(keep.sum())), (row[keep], col[keep])), shape=(size, size)).tocsr()
        self.predecessors: np.ndarray | None = None
        self.hops_to_goal: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.embeddings)

    def nearest(self, embedding: torch.Tensor) -> int:
        return int((self.embeddings - embedding.float().reshape(1, -1)).pow(2).sum(-1).argmin())

    def toward(self, goal_embedding: torch.Tensor) -> None:
        """Shortest paths (in model steps) from every landmark to the one nearest the goal."""
        self.goal_node = self.nearest(goal_embedding)
        hops, predecessors = shortest_path(
            self.graph, unweighted=True, directed=False, indices=self.goal_node, return_predecessors=True
        )
        self.hops_to_goal, self.predecessors = hops, predecessors

    def subgoal(self, embedding: torch.Tensor, hops: int) -> torch.Tensor | None:
        """The landmark `hops` model steps along the way from `embedding` to the goal, or None when the goal
        is that near (or out of the graph's reach): then plan straight to the goal."""
        if self.predecessors is None:
            raise RuntimeError("call toward(goal) first")
        node = self.nearest(embedding)
        if not np.isfinite(self.hops_to_goal[node]) or self.hops_to_goal[node] <= hops:
            return None
        for _ in range(hops):
            node = int(self.predecessors[node])
        return self.embeddings[node]
