"""Finding scene families: the bundled `scenes/` folder, or YAML files a user names."""

from __future__ import annotations

import os
from pathlib import Path

from physlab.errors import PhyslabError
from physlab.files import bundled_or_file
from physlab.scenes.spec import Family, load_family_file


def scenes_dir() -> Path:
    """The folder of bundled families (`PHYSLAB_SCENES` overrides it)."""
    override = os.environ.get("PHYSLAB_SCENES")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "scenes"


def family_names() -> list[str]:
    """Names of the bundled families, sorted."""
    return sorted(path.stem for path in scenes_dir().glob("*.yaml"))


def load_family(name_or_path: str | Path) -> Family:
    """Load a bundled family by name, or any family file by path."""
    return load_family_file(bundled_or_file(name_or_path, scenes_dir(), "scene family"))


def load_families(selection: str | None = None, *, with_violations: bool | None = None) -> list[Family]:
    """Families from a comma-separated list of names or paths (default: all bundled ones).

    `with_violations=True` keeps only families that make impossible twins (stimuli);
    `False` only free-play ones; `None` keeps all (training data).
    """
    items = [item.strip() for item in selection.split(",") if item.strip()] if selection else family_names()
    families = [load_family(item) for item in items]
    seen: dict[str, str] = {}
    for family in families:
        if family.name in seen:
            raise PhyslabError(
                f"{family.source}: family name {family.name!r} is also used by {seen[family.name]}; names must be unique"
            )
        seen[family.name] = family.source
    if with_violations is not None and selection is None:
        families = [family for family in families if family.has_violations == with_violations]
    if with_violations and selection is not None:
        for family in families:
            if not family.has_violations:
                raise PhyslabError(f"{family.source}: family {family.name!r} declares no violations, so it has no pairs")
    return families
