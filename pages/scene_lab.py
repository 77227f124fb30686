"""Scene lab: a possible event and its impossible twin, side by side, with the onset marked."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import physlab
from physlab.video import encode_mp4


@st.cache_data(max_entries=32, show_spinner=False)
def pair_for(family_name: str, seed: int, size: int) -> dict:
    """Generate a pair once per (family, seed, size) and keep what the page shows."""
    pair = physlab.make_pair(physlab.load_family(family_name), seed, size=size)
    possible, impossible = pair.possible, pair.impossible
    difference = np.abs(possible.frames.astype(np.int16) - impossible.frames.astype(np.int16)).mean(axis=(1, 2, 3))
    return {
        "possible_video": encode_mp4(possible.frames, possible.fps),
        "impossible_video": encode_mp4(impossible.frames, impossible.fps),
        "possible_frames": possible.frames,
        "impossible_frames": impossible.frames,
        "onset": pair.onset_frame,
        "violation": possible.violation,
        "concept": possible.scene.concept,
        "fps": possible.fps,
        "difference": difference,
    }


def _draw_seed() -> None:
    st.session_state.seed = int(np.random.default_rng().integers(10**6))


st.title("Scene lab")
st.caption(
    "Every clip is a pure function of (scene family, seed). The impossible twin is the possible event "
    "with its trajectory edited from the onset on, so the two are identical, pixel for pixel, before it."
)
names = [family.name for family in physlab.load_families(with_violations=True)]
if "seed" not in st.session_state:
    st.session_state.seed = 0
left, middle, right = st.columns([2, 1, 1])
family_name = left.selectbox("Scene family", names, index=names.index("support_car"))
middle.number_input("Seed", min_value=0, max_value=10**6, step=1, key="seed")
right.button("Surprise me", width="stretch", on_click=_draw_seed)
size = 128

with st.spinner("Simulating and rendering the pair..."):
    try:
        shown = pair_for(family_name, int(st.session_state.seed), size)
    except physlab.PhyslabError as err:
        st.error(str(err))
        st.stop()

onset, fps = shown["onset"], shown["fps"]
st.subheader(f"{shown['concept']}: {shown['violation'].replace('_', ' ')}")
st.write(f"Violation onset: frame **{onset}** ({onset / fps:.2f} s)")
possible_column, impossible_column = st.columns(2)
possible_column.markdown("**Possible**")
possible_column.video(shown["possible_video"], format="video/mp4", loop=True, autoplay=True, muted=True)
impossible_column.markdown("**Impossible**")
impossible_column.video(shown["impossible_video"], format="video/mp4", loop=True, autoplay=True, muted=True)

frames = len(shown["difference"])
frame = st.slider("Frame", 0, frames - 1, value=min(onset, frames - 1))
still_possible, still_impossible = st.columns(2)
still_possible.image(shown["possible_frames"][frame], caption=f"possible, frame {frame}", width="stretch")
still_impossible.image(shown["impossible_frames"][frame], caption=f"impossible, frame {frame}", width="stretch")

table = pd.DataFrame({"frame": np.arange(frames), "seconds": np.arange(frames) / fps, "difference": shown["difference"]})
line = alt.Chart(table).mark_line().encode(x="frame:Q", y=alt.Y("difference:Q", title="mean pixel difference between twins"))
rules = (
    alt.Chart(pd.DataFrame({"frame": [onset], "what": ["onset"]})).mark_rule(color="red", strokeDash=[4, 3]).encode(x="frame:Q")
)
cursor = alt.Chart(pd.DataFrame({"frame": [frame]})).mark_rule(color="grey").encode(x="frame:Q")
st.altair_chart(line + rules + cursor, width="stretch")
st.caption("The twins differ only from the onset (red). A world model's surprise should rise there too.")
