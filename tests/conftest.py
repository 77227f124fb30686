import pytest

from physlab.model import ModelConfig
from physlab.scenes.families import load_family
from physlab.scenes.world import connect, disconnect

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
def tiny_data(tmp_path_factory):
    """A training folder of 12 small possible clips (two families), for models to train on in seconds."""
    from physlab.data.shards import write_training_set
    from physlab.scenes.families import load_families

    out = tmp_path_factory.mktemp("data")
    write_training_set(out, load_families("inertia,gravity_drop"), 12, seed=1, size=32, frames=24, shard_size=6, progress=False)
    return out


@pytest.fixture(scope="session")
def family():
    return load_family


def write_yaml(folder, name, text):
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path
