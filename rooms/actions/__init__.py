"""Writes to rooms, one module per concept; everything is re-exported here.

``do_*`` writes and publishes on commit; ``check_*`` validates and
authorizes, then calls ``do_*``.
"""

from rooms.actions.escalations import (
    check_acknowledge_escalation,
    check_downgrade_escalation,
    check_escalate,
    check_escalation_clocks,
    check_reassign_escalation,
    check_resolve_escalation,
    check_set_ack_targets,
    check_set_escalation_contacts,
)
from rooms.actions.messages import (
    append_event,
    check_add_member,
    check_create_internal_room,
    check_create_shared_room,
    check_delete_message,
    check_edit_message,
    check_follow_thread,
    check_mark_read,
    check_mark_thread_read,
    check_remove_member,
    check_send_message,
    check_update_room,
    clean_text,
    do_add_member,
    do_create_room,
    do_delete_message,
    do_edit_message,
    do_remove_member,
    do_send_message,
)
from rooms.actions.workitems import (
    check_create_work_item,
    check_update_work_item,
    do_create_work_item,
    do_update_work_item,
)

__all__ = [
    "append_event",
    "check_acknowledge_escalation",
    "check_add_member",
    "check_create_internal_room",
    "check_create_shared_room",
    "check_create_work_item",
    "check_delete_message",
    "check_downgrade_escalation",
    "check_edit_message",
    "check_escalate",
    "check_escalation_clocks",
    "check_follow_thread",
    "check_mark_read",
    "check_mark_thread_read",
    "check_reassign_escalation",
    "check_remove_member",
    "check_resolve_escalation",
    "check_send_message",
    "check_set_ack_targets",
    "check_set_escalation_contacts",
    "check_update_room",
    "check_update_work_item",
    "clean_text",
    "do_add_member",
    "do_create_room",
    "do_create_work_item",
    "do_delete_message",
    "do_edit_message",
    "do_remove_member",
    "do_send_message",
    "do_update_work_item",
]
