"""The Planning page's caches and charts: models load once per server, charts in world coordinates."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from physlab.control.behaviour import Task, draw_task
from physlab.control.checkpoint import bundled_name
from physlab.control.evaluation import load_planning_model
from physlab.control.model import ActionWorldModel
from physlab.control.spec import Push, TwoRooms, load_world
from physlab.control.stepper import Decision
from physlab.control.worlds import connect, disconnect, make_world

THING = {"two_rooms": "agent", "push": "object"}


@st.cache_resource(show_spinner=False)
def planning_model(world_name: str) -> ActionWorldModel:
    """The world's bundled action-conditioned JEPA, once per server (inference only)."""
    return load_planning_model(load_world(world_name), bundled_name(world_name))


@st.cache_data(max_entries=64, show_spinner=False)
def random_task(world_name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The held-out start and goal states that `seed` draws (as `physlab plan` draws them)."""
    world = load_world(world_name)
    client = connect()
    try:
        task = draw_task(world, make_world(world, client), seed)
    finally:
        disconnect(client)
    return task.start, task.goal


def chosen_task(start: np.ndarray, goal: np.ndarray, seed: int) -> Task:
    return Task(np.asarray(start, dtype=float), np.asarray(goal, dtype=float), seed)


def _scene(world: TwoRooms | Push) -> list[alt.Chart]:
    """The world's fixed parts, in metres: the walls (two rooms) or the table's edge (push)."""
    if world.kind == "two_rooms":
        half, thick = world.half_size, world.wall_thickness
        low, high = world.door_centre - world.door_width / 2, world.door_centre + world.door_width / 2
        walls = pd.DataFrame(
            [
                {"x": -thick / 2, "x2": thick / 2, "y": -half, "y2": low},
                {"x": -thick / 2, "x2": thick / 2, "y": high, "y2": half},
            ]
        )
        return [alt.Chart(walls).mark_rect(color="#3c4b66").encode(x="x:Q", x2="x2:Q", y="y:Q", y2="y2:Q")]
    half = world.half_size
    edge = pd.DataFrame({"x": [-half, half, half, -half, -half], "y": [-half, -half, half, half, -half], "order": range(5)})
    return [alt.Chart(edge).mark_line(color="#8a8170", strokeDash=[4, 3]).encode(x="x:Q", y="y:Q", order="order:Q")]


def candidate_paths(
    world: TwoRooms | Push, decision: Decision, now: np.ndarray, goal: np.ndarray, shown: int = 60
) -> alt.LayerChart:
    """The candidate plans of a decision as paths of the planned-for thing read by the probe (lighter: more energy),
    the chosen plan's path thick, where it is now and the goal marked."""
    extent = world.half_size * world.camera.margin
    scale = alt.Scale(domain=[-extent, extent], nice=False)
    order = np.argsort(decision.path_energies)
    keep = np.unique(np.concatenate([order[:30], order[:: max(1, len(order) // (shown - 30))]]))[:shown]
    rank = {index: position for position, index in enumerate(order)}
    rows = [
        {
            "candidate": int(i),
            "step": k,
            "x": float(x),
            "y": float(y),
            "rank": rank[i],
            "energy": float(decision.path_energies[i]),
        }
        for i in keep
        for k, (x, y) in enumerate(decision.paths[i])
    ]
    paths = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(opacity=0.45, strokeWidth=1)
        .encode(
            x=alt.X("x:Q", scale=scale, title="x (m)"),
            y=alt.Y("y:Q", scale=scale, title="y (m)"),
            detail="candidate:N",
            order="step:Q",
            color=alt.Color("rank:Q", scale=alt.Scale(scheme="viridis"), title="energy rank"),
            tooltip=["candidate", alt.Tooltip("energy:Q", format=".3f")],
        )
    )
    chosen = pd.DataFrame(
        {"x": decision.chosen_path[:, 0], "y": decision.chosen_path[:, 1], "step": range(len(decision.chosen_path))}
    )
    layers = [
        *_scene(world),
        paths,
        alt.Chart(chosen).mark_line(color="#d62728", strokeWidth=3, point=True).encode(x="x:Q", y="y:Q", order="step:Q"),
    ]
    thing = slice(0, 2) if world.kind == "two_rooms" else slice(2, 4)
    marks = pd.DataFrame(
        [{"x": now[thing][0], "y": now[thing][1], "what": "now"}, {"x": goal[thing][0], "y": goal[thing][1], "what": "goal"}]
    )
    layers.append(
        alt.Chart(marks)
        .mark_point(size=160, filled=True)
        .encode(
            x="x:Q",
            y="y:Q",
            shape=alt.Shape("what:N", scale=alt.Scale(domain=["now", "goal"], range=["circle", "cross"])),
            color=alt.value("black"),
        )
    )
    return alt.layer(*layers).properties(height=360, title=f"plans weighed: the {THING[world.kind]}'s predicted path (probe)")


def search_energies(decision: Decision) -> alt.Chart:
    """The chosen plan's energy after each iteration of the latest search."""
    table = pd.DataFrame({"iteration": range(1, len(decision.energies) + 1), "energy": decision.energies})
    return (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(x=alt.X("iteration:Q", title="planner iteration"), y=alt.Y("energy:Q", title="energy of the chosen plan"))
        .properties(height=170, title="this decision's search")
    )


def episode_energies(decisions: list[Decision]) -> alt.Chart:
    """The energy of each decision's chosen plan over the episode: it shrinks as the goal comes within reach."""
    table = pd.DataFrame(
        [{"env step": d.step, "part": "goal", "energy": d.goal_energy} for d in decisions]
        + [{"env step": d.step, "part": "guardrails", "energy": d.guardrail_energy} for d in decisions]
    )
    return (
        alt.Chart(table)
        .mark_line(point=True)
        .encode(x="env step:Q", y=alt.Y("energy:Q", title="energy of the chosen plan"), color="part:N")
        .properties(height=170, title="over the episode")
    )


def landscape(values: np.ndarray, energy: np.ndarray, chosen: np.ndarray) -> alt.LayerChart:
    """Energy over the first chunk's velocity (vx, vy), the rest of the plan as chosen; the chosen first chunk marked."""
    vx, vy = np.meshgrid(values, values)
    table = pd.DataFrame({"vx": vx.ravel().round(3), "vy": vy.ravel().round(3), "energy": energy.ravel()})
    heat = (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X("vx:O", title="first chunk's vx", axis=alt.Axis(values=[-1.0, -0.5, 0.0, 0.5, 1.0])),
            y=alt.Y("vy:O", title="first chunk's vy", sort="descending", axis=alt.Axis(values=[-1.0, -0.5, 0.0, 0.5, 1.0])),
            color=alt.Color("energy:Q", scale=alt.Scale(scheme="magma", reverse=True)),
            tooltip=["vx", "vy", alt.Tooltip("energy:Q", format=".3f")],
        )
    )
    step = values[1] - values[0]
    mean = np.clip(np.round(chosen.reshape(-1, 2).mean(0) / step) * step, -1, 1).round(3)
    marker = (
        alt.Chart(pd.DataFrame({"vx": [mean[0]], "vy": [mean[1]]}))
        .mark_point(shape="cross", size=200, color="#1f77b4", strokeWidth=3)
        .encode(x="vx:O", y="vy:O")
    )
    return alt.layer(heat, marker).properties(height=320, title="energy over two action dimensions")
