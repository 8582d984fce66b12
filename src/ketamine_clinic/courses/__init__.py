"""Treatment protocols (as data) and each patient's course of infusions."""
