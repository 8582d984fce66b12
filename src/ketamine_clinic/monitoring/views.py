"""The pages nurses watch: the central station, one room live, the alarm history.

Each page reads through an audited selector (``page_selectors``) and hands its first
state to the page's script in the live payloads' shapes; the socket then keeps it
current. Acknowledging or pausing an alarm is a POST (CSRF) to ``alarm_respond``: the
engine applies it and every open page sees the result in the next ``alarms`` payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.booking.models import Room
from ketamine_clinic.clinicday.cp_plot import cp_plot
from ketamine_clinic.config.websockets import MONITOR_ROOM_PATH, MONITOR_STATION_PATH
from ketamine_clinic.devices import mdc
from ketamine_clinic.monitoring import page_selectors as selectors
from ketamine_clinic.monitoring.models import Alarm, AlarmEventKind, AlarmPriority
from ketamine_clinic.monitoring.policies import ALARM_RESPONDERS, MONITOR_READERS
from ketamine_clinic.monitoring.services import MAX_SILENCE_S, Response, alarm_respond

# The "pause audio" button: the longest pause the service allows (2 min, IEC 60601-1-8
# audio paused; see services.MAX_SILENCE_S).
PAUSE_S: Final = MAX_SILENCE_S
NO_SUCH_ALARM = "No such alarm."
# A header the page's script sets, so the view answers it with JSON instead of a redirect.
FETCH_HEADER: Final = "X-KC-Fetch"


def _responder(request: HttpRequest) -> bool:
    return ALARM_RESPONDERS.allows(request.user)


# ---- numbers as the page first shows them (static/monitoring/live.js formats alike) ----


@dataclass(frozen=True, slots=True)
class Shown:
    """A number as shown: its text; ``invalid`` when the device said so (shown "---",
    never 0); neither when nothing has been received."""

    text: str = ""
    invalid: bool = False


# Decimals shown per parameter: whole numbers but for temperature.
PLACES: Final = {mdc.TEMPERATURE.code: 1}
PUMP_PLACES: Final = 1


def _values(payload: dict[str, Any] | None) -> dict[int, float | None]:
    if payload is None:
        return {}
    return {int(item["code"]): item["value"] for item in payload["values"]}


def shown(values: dict[int, float | None], code: int) -> Shown:
    if code not in values:
        return Shown()
    value = values[code]
    if value is None:
        return Shown(invalid=True)
    return Shown(text=f"{value:.{PLACES.get(code, 0)}f}")


def shown_nibp(values: dict[int, float | None]) -> Shown:
    """ "120/80": invalid when either half is; nothing when neither was received."""
    systolic, diastolic = mdc.NIBP_SYSTOLIC.code, mdc.NIBP_DIASTOLIC.code
    if systolic not in values and diastolic not in values:
        return Shown()
    sys_v, dia_v = values.get(systolic), values.get(diastolic)
    if sys_v is None or dia_v is None:
        return Shown(invalid=True)
    return Shown(text=f"{sys_v:.0f}/{dia_v:.0f}")


def shown_pump(pump: dict[str, Any] | None, key: str) -> Shown:
    if pump is None:
        return Shown()
    value = pump.get(key)
    return Shown(invalid=True) if value is None else Shown(text=f"{value:.{PUMP_PLACES}f}")


# A pump's event as a nurse says it (PCD-10 names, e.g. MDC_EVT_PUMP_DELIV_START).
PUMP_EVENT_WORDS: Final = (
    ("COMPLETE", "Complete"),
    ("START", "Infusing"),
    ("RESUM", "Infusing"),
    ("RATE", "Infusing (rate changed)"),
    ("PAUSE", "Paused"),
    ("STOP", "Stopped"),
)


def pump_event_text(event: str | None) -> str:
    if not event:
        return "No event yet"
    upper = event.upper()
    return next((words for key, words in PUMP_EVENT_WORDS if key in upper), event)


@dataclass(frozen=True, slots=True)
class Box:
    """One numeric box on the room page."""

    key: str
    label: str
    unit: str
    css: str
    shown: Shown
    small: bool = False
    extra: str = ""


def room_boxes(numerics: dict[str, Any] | None) -> list[Box]:
    values = _values(numerics)
    mean = shown(values, mdc.NIBP_MEAN.code)
    return [
        Box("hr", "HR", "/min", "param-hr", shown(values, mdc.HEART_RATE.code)),
        Box("spo2", "SpO2", "%", "param-spo2", shown(values, mdc.SPO2.code)),
        Box(
            "nibp",
            "NIBP",
            "mmHg",
            "param-nibp",
            shown_nibp(values),
            small=True,
            extra=f"mean {mean.text}" if mean.text else "",
        ),
        Box("rr", "RR", "/min", "param-rr", shown(values, mdc.RESP_RATE.code)),
        Box("pr", "PR (SpO2)", "/min", "param-pr", shown(values, mdc.PULSE_RATE_OXIMETER.code)),
        Box("temp", "Temp", "°C", "param-temp", shown(values, mdc.TEMPERATURE.code), small=True),
    ]


def tile_shown(tile: selectors.RoomTile) -> dict[str, Any]:
    values = _values(tile.numerics)
    return {
        "tile": tile,
        "shown": {
            "hr": shown(values, mdc.HEART_RATE.code),
            "spo2": shown(values, mdc.SPO2.code),
            "nibp": shown_nibp(values),
            "rate": shown_pump(tile.pump, "rate_ml_per_h"),
            "dose": shown_pump(tile.pump, "dose_delivered_mg"),
        },
    }


@access(MONITOR_READERS)
def station(request: HttpRequest) -> HttpResponse:
    """Every room at a glance, kept current by one WebSocket."""
    tiles = selectors.station_tiles(by=staff_user(request))
    return render(
        request,
        "monitoring/station.html",
        {
            "shown_tiles": [tile_shown(tile) for tile in tiles],
            "initial": [tile.initial() for tile in tiles],
            "socket_path": MONITOR_STATION_PATH,
            "time_zone": settings.TIME_ZONE,
            "server_now": timezone.now().isoformat(),
            "can_respond": _responder(request),
        },
    )


@access(MONITOR_READERS)
def room(request: HttpRequest, room_id: int) -> HttpResponse:
    """One room live: numerics, ECG and pleth, trends, pump, predicted Cp, alarms."""
    try:
        live = selectors.room_live(room_id=room_id, by=staff_user(request))
    except Room.DoesNotExist:
        raise Http404("No such room.") from None
    plot = None
    elapsed_min = None
    status = live.infusion
    if status is not None:
        if status.pump.started_at is not None:
            elapsed_min = (live.now - status.pump.started_at).total_seconds() / 60.0
        plot = cp_plot(
            status.curve_t_min,
            status.curve_cp_ng_per_ml,
            now_min=elapsed_min,
            cp_now=status.cp_now_ng_per_ml,
        )
    return render(
        request,
        "monitoring/room.html",
        {
            "live": live,
            "room": live.room,
            "visit": live.visit,
            "initials": selectors.initials(live.visit.patient) if live.visit else "",
            "boxes": room_boxes(live.numerics),
            "pump_shown": {
                "event": pump_event_text(live.pump["event"] if live.pump else None),
                **{
                    key: shown_pump(live.pump, key)
                    for key in (
                        "rate_ml_per_h",
                        "dose_delivered_mg",
                        "volume_delivered_ml",
                        "volume_remaining_ml",
                    )
                },
            },
            "status": status,
            "plot": plot,
            "elapsed_min": elapsed_min,
            "initial": live.initial(),
            "socket_path": MONITOR_ROOM_PATH.format(room_id=live.room.pk),
            "time_zone": settings.TIME_ZONE,
            "server_now": live.now.isoformat(),
            "can_respond": _responder(request),
            "pause_min": PAUSE_S // 60,
        },
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


@access(MONITOR_READERS)
def alarm_list(request: HttpRequest) -> HttpResponse:
    """Every alarm, newest first, with who responded and when; filters that cannot be
    read are ignored (shown as unset) rather than refused."""
    priority = request.GET.get("priority", "")
    filters = selectors.AlarmFilter(
        room_id=_int(request.GET.get("room", "")),
        day=_day(request.GET.get("date", "")),
        priority=priority if priority in AlarmPriority.values else "",
    )
    alarms = selectors.alarm_history(filters, by=staff_user(request))
    rows = [
        (alarm, [event for event in alarm.events.all() if event.kind != AlarmEventKind.RAISED])
        for alarm in alarms
    ]
    return render(
        request,
        "monitoring/alarm_list.html",
        {
            "alarms": alarms,
            "rows": rows,
            "filters": filters,
            "rooms": Room.objects.all(),
            "priorities": AlarmPriority.choices,
            "limit": selectors.HISTORY_MAX_ROWS,
        },
    )


# ---- the strips, laid out on the server as SVG numbers (no script, strict CSP) ----

STRIP_WIDTH: Final = 1000
STRIP_HEIGHT: Final = 140
STRIP_PAD: Final = 8


@dataclass(frozen=True, slots=True)
class StripPlot:
    label: str
    start_at: datetime
    seconds: float
    width: int
    height: int
    segments: list[str]  # polyline points; a new segment after each invalid run
    second_marks: list[float]  # x of each whole second (the grid)
    alarm_x: float | None  # where the alarm was raised
    invalid_count: int


def strip_plot(strip: selectors.StripView, raised_at: datetime) -> StripPlot:
    """Scale one strip to the box: time across, the strip's own range up the side."""
    samples = strip.samples
    valid = [s for s in samples if s is not None]
    seconds = len(samples) / strip.sample_rate_hz if strip.sample_rate_hz else 0.0
    low, high = (min(valid), max(valid)) if valid else (0.0, 1.0)
    span = (high - low) or 1.0
    inner_h = STRIP_HEIGHT - 2 * STRIP_PAD
    step = STRIP_WIDTH / max(len(samples) - 1, 1)
    segments: list[str] = []
    current: list[str] = []
    for index, sample in enumerate(samples):
        if sample is None:
            if len(current) > 1:
                segments.append(" ".join(current))
            current = []
            continue
        y = STRIP_PAD + inner_h * (1 - (sample - low) / span)
        current.append(f"{index * step:.1f},{y:.1f}")
    if len(current) > 1:
        segments.append(" ".join(current))
    offset_s = (raised_at - strip.start_at).total_seconds()
    alarm_x = STRIP_WIDTH * offset_s / seconds if seconds and 0 <= offset_s <= seconds else None
    marks = [STRIP_WIDTH * s / seconds for s in range(1, int(seconds) + 1)] if seconds else []
    return StripPlot(
        label=strip.label,
        start_at=strip.start_at,
        seconds=seconds,
        width=STRIP_WIDTH,
        height=STRIP_HEIGHT,
        segments=segments,
        second_marks=marks,
        alarm_x=alarm_x,
        invalid_count=len(samples) - len(valid),
    )


@access(MONITOR_READERS)
def alarm_page(request: HttpRequest, alarm_id: str) -> HttpResponse:
    """One alarm: what, when, the value and limit, every response, and its strips."""
    try:
        detail = selectors.alarm_detail(alarm_id=alarm_id, by=staff_user(request))
    except Alarm.DoesNotExist:
        raise Http404(NO_SUCH_ALARM) from None
    alarm = detail.alarm
    return render(
        request,
        "monitoring/alarm.html",
        {
            "alarm": alarm,
            "events": detail.events,
            "strips": [strip_plot(strip, alarm.raised_at) for strip in detail.strips],
            "initials": selectors.initials(alarm.visit.patient) if alarm.visit else "",
        },
    )


# ---- responses ----


def _back(request: HttpRequest, alarm: Alarm | None) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if alarm is not None:
        return reverse("monitoring:room", kwargs={"room_id": alarm.room_id})
    return reverse("monitoring:station")


def _respond(request: HttpRequest, response: Response) -> HttpResponse:
    """Read the form, call the service, answer the script (JSON) or the form (redirect)."""
    user = staff_user(request)
    wants_json = request.headers.get(FETCH_HEADER) == "1"
    alarm = Alarm.objects.filter(alarm_id=request.POST.get("alarm", "")).first()
    errors: dict[str, Any] = {}
    if alarm is None:
        errors = {"alarm": [NO_SUCH_ALARM]}
    else:
        try:
            alarm_respond(
                alarm=alarm,
                by=user,
                response=response,
                seconds=PAUSE_S if response == "silence" else None,
            )
        except ValidationError as error:
            errors = error.message_dict
        except PermissionDenied as error:
            errors = {"alarm": [str(error)]}
    if wants_json:
        if errors:
            return JsonResponse({"ok": False, "errors": errors}, status=422)
        return JsonResponse({"ok": True, "response": response}, status=202)
    if errors:
        for texts in errors.values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(
            request,
            "Acknowledged." if response == "acknowledge" else f"Audio paused {PAUSE_S // 60} min.",
        )
    return redirect(_back(request, alarm))


@access(ALARM_RESPONDERS)
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the alarm named in the form (``alarm``: the engine's id)."""
    return _respond(request, "acknowledge")


@access(ALARM_RESPONDERS)
@require_POST
def silence(request: HttpRequest) -> HttpResponse:
    """Pause the audio of the alarm named in the form for two minutes."""
    return _respond(request, "silence")
