"""Named exceptions of the pharmacokinetic engine.

Each message is what a person reads: it names the field or covariate and the reason.
"""

from __future__ import annotations

from typing import Final


class PharmacologyError(Exception):
    """Base of every refusal of the pharmacokinetic engine."""


OUTSIDE_POPULATION_MESSAGE: Final = (
    "{model}: {covariate} {value:g} {unit} is outside the model's population "
    "({low:g}-{high:g} {unit}; {population})."
)
MISSING_COVARIATE_MESSAGE: Final = (
    "{model}: {covariate} is required; the model's population is {low:g}-{high:g} {unit} "
    "({population})."
)


class OutsideModelPopulation(PharmacologyError, ValueError):
    """The patient lies outside the population a model was fitted on.

    Attributes
    ----------
    model : str
        Title of the model (``"Herd 2007"``).
    covariate : str
        Name of the covariate with its unit (``"age_years"``, ``"weight_kg"``).
    value : float | None
        The patient's value; ``None`` when it was required but not given.
    low, high : float
        The model's range for that covariate.
    """

    def __init__(
        self,
        *,
        model: str,
        covariate: str,
        value: float | None,
        low: float,
        high: float,
        unit: str,
        population: str,
    ) -> None:
        if value is None:
            message = MISSING_COVARIATE_MESSAGE.format(
                model=model,
                covariate=covariate,
                low=low,
                high=high,
                unit=unit,
                population=population,
            )
        else:
            message = OUTSIDE_POPULATION_MESSAGE.format(
                model=model,
                covariate=covariate,
                value=value,
                low=low,
                high=high,
                unit=unit,
                population=population,
            )
        super().__init__(message)
        self.model = model
        self.covariate = covariate
        self.value = value
        self.low = low
        self.high = high


class InvalidPatient(PharmacologyError, ValueError):
    """A covariate cannot be a person's (not finite, zero or negative).

    Unlike :class:`OutsideModelPopulation` this is never overridable with ``force``.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidModel(PharmacologyError, ValueError):
    """A model's parameters are not a valid linear mammillary model."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownModel(PharmacologyError, LookupError):
    """No model in the catalogue has that name."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"model: no model named {name!r}; known models: {', '.join(known)}")
        self.name = name


class InvalidProgram(PharmacologyError, ValueError):
    """An infusion program or a rate change is not valid.

    ``field`` names the offending field (``"rates_mg_per_h[2]"``, ``"changes[0]"``); the
    message reads ``"<field>: <reason>"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidTimeGrid(PharmacologyError, ValueError):
    """The output times of a simulation are not finite, non-negative and sorted."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"t_s: {reason}")
        self.reason = reason


class InvalidPopulationRequest(PharmacologyError, ValueError):
    """A population simulation's inputs or variability are not valid.

    ``field`` names the input (``"n_patients"``, ``"percentiles[2]"``,
    ``"variability.omega_squared_v1"``); the message reads ``"<field>: <reason>"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidPharmacodynamicInput(PharmacologyError, ValueError):
    """A concentration-effect model was given a negative or non-finite input.

    ``field`` names the input (``"cp_ng_per_ml"``, ``"baseline_map_mmhg"``).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
