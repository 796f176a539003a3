"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Sockets must come from an allowed origin and carry a session cookie, or carry a bot's
``Authorization: Bearer`` token (rooms.socket.auth).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.bodylimit import BodyLimit  # noqa: E402
from rooms.jobs import InProcessWorker  # noqa: E402
from rooms.socket.auth import OriginUnlessBearer, SocketAuthMiddleware  # noqa: E402
from rooms.socket.routing import websocket_urlpatterns  # noqa: E402

application = InProcessWorker(
    ProtocolTypeRouter(
        {
            "http": BodyLimit(django_asgi_app),
            # The origin check, except for a bot's bearer handshake (rooms.socket.auth).
            "websocket": OriginUnlessBearer(SocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    )
)
