from django.urls import path

from rooms.socket.consumer import CausewayConsumer

websocket_urlpatterns = [path("ws/", CausewayConsumer.as_asgi())]
