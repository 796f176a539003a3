"""Rooms' models, one module per concept; every model is importable from here."""

from rooms.models.bots import BotToken, IncomingWebhook
from rooms.models.bridge import Mirror, MirrorDelivery, OutboxEntry
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.exports import RoomExport
from rooms.models.files import Attachment, FilePolicy, Upload
from rooms.models.invitations import Invitation
from rooms.models.log import RoomEvent
from rooms.models.matrix import (
    MatrixAttempt,
    MatrixBridge,
    MatrixEvent,
    MatrixLink,
    MatrixPuppet,
    MatrixShareRequest,
    MatrixTransaction,
)
from rooms.models.messages import Mention, Message, MessageEdit, ThreadFollow
from rooms.models.notifications import Notification
from rooms.models.reactions import Reaction
from rooms.models.retention import LegalHold, RetentionPolicy
from rooms.models.rooms import Membership, MembershipQuerySet, Room
from rooms.models.workitems import (
    Escalation,
    EscalationContact,
    EscalationRoom,
    WorkItem,
    WorkItemChange,
)

__all__ = [
    "Attachment",
    "BotToken",
    "Connector",
    "ConnectorDeadLetter",
    "Escalation",
    "EscalationContact",
    "EscalationRoom",
    "FilePolicy",
    "IncomingWebhook",
    "Invitation",
    "LegalHold",
    "MatrixAttempt",
    "MatrixBridge",
    "MatrixEvent",
    "MatrixLink",
    "MatrixPuppet",
    "MatrixShareRequest",
    "MatrixTransaction",
    "Membership",
    "MembershipQuerySet",
    "Mention",
    "Message",
    "MessageEdit",
    "Mirror",
    "MirrorDelivery",
    "Notification",
    "OutboxEntry",
    "Reaction",
    "RetentionPolicy",
    "Room",
    "RoomEvent",
    "RoomExport",
    "ThreadFollow",
    "Upload",
    "WorkItem",
    "WorkItemChange",
]
