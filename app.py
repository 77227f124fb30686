"""The physlab dashboard: `make demo` (or `streamlit run app.py`)."""

import os

import streamlit as st

# An unreadable upload is reported on its page; opencv's ffmpeg need not also print "moov atom not found".
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

st.set_page_config(page_title="physlab", page_icon="🧪", layout="wide")
navigation = st.navigation(
    [
        st.Page("pages/surprise_lab.py", title="Surprise lab", icon=":material/science:", default=True),
        st.Page("pages/scene_designer.py", title="Scene designer", icon=":material/tune:"),
        st.Page("pages/your_videos.py", title="Your videos", icon=":material/video_library:"),
        st.Page("pages/models.py", title="Models", icon=":material/psychology:"),
        st.Page("pages/experiments.py", title="Experiments", icon=":material/lab_profile:"),
        st.Page("pages/families.py", title="Scene families", icon=":material/category:"),
        st.Page("pages/planning.py", title="Planning", icon=":material/route:"),
    ]
)
st.sidebar.caption("physlab: an intuitive-physics lab. A world model's surprise is how badly it predicted what it saw.")
navigation.run()
