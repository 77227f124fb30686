"""The dashboard's pages, run headless with Streamlit's AppTest (the browser test is test_browser.py)."""

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

import physlab
from physlab.data.video import encode_mp4
from physlab.lab.designer import export_zip

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"


def page(name: str, timeout: int = 180) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=timeout)


@pytest.fixture(scope="module")
def clip_mp4() -> bytes:
    clip = physlab.make_clip(physlab.load_family("gravity_drop"), 3, size=64)
    return encode_mp4(clip.frames, clip.fps)


def test_surprise_lab_is_home_and_shows_both_twins_and_the_onset():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not app.exception
    assert app.title[0].value == "Surprise lab"
    assert len(app.get("video")) == 2
    assert any("onset" in m.value for m in app.markdown)
    assert len(app.get("vega_lite_chart")) == 2
    verdict = app.info[0].value  # the bundled JEPA's two channels, and its clip peaks as evaluate compares them
    assert "latents" in verdict and "colour" in verdict and "soft maximum" in verdict
    app.selectbox[0].select("gravity_toss").run()
    assert not app.exception
    assert app.subheader[0].value.startswith("gravity")


def test_surprise_me_draws_a_new_pair():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    app.button[0].click().run()
    assert not app.exception
    assert app.number_input[0].value == app.session_state.seed != 0
    assert app.selectbox[0].value == app.session_state.family
    assert len(app.get("video")) == 2


def test_the_model_can_be_switched():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    app.sidebar.radio[0].set_value("pixel").run()
    assert not app.exception
    assert app.session_state.model_name == "pixel"
    assert "surprise (pixel-space predictor)" in str(app.get("vega_lite_chart")[0].proto.spec)


def test_scene_designer_pins_a_parameter_and_exports_a_set():
    app = page("scene_designer").run()
    assert not app.exception
    assert len(app.get("video")) == 2
    velocity = next(box for box in app.checkbox if box.label == "pin car · velocity x")
    velocity.check().run()
    slider = next(s for s in app.slider if s.label == "car · velocity x")
    slider.set_value(2.3).run()
    assert not app.exception
    designed = yaml.safe_load(app.code[0].value)
    assert designed["objects"][1]["velocity"][0] == pytest.approx(2.3)
    app.number_input(key="export_pairs").set_value(1).run()
    next(b for b in app.button if b.label == "Make the stimulus set").click().run()
    assert not app.exception
    _, name, data = app.session_state.export
    members = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "support_car/manifest.csv" in members and sum(m.endswith(".mp4") for m in members) == 2
    downloads = [b.label for b in app.get("download_button")]
    assert any(name in label for label in downloads)
    slider.set_value(1.7).run()  # a changed design must not offer the zip of the old one
    assert not any(name in b.label for b in app.get("download_button"))


def test_your_videos_scores_good_clips_and_reports_bad_ones(clip_mp4):
    app = page("your_videos").run()
    assert not app.exception
    assert len(app.file_uploader) == 2
    app = _upload(app, "videos", [("drop.mp4", clip_mp4, "video/mp4"), ("broken.mp4", b"not a video", "video/mp4")])
    assert not app.exception
    assert any("broken.mp4" in w.value for w in app.warning)
    assert app.dataframe[0].value["clip"].tolist() == ["drop.mp4"]


def test_your_videos_evaluates_a_zipped_set_and_rejects_a_bad_zip():
    data = export_zip(physlab.load_family("inertia"), 2, size=64)
    app = _upload(page("your_videos").run(), "stimulus_set", [("inertia.zip", data, "application/zip")])
    assert not app.exception
    assert [m.label for m in app.metric] == ["Pairwise accuracy", "AUROC", "Pairs"]
    assert app.metric[2].value == "2"
    app = _upload(page("your_videos").run(), "stimulus_set", [("bad.zip", b"PK nonsense", "application/zip")])
    assert not app.exception
    assert "bad.zip: not a zip file" in app.error[0].value


def test_models_page_compares_the_three_models_and_plots_a_training_log(tmp_path):
    app = page("models")
    app.session_state["models_families"] = ["solidity"]
    app.session_state["models_pairs"] = 1
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert set(table.columns) == {"jepa", "pixel", "untrained"}
    assert len(app.get("vega_lite_chart")) == 2  # accuracy by concept, and the bundled model's training log
    log = tmp_path / "metrics.csv"
    log.write_text("step,loss\n1,0.5\n")
    app.text_input(key="metrics_path").input(str(log)).run()
    assert any("missing column(s) latent_std" in w.value for w in app.warning)


def test_experiments_page_runs_an_experiment_and_shows_its_results(tmp_path, monkeypatch):
    experiments, results = tmp_path / "experiments", tmp_path / "results"
    experiments.mkdir()
    (experiments / "quick.yaml").write_text(
        "name: quick\ndescription: One family, one pair.\n"
        "stimuli: [{families: [solidity], pairs: 1, seed: 5, size: 32}]\nmodels: [untrained]\n"
    )
    monkeypatch.setenv("PHYSLAB_EXPERIMENTS", str(experiments))
    monkeypatch.setenv("PHYSLAB_RESULTS", str(results))
    app = page("experiments").run()
    assert not app.exception
    assert any("No results yet" in info.value for info in app.info)
    app.button(key="run_experiment").click().run()
    assert not app.exception
    assert "Done" in app.success[0].value
    assert (results / "quick" / "report.md").exists()
    app = page("experiments").run()
    assert app.dataframe[0].value["model"].tolist() == ["untrained"]
    assert len(app.get("image")) >= 1


def test_families_page_lists_families():
    app = page("families", 60).run()
    assert not app.exception
    assert "support_car" in app.dataframe[0].value["family"].tolist()
    app.selectbox[0].select("support_car").run()
    assert "concept: support" in app.code[0].value


def _upload(app: AppTest, key: str, files: list[tuple[str, bytes, str]]) -> AppTest:
    return app.file_uploader(key=key).set_value(files).run()
