"""Scene designer: pin a family's parameters with widgets, preview the pair, export a stimulus set."""

import streamlit as st

import physlab
from dashboard.cache import MODELS, model_picker, scored_pair, show_twins
from dashboard.charts import curve_table, twin_curves
from physlab.lab.designer import export_zip, family_yaml, fix, knobs

st.title("Scene designer")
st.caption(
    "Every parameter a family draws from a range is a slider here. Tick one to pin it; the rest are still drawn "
    "from the seed. The preview is the pair for that seed; the export is a stimulus set of the designed family."
)
model_name = model_picker()
names = [family.name for family in physlab.load_families(with_violations=True)]
family_name = st.selectbox("Scene family", names, index=names.index("support_car"), key="designer_family")
family = physlab.load_family(family_name)
st.caption(family.description)

pinned: dict = {}
controls, preview = st.columns([1, 2])
with controls:
    seed = st.number_input("Seed", min_value=0, max_value=10**6, value=0, step=1, key="designer_seed")
    for knob in knobs(family):
        key = f"{family_name}:{'.'.join(map(str, knob.path))}"
        on = st.checkbox(f"pin {knob.label}", key=f"pin:{key}")
        step = max((knob.high - knob.low) / 100, 1e-4)
        value = st.slider(
            knob.label,
            knob.low,
            knob.high,
            knob.middle,
            step=step,
            key=f"value:{key}",
            disabled=not on,
            label_visibility="collapsed",
        )
        if on:
            pinned[knob.path] = value

try:
    designed = fix(family, pinned)
except physlab.PhyslabError as err:
    st.error(str(err))
    st.stop()
design = family_yaml(designed) if pinned else ""

with preview:
    with st.spinner("Simulating, rendering and scoring the preview..."):
        try:
            shown = scored_pair(family_name, int(seed), 128, model_name, design)
        except physlab.PhyslabError as err:
            st.error(str(err))
            st.stop()
    st.markdown(f"**{shown['violation'].replace('_', ' ')}**, onset at frame {shown['onset']}")
    show_twins(shown, bold=False)
    table = curve_table(shown["curves"], shown["fps"])
    st.altair_chart(twin_curves(table, shown["onset"], None, MODELS[model_name]), width="stretch")

st.divider()
st.subheader("Export")
pairs_column, size_column, button_column = st.columns(3, vertical_alignment="bottom")
pairs = pairs_column.number_input("Pairs", min_value=1, max_value=200, value=4, key="export_pairs")
size = size_column.selectbox("Size (px)", [64, 128, 256], index=1, key="export_size")
# The zip belongs to the design it was made from; a changed design hides it rather than offer a stale one.
export_key = (family_yaml(designed), int(pairs), int(seed), size)
if button_column.button("Make the stimulus set", type="primary"):
    with st.spinner(f"Making {pairs} pairs..."):
        try:
            zipped = export_zip(designed, int(pairs), seed=int(seed), size=size)
            st.session_state.export = (export_key, f"{family_name}_designed.zip", zipped)
        except physlab.PhyslabError as err:
            st.error(str(err))
if st.session_state.get("export", (None,))[0] == export_key:
    _, name, data = st.session_state.export
    st.download_button(f"Download {name} ({len(data) / 1e6:.1f} MB)", data, file_name=name, mime="application/zip")
st.download_button("Download the designed family (YAML)", family_yaml(designed), file_name=f"{family_name}_designed.yaml")
with st.expander("The designed family's YAML"):
    st.code(family_yaml(designed), language="yaml")
