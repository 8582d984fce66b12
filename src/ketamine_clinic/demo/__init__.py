"""The demo clinic: synthetic staff and patients for `make demo`."""
