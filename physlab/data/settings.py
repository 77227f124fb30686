"""A folder remembers the settings it was made with, so a resumed run never mixes two kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from physlab.errors import PhyslabError
from physlab.files import write_json


def claim_settings(folder: Path, name: str, settings: dict[str, Any]) -> None:
    """Record `settings` in `folder/name`, or check they match the ones already recorded."""
    path = folder / name
    if path.exists():
        try:
            recorded = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise PhyslabError(f"{path}: unreadable settings record ({err})") from None
        changed = {key: (recorded.get(key), value) for key, value in settings.items() if recorded.get(key) != value}
        if changed:
            detail = "; ".join(_change(key, recorded, new) for key, (_, new) in changed.items())
            raise PhyslabError(f"{folder}: was made with other settings ({detail}); use a new folder")
        return
    write_json(path, settings)


def _change(key: str, recorded: dict[str, Any], new: Any) -> str:
    if key not in recorded:  # a setting an older physlab did not write down
        return f"{key} was not recorded (an older physlab), now {new!r}"
    return f"{key} was {recorded[key]!r}, now {new!r}"
