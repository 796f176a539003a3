from django.urls import path

from rooms.consumers import CausewayConsumer

websocket_urlpatterns = [path("ws/", CausewayConsumer.as_asgi())]
