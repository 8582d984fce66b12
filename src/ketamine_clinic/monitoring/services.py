"""Staff responses to alarms: acknowledge, pause the audio for a time.

The alarm engine (in the gateway process) owns each alarm's state; a response is a
command to it over the channel layer, sent once the audit entry has committed. The
engine applies it and records the result (an ``AlarmEvent`` with who and when), which
every open page then shows. A response to an alarm that has ended changes nothing.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.monitoring.live import ENGINE_COMMAND_TYPE, ENGINE_GROUP
from ketamine_clinic.monitoring.models import Alarm, AlarmState
from ketamine_clinic.monitoring.policies import ALARM_RESPONDERS

# The longest audio pause, as the engine's policy bounds it (alarms/policy.py says why):
# a page refuses what the engine would refuse.
MAX_SILENCE_S: Final = AlarmPolicy().max_silence_s
ALARM_ENDED = "This alarm has already ended."

Response = Literal["acknowledge", "silence"]


class EngineCommand(TypedDict):
    type: str
    command: str
    alarm_id: str
    room_id: int
    by_id: int
    by_username: str
    at: str
    seconds: int | None


def alarm_respond(
    *, alarm: Alarm, by: User, response: Response, seconds: int | None = None
) -> EngineCommand:
    """Acknowledge ``alarm`` or pause its audio for ``seconds`` (1 to MAX_SILENCE_S)."""
    if not ALARM_RESPONDERS.allows(by):
        raise PermissionDenied("only a nurse or a prescriber responds to alarms")
    if response not in ("acknowledge", "silence"):
        raise ValidationError({"response": f"{response!r} is not acknowledge or silence"})
    if response == "silence":
        if seconds is None or not 1 <= seconds <= MAX_SILENCE_S:
            raise ValidationError({"seconds": f"Pause the audio for 1 to {MAX_SILENCE_S} seconds."})
    else:
        seconds = None
    if alarm.state == AlarmState.ENDED:
        raise ValidationError({"alarm": ALARM_ENDED})
    command: EngineCommand = {
        "type": ENGINE_COMMAND_TYPE,
        "command": response,
        "alarm_id": alarm.alarm_id,
        "room_id": alarm.room_id,
        "by_id": by.pk,
        "by_username": by.username,
        "at": timezone.now().isoformat(),
        "seconds": seconds,
    }
    with transaction.atomic():
        audit_record(
            action=AuditAction.UPDATE,
            actor=by,
            object_type="alarm",
            object_id=alarm.alarm_id,
            patient_id=alarm.visit.patient_id if alarm.visit is not None else "",
            detail={"response": response, "seconds": seconds, "priority": alarm.priority},
        )
        transaction.on_commit(lambda: _send(command))
    return command


def _send(command: EngineCommand) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(ENGINE_GROUP, command)
