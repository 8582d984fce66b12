"""The channel layer: Redis when REDIS_URL is set, in-memory (one process) otherwise."""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer

from tests.config.conftest import SettingsLoader


def test_with_no_redis_url_the_layer_is_in_memory(load_settings: SettingsLoader) -> None:
    loaded = load_settings("channels")
    assert loaded["REDIS_URL"] == ""
    assert loaded["CHANNEL_LAYERS"] == {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }


def test_with_a_redis_url_the_layer_is_redis_at_that_address(
    load_settings: SettingsLoader,
) -> None:
    loaded = load_settings("channels", REDIS_URL="redis://cache.clinic.example:6380/2")
    layer = loaded["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["prefix"] == "ketamine_clinic"
    [host] = layer["CONFIG"]["hosts"]
    assert host["address"] == "redis://cache.clinic.example:6380/2"


def test_redis_reads_outlast_the_layers_blocking_wait(load_settings: SettingsLoader) -> None:
    # redis-py 8 times reads out after 5 s by default: idle consumers would be torn down.
    loaded = load_settings("channels", REDIS_URL="redis://127.0.0.1:6379/0")
    [host] = loaded["CHANNEL_LAYERS"]["default"]["CONFIG"]["hosts"]
    blocking_wait_s = RedisChannelLayer.brpop_timeout
    assert host["socket_timeout"] > blocking_wait_s
    assert host["socket_connect_timeout"] == 5
