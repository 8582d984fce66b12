"""Sending a visit's program to the pump in its room (PCD-03): the order's numbers reach a
real (simulated) pump over MLLP, its answer is recorded and audited, refusals keep the
pump's reason, a silent pump is recorded as no answer, and the interlock holds the
running program."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.devices.pcd_build import Sender
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.pump import PumpConfig, SimulatedPump
from ketamine_clinic.infusion.services import infusion_pause, infusion_start, infusion_titrate
from ketamine_clinic.monitoring.models import Device, DeviceKind, PumpProgramSent
from ketamine_clinic.monitoring.pump_programs import (
    NO_PUMP,
    NOTHING_LEFT,
    pump_interlock_pause,
    pump_program_send,
)
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.visits.models import Visit
from tests.conftest import client_for
from tests.infusion.support import at, make_ready_visit, prepared
from tests.monitoring.support import T0, room_with_monitor
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db
PUMP_EUI = "024B430200000003"


class PumpThread:
    """A simulated pump listening on its own event loop in a thread."""

    def __init__(self, config: PumpConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.pump = SimulatedPump(Sender("KC_SIM_PUMP", PUMP_EUI), clock=SimClock(), config=config)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.pump.serve(), self.loop).result(5)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.pump.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def pump() -> Iterator[PumpThread]:
    running = PumpThread(PumpConfig(auto_confirm=True, max_rate_ml_per_h=Decimal("500")))
    yield running
    running.close()


def visit_with_pump(personas: dict[str, User], port: int | None) -> Visit:
    visit = make_ready_visit(personas)
    room = room_with_monitor()
    Visit.objects.filter(pk=visit.pk).update(room=room)
    Device.objects.create(
        eui64=PUMP_EUI,
        kind=DeviceKind.PUMP,
        model="Sim pump",
        room=room,
        program_endpoint=f"127.0.0.1:{port}" if port else "",
        registered_at=T0,
    )
    visit.refresh_from_db()
    return visit


def started_with_pump(personas: dict[str, User], port: int) -> Visit:
    """A visit with a pump in its room, its infusion started in the record at ``at(0)``."""
    visit = visit_with_pump(personas, port)
    prepared(visit, personas)
    with frozen(at(0)):
        infusion_start(visit, by=personas["nurse"])
    return visit


def test_the_orders_program_reaches_the_pump_and_its_answer_is_recorded(
    personas: dict[str, User], pump: PumpThread
) -> None:
    visit = visit_with_pump(personas, pump.port)
    order = current_order(visit)
    assert order is not None
    sent = pump_program_send(visit=visit, by=personas["nurse"])
    assert (sent.reply_code, sent.order_control, sent.program_id) == ("AA", "NW", f"KC-V{visit.pk}")
    program = pump.pump.program
    assert program is not None
    assert program.rate_ml_per_h == Decimal(str(order.plan["rate_ml_per_h"])).quantize(
        Decimal("0.1")
    )
    assert program.volume_to_infuse_ml == sent.volume_to_infuse_ml
    assert program.concentration_mg_per_ml == order.concentration_mg_per_ml
    assert program.patient_id == visit.patient.mrn
    assert pump.pump.state == "running"  # the simulated nurse confirmed it at the pump
    entry = AuditEntry.objects.filter(object_type="pump_program").get()
    assert entry.detail["reply"] == "AA" and entry.actor_username == personas["nurse"].username


def test_a_program_sent_mid_infusion_carries_what_is_left_at_the_rate_in_force(
    personas: dict[str, User], pump: PumpThread
) -> None:
    # 72.5 kg, 0.5 mg/kg over 55 min at 1 mg/mL: 36.25 mL at 39.5 mL/h (the order). The
    # record: 10 min at 39.5, +10% to 43.5 mL/h, 10 min more, paused (a pump replaced):
    # 6.5833 + 7.25 = 13.8333 mL given, 22.4167 mL left, sent as 22.41 (rounded down).
    nurse = personas["nurse"]
    visit = started_with_pump(personas, pump.port)
    with frozen(at(10)):
        infusion_titrate(visit, by=nurse, step=TitrationStep.by_percent(10), step_text="+10%")
    with frozen(at(20)):
        infusion_pause(visit, by=nurse, reason="pump replaced")
    page = client_for(nurse).get(reverse("clinicday:room", args=[visit.pk]))
    assert b"Send the rest of the program to the pump" in page.content
    assert b"What the record shows is left (about 22.4 mL)" in page.content
    sent = pump_program_send(visit=visit, by=nurse)
    assert sent.reply_code == "AA"
    assert (sent.rate_ml_per_h, sent.volume_to_infuse_ml) == (Decimal("43.5"), Decimal("22.41"))
    program = pump.pump.program
    assert program is not None
    assert (program.rate_ml_per_h, program.volume_to_infuse_ml) == (
        Decimal("43.5"),
        Decimal("22.41"),
    )
    # A titration sent to it carries the same 22.41 mL still to go (the record is paused).
    slower = pump_program_send(
        visit=visit, by=nurse, order_control="XO", rate_ml_per_h=Decimal("30")
    )
    assert (slower.reply_code, slower.rate_ml_per_h, slower.volume_to_infuse_ml) == (
        "AA",
        Decimal("30.0"),
        Decimal("22.41"),
    )
    assert pump.pump.rate_ml_per_h == 30.0


def test_no_program_is_sent_when_the_record_shows_the_whole_order_given(
    personas: dict[str, User], pump: PumpThread
) -> None:
    nurse = personas["nurse"]
    visit = started_with_pump(personas, pump.port)
    with frozen(at(56)), pytest.raises(ValidationError) as info:  # 36.25 mL take 55.1 min
        pump_program_send(visit=visit, by=nurse)
    assert info.value.message_dict == {"program": [NOTHING_LEFT]}
    assert not PumpProgramSent.objects.exists()
    assert pump.pump.program is None


def test_a_refusal_keeps_the_pumps_reason(personas: dict[str, User], pump: PumpThread) -> None:
    visit = visit_with_pump(personas, pump.port)
    Visit.objects.filter(pk=visit.pk).update(state="infusing")
    visit.refresh_from_db()
    pump_program_send(visit=visit, by=personas["nurse"])
    too_fast = pump_program_send(
        visit=visit, by=personas["nurse"], order_control="XO", rate_ml_per_h=Decimal("900")
    )
    assert too_fast.reply_code == "AE"
    assert "900" in too_fast.reply_text and "500" in too_fast.reply_text


def test_a_silent_pump_is_recorded_as_no_answer(personas: dict[str, User]) -> None:
    visit = visit_with_pump(personas, 1)  # nothing listens on port 1
    sent = pump_program_send(visit=visit, by=personas["prescriber"])
    assert sent.reply_code == ""
    assert sent.reply_text.startswith("no answer from the pump at 127.0.0.1:1")


def test_refusals_before_sending_name_the_field(personas: dict[str, User]) -> None:
    visit = make_ready_visit(personas)
    with pytest.raises(ValidationError) as no_pump:
        pump_program_send(visit=visit, by=personas["nurse"])
    assert no_pump.value.message_dict == {"pump": [NO_PUMP]}
    with pytest.raises(PermissionDenied):
        pump_program_send(visit=visit, by=personas["front_desk"])
    with pytest.raises(ValidationError) as hold_first:
        pump_program_send(visit=visit, by=personas["nurse"], order_control="HD")
    assert "visit" in hold_first.value.message_dict
    assert not PumpProgramSent.objects.exists()


def test_the_interlock_holds_the_running_program(
    personas: dict[str, User], pump: PumpThread
) -> None:
    visit = visit_with_pump(personas, pump.port)
    pump_program_send(visit=visit, by=personas["nurse"])
    Visit.objects.filter(pk=visit.pk).update(state="infusing")
    assert visit.room_id is not None
    pump_interlock_pause(
        room_id=visit.room_id,
        alarm_id="3/MDC_PULS_OXIM_SAT_O2:low/x",
        reason="SpO2 82 %: below 85",
        at=datetime.now(UTC),
    )
    hold = PumpProgramSent.objects.get(order_control="HD")
    assert (hold.reply_code, hold.sent_by) == ("AA", None)
    assert hold.reason.startswith("interlock 3/MDC_PULS_OXIM_SAT_O2:low/x")
    assert pump.pump.state == "paused"


def test_the_room_page_sends_the_program_and_shows_the_pumps_answer(
    personas: dict[str, User], pump: PumpThread
) -> None:
    visit = visit_with_pump(personas, pump.port)
    nurse = client_for(personas["nurse"])
    page = nurse.get(reverse("clinicday:room", args=[visit.pk]))
    assert b"Send the ordered program to the pump" in page.content
    sent = nurse.post(reverse("clinicday:send_to_pump", args=[visit.pk]), follow=True)
    assert (
        b"The pump took the program (36.25 mL at 39.5 mL/h): confirm it at the pump to start."
        in sent.content
    )
    assert b"taken by the pump" in sent.content
    assert PumpProgramSent.objects.get().sent_by == personas["nurse"]
    # The front desk may not send programs.
    desk = client_for(personas["front_desk"])
    assert desk.post(reverse("clinicday:send_to_pump", args=[visit.pk])).status_code == 403


def test_a_refusal_is_shown_on_the_room_page(personas: dict[str, User]) -> None:
    visit = visit_with_pump(personas, 1)  # nothing listens
    response = client_for(personas["nurse"]).post(
        reverse("clinicday:send_to_pump", args=[visit.pk])
    )
    assert response.status_code == 422
    assert b"The pump did not answer" in response.content
    assert b"Nothing was started." in response.content
