"""Scene designer: pin a family's parameters with widgets, preview the pair, export a stimulus set."""

import streamlit as st

import physlab
from dashboard.cache import model_picker, model_scale, scored_pair, show_twins
from dashboard.charts import curve_table, twin_curves
from physlab.lab.designer import drawn_values, export_zip, family_yaml, fix, knobs

st.title("Scene designer")
st.caption(
    "Every parameter a family draws from a range has a slider here, showing the value the seed drew. Tick one to pin "
    "it and move it: every other parameter stays as the seed drew it. The preview is the pair for that seed; the "
    "export is a stimulus set of the designed family."
)
model_name = model_picker()
names = [family.name for family in physlab.load_families(with_violations=True)]
family_name = st.selectbox("Scene family", names, index=names.index("support_car"), key="designer_family")
family = physlab.load_family(family_name)
st.caption(family.description)
seed = int(st.number_input("Seed", min_value=0, max_value=10**6, value=0, step=1, key="designer_seed"))
controls = knobs(family)


def _keys(knob) -> tuple[str, str]:
    key = f"{family_name}:{'.'.join(map(str, knob.path))}"
    return f"pin:{key}", f"value:{key}"


# The pins come from the widgets' state of the last run, so the preview can be made first and each
# slider that is not pinned can then show what this seed drew.
pinned = {knob.path: st.session_state[value] for knob in controls for pin, value in [_keys(knob)] if st.session_state.get(pin)}
try:
    designed = fix(family, pinned)
except physlab.PhyslabError as err:
    st.error(str(err))
    st.stop()
design = family_yaml(designed) if pinned else ""
with st.spinner("Simulating, rendering and scoring the preview..."):
    try:
        shown = scored_pair(family_name, seed, 128, model_name, design)
    except physlab.PhyslabError as err:
        st.error(str(err))
        st.stop()
drawn = drawn_values(family, shown["scene"])

left, preview = st.columns([1, 2], gap="medium")
with left:
    st.markdown("**Parameters** (tick to pin)")
    for knob in controls:
        pin, value = _keys(knob)
        if not st.session_state.get(pin):
            st.session_state[value] = min(max(drawn.get(knob.path, knob.middle), knob.low), knob.high)
        unit = f" {knob.unit}" if knob.unit else ""
        box, slider = st.columns([1, 6], vertical_alignment="center")
        box.checkbox("pin", key=pin, label_visibility="collapsed", help=f"Pin {knob.label}")
        slider.slider(
            f"{knob.label}{f' ({knob.unit})' if knob.unit else ''}",
            knob.low,
            knob.high,
            step=max((knob.high - knob.low) / 100, 1e-4),
            format=f"%.2f{unit}",
            key=value,
            disabled=not st.session_state.get(pin),
        )

with preview:
    score = shown["score"]
    onset = shown["onset"]
    st.markdown(
        f"**{shown['violation'].replace('_', ' ')}**, onset at frame {onset} ({onset / shown['fps']:.2f} s); "
        f"surprise (peak over median) {score.impossible:.2f} impossible, {score.possible:.2f} possible"
    )
    show_twins(shown, bold=False)
    table = curve_table(shown["curves"], shown["fps"])
    st.altair_chart(twin_curves(table, onset, None, model_scale(model_name), shown["fps"]), width="stretch")

st.divider()
st.subheader("Export", anchor=False)
pairs_column, size_column, button_column = st.columns(3, vertical_alignment="bottom")
pairs = pairs_column.number_input("Pairs", min_value=1, max_value=200, value=4, key="export_pairs")
size = size_column.selectbox("Size (px)", [64, 128, 256], index=1, key="export_size")
# The zip belongs to the design it was made from; a changed design hides it rather than offer a stale one.
export_key = (family_yaml(designed), int(pairs), seed, size)
if button_column.button("Make the stimulus set", type="primary"):
    with st.spinner(f"Making {pairs} pairs..."):
        try:
            zipped = export_zip(designed, int(pairs), seed=seed, size=size)
            st.session_state.export = (export_key, f"{family_name}_designed.zip", zipped)
        except physlab.PhyslabError as err:
            st.error(str(err))
if st.session_state.get("export", (None,))[0] == export_key:
    _, name, data = st.session_state.export
    st.download_button(f"Download {name} ({len(data) / 1e6:.1f} MB)", data, file_name=name, mime="application/zip")
st.download_button("Download the designed family (YAML)", family_yaml(designed), file_name=f"{family_name}_designed.yaml")
with st.expander("The designed family's YAML"):
    st.code(family_yaml(designed), language="yaml")
