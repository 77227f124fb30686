"""Caches shared by every page: models load once per server, generated data once per seed."""

from __future__ import annotations

import streamlit as st
import yaml

import physlab
from physlab.data.video import encode_mp4
from physlab.model import WorldModel, load_model
from physlab.voe.surprise import score_videos


def show_twins(shown: dict, bold: bool = True) -> None:
    """The possible clip and its impossible twin side by side, looping."""
    for column, label in zip(st.columns(2), ("possible", "impossible")):
        column.markdown(f"**{label.capitalize()}**" if bold else label.capitalize())
        column.video(shown[f"{label}_video"], format="video/mp4", loop=True, autoplay=True, muted=True)


MODELS = {"jepa": "bundled JEPA", "pixel": "pixel-space predictor", "untrained": "untrained encoder"}
TWIN_COLORS = {"possible": "#2b8cbe", "impossible": "#e34a33"}


@st.cache_resource(show_spinner=False)
def world_model(name: str) -> WorldModel:
    """Loaded once per server and shared by every session (inference only, so thread-safe)."""
    return load_model(name)


def model_picker() -> str:
    """The sidebar's choice of world model, the same on every page."""
    names = list(MODELS)
    return st.sidebar.radio("World model", names, captions=list(MODELS.values()), key="model_name")


@st.cache_data(max_entries=32, show_spinner=False)
def scored_pair(family_name: str, seed: int, size: int, model_name: str, design: str = "") -> dict:
    """Generate and score a pair once per (family, seed, size, model) and keep what pages show.

    `design` is the YAML of a designed family (the scene designer's), which then replaces the named one.
    """
    family = physlab.Family.model_validate(yaml.safe_load(design)) if design else physlab.load_family(family_name)
    pair = physlab.make_pair(family, seed, size=size)
    possible, impossible = pair.possible, pair.impossible
    curves = score_videos(world_model(model_name), [(clip.label, clip.frames, clip.fps) for clip in (possible, impossible)])
    return {
        "curves": {curve.name: (curve.frames, curve.values) for curve in curves},
        # The clip's surprise as `evaluate` compares twins by it, and each channel's peak when there are several.
        "peaks": {curve.name: curve.clip_surprise("max") for curve in curves},
        "channel_peaks": {curve.name: curve.channel_peaks() for curve in curves},
        "possible_video": encode_mp4(possible.frames, possible.fps),
        "impossible_video": encode_mp4(impossible.frames, impossible.fps),
        "possible_frames": possible.frames,
        "impossible_frames": impossible.frames,
        "onset": pair.onset_frame,
        "violation": impossible.violation,
        "concept": possible.scene.concept,
        "fps": possible.fps,
        "frames": len(possible.frames),
    }
