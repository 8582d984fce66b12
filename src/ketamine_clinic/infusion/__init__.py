"""During the infusion: the pump's events, titration within the library, delivered dose,
the predicted concentration, adverse events and notes on experience and setting."""
