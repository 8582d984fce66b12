"""Simulated bedside devices for the demo and the benchmark: a virtual patient, a monitor
that sends PCD-01 over MLLP, and a syringe pump that takes PCD-03 programs.

Pure asyncio and numpy, no Django. Import from the modules (``sim.room``, ``sim.monitor``,
``sim.pump``, ``sim.patient``, ``sim.clock``).
"""
