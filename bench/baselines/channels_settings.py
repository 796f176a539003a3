"""Settings for baseline 3: the Channels tutorial's group chat, no database."""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
ASGI_APPLICATION = "bench.baselines.channels_chat.application"
DATABASES: dict[str, object] = {}
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ["REDIS_URL"],
                    "socket_timeout": 30,
                    "max_connections": 2000,
                }
            ],
            "capacity": 5000,
        },
    }
}
