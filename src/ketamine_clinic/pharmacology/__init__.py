"""The pharmacokinetic engine: pure Python, numpy and scipy, no web framework.

Models are data (:mod:`.models`), an infusion program is an immutable value
(:mod:`.program`), and the solver (:mod:`.solver`) computes plasma, effect-site and
metabolite concentrations exactly for piecewise-constant infusions and boluses.
Domain failures are named exceptions (:mod:`.errors`).

Nothing here imports Django or any other part of ``ketamine_clinic``; the package is
usable as a library on its own. Import from the modules themselves, e.g.
``from ketamine_clinic.pharmacology.solver import simulate``.
"""
