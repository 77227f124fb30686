"""Fixtures of the planning tests (imported by the test modules that use them): small episodes and tiny models."""

import pytest

from physlab.control.data import write_action_set
from physlab.control.train import load_action_train_config, train_action_model


@pytest.fixture(scope="session")
def episode_data(tmp_path_factory):
    """Six push episodes of 12 env steps, in two shards."""
    folder = tmp_path_factory.mktemp("push_episodes")
    write_action_set(folder, "push", 6, steps=12, shard_size=3, progress=False)
    return folder


@pytest.fixture(scope="session")
def rooms_data(tmp_path_factory):
    """Four two-rooms episodes of 12 env steps."""
    folder = tmp_path_factory.mktemp("rooms_episodes")
    write_action_set(folder, "two_rooms", 4, steps=12, shard_size=4, progress=False)
    return folder


def _tiny(data, out):
    return train_action_model(data, out, load_action_train_config(preset="plan_tiny"), progress=False)


@pytest.fixture(scope="session")
def tiny_push_model(episode_data, tmp_path_factory):
    """A push model trained for a few steps (seconds): it runs, it does not plan well."""
    return _tiny(episode_data, tmp_path_factory.mktemp("push_run"))


@pytest.fixture(scope="session")
def tiny_rooms_model(rooms_data, tmp_path_factory):
    return _tiny(rooms_data, tmp_path_factory.mktemp("rooms_run"))


@pytest.fixture(scope="session")
def tiny_pixel_model(rooms_data, tmp_path_factory):
    config = load_action_train_config(preset="plan_tiny", overrides={"model": {"kind": "action_pixel"}})
    return train_action_model(rooms_data, tmp_path_factory.mktemp("pixel_run"), config, progress=False)
