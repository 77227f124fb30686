import pytest

from physlab.families import load_family
from physlab.model import ModelConfig
from physlab.world import connect, disconnect

# A world model small enough to build, train and score in a test (tests import it: from conftest import TINY).
TINY = ModelConfig(
    image_size=32, latent_dim=16, channels=(8, 16, 16), context=4, predictor_width=32, predictor_blocks=1, expander_dim=32
)


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
