"""Planning: an action-conditioned world model reaches a goal picture by planning in its representation space."""

import numpy as np
import streamlit as st

from dashboard.planning import (
    candidate_paths,
    chosen_task,
    episode_energies,
    landscape,
    planning_model,
    random_task,
    search_energies,
)
from physlab.control.planners import PlannerSettings
from physlab.control.spec import load_world, world_names
from physlab.control.stepper import SteppedEpisode
from physlab.data.video import encode_mp4
from physlab.errors import PhyslabError

st.title("Planning")
st.caption(
    "The world model was trained on random and scripted wandering, with no reward and no goal. Given a goal "
    "picture, it imagines the outcome of candidate action plans in its representation space, picks the plan "
    "whose predicted states come nearest the goal over its horizon (the lowest energy), takes its first step, "
    "then plans again."
)


def _new_seed() -> None:
    st.session_state.planning_seed = int(np.random.default_rng().integers(10**6))


st.session_state.setdefault("planning_seed", 0)
controls = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
world_name = controls[0].selectbox("World", world_names(), key="planning_world")
method = controls[1].radio("Planner", ["cem", "grad"], horizontal=True, key="planning_method", captions=None)
iterations = controls[2].number_input("Iterations", 1, 50, 10, key="planning_iterations")
mode = controls[3].radio("Start and goal", ["random", "chosen"], horizontal=True, key="planning_mode")
world = load_world(world_name)

if mode == "random":
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    seed = left.number_input("Task seed", 0, 10**6, step=1, key="planning_seed")
    right.button("Random task", on_click=_new_seed)
    start, goal = random_task(world_name, int(seed))
else:
    seed = int(st.session_state.planning_seed)
    start, goal = (np.array(state, dtype=float) for state in random_task(world_name, seed))
    half = world.half_size
    with st.expander("Start and goal", expanded=True):
        first, second = st.columns(2)
        names = world.state_names
        for column, state, label in ((first, start, "start"), (second, goal, "goal")):
            column.markdown(f"**{label}**")
            for index, name in enumerate(names):
                bound = np.pi if name.endswith("angle") else half
                state[index] = column.slider(
                    f"{label} {name.replace('_', ' ')}", -bound, bound, float(state[index]), key=f"planning_{label}_{name}"
                )

settings = PlannerSettings(method=method, iterations=int(iterations))
key = (world_name, tuple(np.round(start, 4)), tuple(np.round(goal, 4)), settings.model_dump_json())
try:
    model = planning_model(world_name)
except PhyslabError as err:
    st.error(str(err))
    st.stop()
if st.session_state.get("planning_key") != key:
    st.session_state.planning_key = key
    st.session_state.planning_episode = SteppedEpisode(world, model, chosen_task(start, goal, int(seed)), settings)
episode: SteppedEpisode = st.session_state.planning_episode

buttons = st.columns(3)
if buttons[0].button("Plan one step", type="primary", disabled=episode.done):
    with st.spinner("Planning..."):
        episode.step()
if buttons[1].button("Run to the end", disabled=episode.done):
    bar = st.progress(0.0, text="Planning...")
    while not episode.done:
        episode.step()
        bar.progress(min(1.0, episode.steps / world.task.steps), text=f"step {episode.steps} of {world.task.steps}")
    bar.empty()
if buttons[2].button("Start over"):
    st.session_state.planning_episode = episode = SteppedEpisode(world, model, chosen_task(start, goal, int(seed)), settings)

status = "reached the goal" if episode.reached else "out of steps" if episode.done else "under way"
heading = "" if episode.angle is None else f", heading off by {episode.angle:.0f}°"
metrics = st.columns(4)
metrics[0].metric("Env steps", f"{episode.steps} / {world.task.steps}")
metrics[1].metric("Distance to the goal", f"{episode.distance:.3f} m")
metrics[2].metric("Decisions", len(episode.decisions))
metrics[3].metric("Episode", status)
st.caption(f"{world.description}. {status.capitalize()}{heading}.")

pictures, paths = st.columns([1, 2])
now, goal_column = pictures.columns(2)
now.image(episode.frames[-1], caption=f"now (step {episode.steps})", width="stretch")
goal_column.image(episode.goal_frame, caption="goal picture", width="stretch")
video = np.concatenate(
    [np.stack(episode.frames), np.broadcast_to(episode.goal_frame, (len(episode.frames), *episode.goal_frame.shape))], axis=2
)
pictures.video(
    encode_mp4(video.repeat(3, axis=1).repeat(3, axis=2), world.motion.control_hz),
    format="video/mp4",
    loop=True,
    autoplay=True,
    muted=True,
)

if not episode.decisions:
    paths.info("Press **Plan one step** to see the candidate plans the planner weighs, or **Run to the end**.")
    st.stop()
latest = episode.decisions[-1]
paths.altair_chart(candidate_paths(world, latest, episode.states[latest.step], goal), width="stretch")
energy_left, energy_right, landscape_column = st.columns([1, 1, 1])
energy_left.altair_chart(search_energies(latest), width="stretch")
energy_right.altair_chart(episode_energies(episode.decisions), width="stretch")
values, energy = episode.energy_landscape()
landscape_column.altair_chart(landscape(values, energy, latest.plan[0]), width="stretch")
st.caption(
    f"Latest decision: {latest.seconds:.2f} s, energy {latest.energy:.3f} (goal {latest.goal_energy:.3f}, "
    f"guardrails {latest.guardrail_energy:.3f}). Paths are read from predicted embeddings by a small probe "
    "trained for display (and the push world's guardrails); the planner itself compares embeddings only."
)
