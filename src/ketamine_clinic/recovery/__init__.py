"""Recovery and discharge: the criteria to leave, the escort handover, the advice and the
visit's summary."""
