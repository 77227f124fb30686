"""Caches shared by every page: models load once per server, generated data once per seed."""

from __future__ import annotations

import streamlit as st
import yaml

import physlab
from dashboard import precomputed
from physlab.data.video import encode_mp4
from physlab.lab.showcase import score_pair
from physlab.lab.units import SurpriseScale, surprise_scale
from physlab.model import WorldModel, load_model

MODELS = {"jepa": "bundled JEPA", "pixel": "pixel-space predictor", "untrained": "untrained encoder"}
# What each model predicts, in a clause: the captions say what "surprise" is for the model chosen.
PREDICTS = {
    "jepa": "the bundled JEPA, which predicts an abstract description of each coming frame (and the colours in view)",
    "pixel": "the pixel-space predictor, which predicts the coming frames' pixels themselves",
    "untrained": "an encoder and predictor that never learned (a baseline for what chance looks like)",
}
TWIN_COLORS = {"possible": "#2b8cbe", "impossible": "#e34a33"}


def show_twins(shown: dict, bold: bool = True) -> None:
    """The possible clip and its impossible twin side by side, looping."""
    for column, label in zip(st.columns(2), ("possible", "impossible")):
        column.markdown(f"**{label.capitalize()}**" if bold else label.capitalize())
        column.video(shown[f"{label}_video"], format="video/mp4", loop=True, autoplay=True, muted=True)


@st.cache_resource(show_spinner=False)
def world_model(name: str) -> WorldModel:
    """Loaded once per server and shared by every session (inference only, so thread-safe)."""
    return load_model(name)


def model_scale(name: str) -> SurpriseScale:
    """What the model's surprise values mean: the axis title with its unit and one sentence."""
    return surprise_scale(world_model(name).config)


def model_picker() -> str:
    """The sidebar's choice of world model, the same on every page."""
    names = list(MODELS)
    return st.sidebar.radio("World model", names, captions=list(MODELS.values()), key="model_name")


@st.cache_data(show_spinner=False)
def showcase() -> dict:
    """Which of seeds 0-7 of each family each bundled model gets right (dashboard/precomputed.py)."""
    return precomputed.read_showcase()


@st.cache_data(max_entries=32, show_spinner=False)
def scored_pair(family_name: str, seed: int, size: int, model_name: str, design: str = "") -> dict:
    """Generate and score a pair once per (family, seed, size, model) and keep what pages show.

    `design` is the YAML of a designed family (the scene designer's), which then replaces the named one.
    """
    family = physlab.Family.model_validate(yaml.safe_load(design)) if design else physlab.load_family(family_name)
    pair = physlab.make_pair(family, seed, size=size)
    possible, impossible = pair.possible, pair.impossible
    curves, score = score_pair(pair, world_model(model_name))
    return {
        "curves": {curve.name: (curve.frames, curve.values) for curve in curves},
        "score": score,
        "channel_peaks": {curve.name: curve.channel_peaks() for curve in curves},
        "possible_video": encode_mp4(possible.frames, possible.fps),
        "impossible_video": encode_mp4(impossible.frames, impossible.fps),
        "possible_frames": possible.frames,
        "impossible_frames": impossible.frames,
        "onset": pair.onset_frame,
        "violation": impossible.violation,
        "concept": possible.scene.concept,
        "scene": possible.scene,
        "fps": possible.fps,
        "frames": len(possible.frames),
    }
