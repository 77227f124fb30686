"""The front door: exactly `make demo`, as a newcomer's first command, on a fresh home folder without a terminal.

Streamlit's first run in a fresh home folder asks for an e-mail address unless told not to: in a
terminal it waits for Enter, without one it exits with 255. This runs the Makefile target itself
(no terminal, stdin closed, no display, a new HOME), waits for the dashboard's first page to be
drawn in a real browser, checks what the log and the page must not show, and stops the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from test_browser import CHROMIUM, ROOT, _free_port, _wait_for_health, _wait_until_idle

SERVED_WITHIN_S = 60  # from `make demo` to the health check answering (README: "serves in about 10 s")
DRAWN_WITHIN_S = 120  # and to the Surprise lab drawn: a pair simulated, rendered and scored on first use

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`make demo` started as a script would start it; yields (url, log, seconds until served)."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("make demo runs the project's .venv, which `make install` (and so `make test`) makes first")
    home = tmp_path_factory.mktemp("home")
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"HOME": str(home), "PORT": str(_free_port()), "MAKEFLAGS": ""}
    # The venv is current (a no-op when it is) before the clock starts: serving is what is timed.
    subprocess.run(["make", "--no-print-directory", "install"], cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL)
    log = tmp_path_factory.mktemp("demo") / "make_demo.log"
    started = time.monotonic()
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["make", "demo"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # no controlling terminal, and one process group to stop
        )
    url = f"http://localhost:{env['PORT']}"
    try:
        _wait_for_health(url, process, log, timeout=SERVED_WITHIN_S)
        yield url, log, time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not (home / ".streamlit" / "credentials.toml").exists()  # it never asked


def test_make_demo_serves_the_dashboard_without_a_terminal(demo, tmp_path):
    url, log, served_after = demo
    assert served_after < SERVED_WITHIN_S
    from playwright.sync_api import sync_playwright

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(64))  # an mp4 header with no movie in it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.monotonic()
        page.goto(url)
        _wait_until_idle(page, "Surprise lab")
        drawn_after = time.monotonic() - started
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("video").count() == 2
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0  # client.toolbarMode
        page.goto(f"{url}/your_videos")
        _wait_until_idle(page, "Your videos")
        page.locator("input[type='file']").first.set_input_files(str(broken))
        page.wait_for_selector("[data-testid='stAlertContentWarning']", timeout=60_000)
        browser.close()
    assert drawn_after < DRAWN_WITHIN_S
    print(f"make demo: served after {served_after:.1f} s; Surprise lab drawn {drawn_after:.1f} s after the first visit")
    text = log.read_text()
    assert "You can now view your Streamlit app" in text
    for noise in ("Email", "gatherUsageStats", "Inotify", "moov atom", "Traceback"):
        assert noise not in text, f"{noise!r} in the demo's log:\n{text[-3000:]}"
