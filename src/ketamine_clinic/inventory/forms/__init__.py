"""Forms of the controlled-substance pages: they parse what was typed; the services hold the rules."""
