"""The alarm engine: IEC 60601-1-8 alarm conditions decided from what the monitors send.

Pure Python, no Django (DESIGN.md: pure cores). The monitoring app feeds ``AlarmEngine``
every stored observation and device condition, stores the events it returns (they are the
alarm history: who responded and when) and shows ``AlarmEngine.state(room)`` live.

Modules: ``enums`` (priorities, kinds), ``limits`` (the clinic's limits and each patient's
adjustments), ``policy`` (delays for technical alarms, escalation, silence, the interlock
switch), ``advisories`` (ketamine advisories from the clinical reference), ``events``
(what the engine decides), ``engine`` (the state per room and condition), ``live`` (its
mutable state), ``messages`` (the words a nurse reads), ``device_events`` (a device's own
alert or pump event read as a technical condition).
"""
