"""The dashboard's pages, run headless with Streamlit's AppTest."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def test_scene_lab_shows_both_twins_and_the_onset():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception
    assert "Scene lab" in app.title[0].value
    assert len(app.get("video")) == 2
    assert any("onset" in m.value for m in app.markdown)
    app.selectbox[0].select("gravity_toss").run()
    assert not app.exception
    assert "gravity" in app.subheader[0].value


def test_surprise_me_draws_a_new_seed():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.button[0].click().run()
    assert not app.exception
    assert app.number_input[0].value == app.session_state.seed != 0
    assert len(app.get("video")) == 2


def test_families_page_lists_families():
    app = AppTest.from_file(str(ROOT / "pages" / "families.py"), default_timeout=60).run()
    assert not app.exception
    assert "support_car" in app.dataframe[0].value["family"].tolist()
    app.selectbox[0].select("support_car").run()
    assert "concept: support" in app.code[0].value
