"""The infusion visit: its state machine, pre-infusion checks, vitals and instructions."""
