"""Course scheduling: place a patient's infusions in rooms, with nurses and a prescriber.

Pure Python + OR-Tools CP-SAT; imports nothing from Django (a test checks), so the
``courses`` and ``visits`` apps call it with plain data and store what it returns.

- ``model``: the problem and its answers as frozen dataclasses (times in minutes from the
  horizon's start; see that module).
- ``validation``: ``validate_inputs`` (bad input raises ``SchedulingInputError``) and
  ``validate_schedule`` (an independent checker of every constraint).
- ``cpsat``: ``plan_course``, ``replan`` and ``plan_month`` on CP-SAT.
- ``greedy``: ``greedy_first_fit``, the baseline the benchmark compares against.
- ``windows``: where a visit of a course may start (shared by both planners, not by the
  checker).
"""
