"""Surprise lab: a possible event and its impossible twin side by side, and how surprised the model is."""

import numpy as np
import streamlit as st

import physlab
from dashboard.cache import MODELS, model_picker, scored_pair, show_twins
from dashboard.charts import curve_table, peak_bars, twin_curves

SIZE = 128


def _draw_seed() -> None:
    st.session_state.seed = int(np.random.default_rng().integers(10**6))


def _draw_family_and_seed(names: list[str]) -> None:
    rng = np.random.default_rng()
    st.session_state.family = names[int(rng.integers(len(names)))]
    _draw_seed()


st.title("Surprise lab")
st.caption(
    "A world model that has only ever watched possible events sees a possible clip and its impossible twin. "
    "The twins are identical, pixel for pixel, until the violation's onset; the model's surprise is its "
    "prediction error in representation space, frame by frame."
)
names = [family.name for family in physlab.load_families(with_violations=True)]
st.session_state.setdefault("seed", 0)
st.session_state.setdefault("family", "support_car")
model_name = model_picker()
left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
family_name = left.selectbox("Scene family", names, key="family")
middle.number_input("Seed", min_value=0, max_value=10**6, step=1, key="seed")
right.button("Surprise me", width="stretch", on_click=_draw_family_and_seed, args=(names,), type="primary")

with st.spinner("Simulating, rendering and scoring the pair..."):
    try:
        shown = scored_pair(family_name, int(st.session_state.seed), SIZE, model_name)
    except physlab.PhyslabError as err:
        st.error(str(err))
        st.stop()

onset, fps = shown["onset"], shown["fps"]
st.subheader(f"{shown['concept']}: {shown['violation'].replace('_', ' ')}")
show_twins(shown)
st.markdown(f"Violation onset: frame **{onset}** ({onset / fps:.2f} s); the clips run {shown['frames'] / fps:.1f} s.")

table = curve_table(shown["curves"], fps)
frame = st.slider("Frame", 0, shown["frames"] - 1, value=min(onset, shown["frames"] - 1))
chart_column, bars_column = st.columns([3, 1])
chart_column.altair_chart(twin_curves(table, onset, frame, MODELS[model_name]), width="stretch")
bars_column.altair_chart(peak_bars(shown["peaks"]), width="stretch")
still_possible, still_impossible = st.columns(2)
here = table[table["frame"] <= frame].groupby("twin")["surprise"].last()


def _at_frame(twin: str) -> str:
    return f"surprise {here[twin]:.3f}" if twin in here else "before the model's first prediction"


still_possible.image(
    shown["possible_frames"][frame], caption=f"possible, frame {frame}: {_at_frame('possible')}", width="stretch"
)
still_impossible.image(
    shown["impossible_frames"][frame], caption=f"impossible, frame {frame}: {_at_frame('impossible')}", width="stretch"
)
peaks = shown["peaks"]
verdict = "more" if peaks["impossible"] > peaks["possible"] else "less"
channels = shown["channel_peaks"]["impossible"]
by_channel = (
    " Its channels peak at "
    + ", ".join(f"{name} {channels[name]:.2f} vs {shown['channel_peaks']['possible'][name]:.2f}" for name in channels)
    + " (impossible vs possible; the clip's peak is their soft maximum)."
    if channels
    else ""
)
st.info(
    f"The model's peak surprise is **{verdict}** for the impossible twin "
    f"({peaks['impossible']:.3f} vs {peaks['possible']:.3f}).{by_channel} "
    "The bars play the part of an infant's looking time; the dashed line marks the onset."
)
