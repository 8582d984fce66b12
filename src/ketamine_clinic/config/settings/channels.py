"""Channel layer: Redis when REDIS_URL is set (several processes), in-memory otherwise."""

from __future__ import annotations

from typing import Any

from ketamine_clinic.config.env import env_str

REDIS_URL = env_str("REDIS_URL", "")

# channels_redis waits for a message with a blocking pop of up to 5 s; redis-py 8 made
# every socket read time out after 5 s by default, which tears down each idle WebSocket
# consumer (django/channels_redis#422). Reads may wait longer than the pop, and a dead
# Redis is still noticed.
REDIS_SOCKET_TIMEOUT_S = 10
REDIS_CONNECT_TIMEOUT_S = 5


def channel_layers_for(redis_url: str, *, prefix: str = "ketamine_clinic") -> dict[str, Any]:
    """CHANNEL_LAYERS for `redis_url`, or for one process when it is empty."""
    if redis_url:
        host = {
            "address": redis_url,
            "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
        }
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [host], "prefix": prefix},
            }
        }
    # One process only: events do not cross processes. check-deploy refuses this with
    # more than one web worker.
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


CHANNEL_LAYERS = channel_layers_for(REDIS_URL)
