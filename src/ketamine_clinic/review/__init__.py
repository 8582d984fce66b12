"""The prescriber's review queue: everything waiting for a prescriber, oldest first."""
