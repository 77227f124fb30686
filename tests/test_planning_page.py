"""The Planning page, run headless with Streamlit's AppTest on the bundled models."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "planning.py"), default_timeout=240)


def test_the_page_shows_the_task_and_plans_a_step_with_what_it_weighed():
    app = _page().run()
    assert not app.exception
    assert app.title[0].value == "Planning"
    assert [m.label for m in app.metric] == ["Env steps", "Distance to the goal", "Decisions", "Episode"]
    assert app.metric[0].value.startswith("0 /")
    assert len(app.get("image")) >= 1 and len(app.get("video")) == 1
    next(b for b in app.button if b.label == "Plan one step").click().run()
    assert not app.exception
    assert app.metric[0].value.startswith("5 /") and app.metric[2].value == "1"
    charts = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert len(charts) == 4  # the plans weighed, this decision's search, the episode's energy, the energy landscape
    assert any("predicted path" in spec for spec in charts) and any("two action dimensions" in spec for spec in charts)


def test_the_push_world_with_a_chosen_start_and_goal_and_the_gradient_planner():
    app = _page()
    app.session_state["planning_world"] = "push"
    app.session_state["planning_mode"] = "chosen"
    app.session_state["planning_method"] = "grad"
    app.session_state["planning_iterations"] = 3
    app.run()
    assert not app.exception
    slider = next(s for s in app.slider if s.label == "goal object x")
    slider.set_value(0.2).run()
    assert not app.exception
    next(b for b in app.button if b.label == "Plan one step").click().run()
    assert not app.exception and app.metric[2].value == "1"
    assert any("guardrails" in c.value for c in app.caption)


def test_the_app_lists_the_page():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    app.switch_page("pages/planning.py").run()
    assert not app.exception and app.title[0].value == "Planning"
