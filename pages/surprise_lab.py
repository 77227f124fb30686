"""Surprise lab: a possible event and its impossible twin side by side, and how surprised the model is."""

import numpy as np
import streamlit as st

import physlab
from dashboard.cache import MODELS, PREDICTS, model_picker, model_scale, scored_pair, showcase
from dashboard.charts import curve_table, looking_times, twin_curves
from physlab.lab.showcase import SLIGHT_SHARE, calm, reacts, seeds_by_outcome

VERDICT = {
    "more": "The impossible twin surprises the model more",
    "undone": (
        "Right by the default (excess) score, but not by a reaction to the violation: the impossible twin surprises "
        "the model more"
    ),
    "less": "The possible twin surprises the model more: it gets this pair wrong",
    "tie": "The twins tie",
}
# Plain names of the bundled JEPA's two channels of surprise.
CHANNELS = {"latents": "motion and shape (its learned description)", "colour": "the colours in view"}

measured = showcase()
SIZE = measured["size"]
SEEDS = measured["seeds"]


def outcomes(model: str, family: str) -> dict[str, list[int]]:
    """The measured seeds of a family by outcome under a model."""
    return seeds_by_outcome(measured["models"][model]["families"].get(family, {}))


def calm_wins(model: str, family: str) -> int:
    """How many of a family's measured seeds the model gets right by a calmer clip (`PairScore.calm_win`)."""
    seeds = measured["models"][model]["families"].get(family, {}).values()
    return sum(calm(score) for score in seeds)


def reactions(model: str, family: str) -> int:
    """How many of a family's measured seeds the model reacts to: right where the twins differ, by more than a
    hair (`PairScore.reacts`)."""
    return sum(reacts(score) for score in measured["models"][model]["families"].get(family, {}).values())


def opening_seed(family: str) -> int:
    """The measured seed the bundled JEPA gets right and reacts to most clearly where the twins differ, else the
    first it gets right at all, else the first one (the page opens there)."""
    right = outcomes("jepa", family)["more"]
    return right[0] if right else SEEDS[0]


def _family_changed() -> None:
    st.session_state.seed = opening_seed(st.session_state.family)


def _surprise_me(names: list[str]) -> None:
    rng = np.random.default_rng()
    st.session_state.family = names[int(rng.integers(len(names)))]
    st.session_state.seed = int(rng.integers(10**6))


def _a_wrong_one(wrong: list[int]) -> None:
    later = [seed for seed in wrong if seed > st.session_state.seed]
    st.session_state.seed = (later or wrong)[0]


model_name = model_picker()
scale = model_scale(model_name)
names = [family.name for family in physlab.load_families(with_violations=True)]
st.session_state.setdefault("family", "support_car")
st.session_state.setdefault("seed", opening_seed(st.session_state.family))

st.title("Surprise lab")
st.caption(
    "A world model that has only ever watched possible events sees a possible clip and its impossible twin, "
    f"identical until the violation's onset. Its surprise is how badly it predicted each frame; here that is "
    f"{PREDICTS[model_name]}."
)
family_column, seed_column, draw_column, wrong_column = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
family_name = family_column.selectbox("Scene family", names, key="family", on_change=_family_changed)
seed_column.number_input("Seed", min_value=0, max_value=10**6, step=1, key="seed")
draw_column.button("Surprise me", width="stretch", on_click=_surprise_me, args=(names,), type="primary")
by_outcome = outcomes(model_name, family_name)
wrong = by_outcome["less"] + by_outcome["tie"]
wrong_column.button(
    "A pair it gets wrong",
    width="stretch",
    on_click=_a_wrong_one,
    args=(wrong,),
    disabled=not wrong,
    help=f"The {MODELS[model_name]} got every one of seeds {SEEDS[0]}-{SEEDS[-1]} of this family right."
    if not wrong
    else f"Seeds of this family the {MODELS[model_name]} gets wrong or ties: {', '.join(map(str, wrong))}.",
)
st.caption(
    f"Of seeds {SEEDS[0]}-{SEEDS[-1]} of {family_name}, the {MODELS[model_name]} gets {len(by_outcome['more'])} right "
    f"({calm_wins(model_name, family_name)} of them by a calmer clip), "
    f"{len(by_outcome['less'])} wrong and {len(by_outcome['tie'])} tied. Scored only where the twins differ, it "
    f"reacts to the violation (the impossible twin ahead there by more than {SLIGHT_SHARE:.0%} of the larger score) in "
    f"{reactions(model_name, family_name)} of the {len(SEEDS)}, whether or not it gets the pair right by the default "
    "score (measured by `python -m dashboard.precomputed`). Each family opens on the pair the bundled JEPA reacts to "
    "most clearly among those it gets right, or else on the first it gets right."
)

with st.spinner("Simulating, rendering and scoring the pair..."):
    try:
        shown = scored_pair(family_name, int(st.session_state.seed), SIZE, model_name)
    except physlab.PhyslabError as err:
        st.error(str(err))
        st.stop()

onset, fps, score = shown["onset"], shown["fps"], shown["score"]
st.subheader(f"{shown['concept']}: {shown['violation'].replace('_', ' ')}", anchor=False)
# A pair right only by what the twins share, not by a reaction where they differ, is a caution, not a success.
undone = score.outcome == "more" and score.reaction is not None and not score.reacts
text = {
    "more": f"{VERDICT['undone' if undone else 'more']} ({score.impossible:.2f} against {score.possible:.2f} for the "
    "possible twin, each its peak over its own typical frame).",
    "less": f"{VERDICT['less']} ({score.possible:.2f} against {score.impossible:.2f} for the impossible twin, "
    "each its peak over its own typical frame).",
    "tie": f"{VERDICT['tie']} at {score.possible:.2f}: {score.tie_reason()}. A tie is not a success.",
}[score.outcome]
{"more": st.warning if undone else st.success, "less": st.error, "tie": st.warning}[score.outcome](text)
# The calm note explains the verdict's numbers; the reaction, measured where the twins differ, is said beside it.
calm_note = score.calm_reason()
if calm_note or undone or score.reaction not in (None, score.outcome):
    st.info(" ".join(part for part in (calm_note, score.reaction_text()) if part))
elif score.reaction is not None:
    st.caption(score.reaction_text())

twins_column, frame_column = st.columns([1, 1], gap="medium")
with twins_column:
    for column, label in zip(st.columns(2), ("possible", "impossible")):
        column.markdown(f"**{label.capitalize()}**")
        column.video(shown[f"{label}_video"], format="video/mp4", loop=True, autoplay=True, muted=True)
    st.altair_chart(looking_times(score, scale), width="stretch")
    st.caption(
        f"Looking time: each twin's surprise as pairs are compared, its peak over its own typical frame. "
        f"The violation starts at frame {onset} "
        f"({onset / fps:.2f} s) of {shown['frames']} ({shown['frames'] / fps:.1f} s)."
    )


@st.fragment
def frame_view(shown: dict, key: str) -> None:
    """The curves with the slider's frame marked, and both twins at that frame: reruns alone when the slider moves."""
    table = curve_table(shown["curves"], fps)
    start = min(onset, shown["frames"] - 1)
    st.altair_chart(twin_curves(table, onset, st.session_state.get(key, start), scale, fps), width="stretch")
    frame = st.slider("Frame", 0, shown["frames"] - 1, value=start, key=key)
    here = table[table["frame"] <= frame].groupby("twin")["surprise"].last()
    for column, twin in zip(st.columns(2), ("possible", "impossible")):
        value = f"surprise {here[twin]:.2f}" if twin in here else "not predicted yet"
        column.image(shown[f"{twin}_frames"][frame], caption=f"{twin}, frame {frame}: {value}", width="stretch")


with frame_column:
    frame_view(shown, key=f"frame:{family_name}:{st.session_state.seed}:{model_name}")

st.caption(f"**Scale.** {scale.meaning}")
channels = shown["channel_peaks"]
if channels["impossible"]:
    parts = [
        f"{CHANNELS.get(name, name)}: {channels['impossible'][name]:.2f} impossible, {channels['possible'][name]:.2f} possible"
        for name in channels["impossible"]
    ]
    st.caption(
        f"**Two kinds of surprise.** The {MODELS[model_name]} predicts two things and is surprised by each; at "
        "their highest: "
        + "; ".join(parts)
        + ". The curves take the larger of the two frame by frame, and the verdict above compares each twin's "
        "highest point of that curve with its own typical frame, so a twin can have the lower peaks here and still "
        "the higher surprise above."
    )
