from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Rooms, messages, work items and the bridge"

    def ready(self) -> None:
        # The event log tells the bridge of every thread event; the log itself
        # knows nothing of mirrors (rooms.log sits below rooms.bridge).
        from rooms.bridge.outbox import record_outbox
        from rooms.log import on_thread_event

        on_thread_event(record_outbox)

        # Connectors: each kind's sink and settings check (rooms.connectors.sinks).
        from rooms.connectors.matrix.actions import check_matrix_config
        from rooms.connectors.matrix.sink import MatrixSink
        from rooms.connectors.sinks import register_config_check, register_sink
        from rooms.connectors.webhooks import WebhookSink, check_webhook_config
        from rooms.models.connectors import Connector

        register_sink(Connector.Kind.WEBHOOK_OUT, WebhookSink())
        register_config_check(Connector.Kind.WEBHOOK_OUT, check_webhook_config)
        # The Matrix bridge (rooms.connectors.matrix).
        register_sink(Connector.Kind.MATRIX, MatrixSink())
        register_config_check(Connector.Kind.MATRIX, check_matrix_config)
