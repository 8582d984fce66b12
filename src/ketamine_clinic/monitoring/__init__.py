"""Live monitoring: the device registry, what monitors and pumps sent (attached to the
visit in their room), alarms, and the live room and central-station views."""
