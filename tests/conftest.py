import pytest

from physlab.families import load_family
from physlab.world import connect, disconnect


@pytest.fixture(scope="session")
def client():
    """One pybullet client for the whole session (as a worker process would use it)."""
    live = connect()
    yield live
    disconnect(live)


@pytest.fixture(scope="session")
def family():
    return load_family


def write_yaml(folder, name, text):
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path
