"""Progress bars: redrawn in a terminal, whole lines in a log."""

import io

from physlab.progress import progress_bar


def test_in_a_log_each_update_is_a_line_of_its_own():
    log = io.StringIO()
    for _ in progress_bar(range(50), desc="pairs", unit="pair", file=log):
        pass
    text = log.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and all(line.strip() for line in lines)
    assert lines[0].startswith("pairs:") and "0/50" in lines[0]
    assert "50/50" in lines[-1]
    assert len(lines) <= 3  # at most one line every LOG_SECONDS between the first and the last


def test_disabled_writes_nothing():
    log = io.StringIO()
    for _ in progress_bar(range(5), file=log, disable=True):
        pass
    assert log.getvalue() == ""
