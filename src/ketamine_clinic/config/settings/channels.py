"""Channel layer: Redis when REDIS_URL is set (several processes), in-memory otherwise."""

from __future__ import annotations

from typing import Any

from ketamine_clinic.config.env import env_str

REDIS_URL = env_str("REDIS_URL", "")


def channel_layers_for(redis_url: str) -> dict[str, Any]:
    if redis_url:
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis_url], "prefix": "ketamine_clinic"},
            }
        }
    # One process only: events do not cross processes. check-deploy refuses this with
    # more than one web worker.
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


CHANNEL_LAYERS = channel_layers_for(REDIS_URL)
