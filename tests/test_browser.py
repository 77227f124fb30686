"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against `streamlit run`.

Checks what AppTest cannot: every page renders without an exception, videos really play
(the browser decodes them: readyState, duration, no MediaError), charts draw, and an upload
through the page's own file input is scored. Screenshots land in artifacts/screenshots/.
`make test` installs Chromium (apt) when it is missing; set PHYSLAB_CHROMIUM to use another.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import physlab
from physlab.data.video import write_mp4

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("PHYSLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGES = {  # url path -> (title, videos, at least this many charts)
    "": ("Surprise lab", 2, 2),
    "scene_designer": ("Scene designer", 2, 1),
    "your_videos": ("Your videos", 0, 0),
    "models": ("Models", 0, 2),
    "experiments": ("Experiments", 0, 0),
    "families": ("Scene families", 0, 0),
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "localhost", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log, "w") as output:  # a file, not a pipe nobody reads, which would fill and stall the server
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, text=True)
    url = f"http://localhost:{port}"
    try:
        _wait_for_health(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.errors = errors
    yield opened
    context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_plays_and_draws(server, page, path):
    title, videos, charts = PAGES[path]
    page.goto(f"{server}/{path}")
    _wait_until_idle(page, title)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.locator("[data-testid='stException']").count() == 0, page.locator("[data-testid='stException']").inner_text()
    assert page.locator("h1").first.inner_text().strip().startswith(title)
    if videos:
        states = _video_states(page, videos)
        assert len(states) == videos
        for state in states:
            assert state["error"] is None, state
            assert state["readyState"] >= 1 and state["duration"] > 0, state
    if charts:
        drawn = f"""() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
            .filter(chart => [...chart.querySelectorAll('svg, canvas')].some(
                surface => surface.clientWidth > 0 && surface.clientHeight > 0
                    && (surface.tagName === 'CANVAS' || surface.querySelectorAll('path').length > 0))).length >= {charts}"""
        page.wait_for_function(drawn, timeout=60_000)
    page.screenshot(path=str(SHOTS / f"{path or 'surprise_lab'}.png"), full_page=True)
    assert not page.errors, page.errors


def test_an_uploaded_video_is_scored_in_the_browser(server, page, tmp_path):
    clip = physlab.make_clip(physlab.load_family("gravity_drop"), 5, size=64)
    video = tmp_path / "drop.mp4"
    write_mp4(video, clip.frames, clip.fps)
    page.goto(f"{server}/your_videos")
    _wait_until_idle(page, "Your videos")
    page.locator("input[type='file']").first.set_input_files(str(video))
    page.wait_for_selector("[data-testid='stVegaLiteChart'] svg path", timeout=120_000)
    _wait_until_idle(page, "Your videos")
    assert page.locator("[data-testid='stException']").count() == 0
    assert "drop.mp4" in page.locator("[data-testid='stVegaLiteChart'] svg").first.inner_html()  # the curve's legend
    page.screenshot(path=str(SHOTS / "your_videos_scored.png"), full_page=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} in {timeout} s")


def _wait_until_idle(page, title: str) -> None:
    """The page's script has run to the end: its title is drawn and the app is no longer running."""
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    page.wait_for_timeout(500)  # the front end draws charts and media after the last delta arrives
    page.wait_for_selector(IDLE, timeout=180_000)


def _video_states(page, count: int) -> list[dict]:
    page.wait_for_function(
        f"""() => {{
            const videos = [...document.querySelectorAll('video')];
            return videos.length >= {count} && videos.every(v => v.error || (v.readyState >= 1 && v.duration > 0));
        }}""",
        timeout=60_000,
    )
    return page.eval_on_selector_all(
        "video",
        "videos => videos.map(v => ({readyState: v.readyState, duration: v.duration, error: v.error && v.error.code}))",
    )
