"""A synthetic clinic at real scale (`ketamine-clinic generate`), and the demo's history.

``plan.py`` (pure: who, when, which room, what dose) and ``trajectory.py`` (pure: how the
scores move) decide everything from one seed; ``rows.py`` and ``stock.py`` turn the plan
into the rows the clinical services would have written, inserted in bulk; ``services.py``
is the entry point with its refusals and its one audit entry. Every person is made up.
"""
