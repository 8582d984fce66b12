"""`ketamine-clinic pk`: pharmacokinetic predictions from the command line.

``pk simulate`` predicts plasma (and assumed effect-site) concentrations for one patient
and one infusion program; ``pk tci`` works out the rate schedule that reaches and holds a
target concentration; ``pk population`` shows how concentrations spread across
patients. Pure computation (:mod:`ketamine_clinic.pharmacology`): no
database and no Django. Plots (``--plot FILE.svg|.png``) need matplotlib, imported only
when asked for.

Exit status: 0 when the prediction is printed; 2 when an option is wrong or the engine
refuses (one line on stderr naming the option).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from ketamine_clinic.cli import pk_population, pk_simulate, pk_tci
from ketamine_clinic.cli.base import Subcommand


@dataclass(frozen=True)
class Action:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


ACTIONS: tuple[Action, ...] = (
    Action(
        name="simulate",
        help="predict Cp (and Ce) over time for a weight-based infusion, with rate changes",
        configure=pk_simulate.configure,
        run=pk_simulate.run,
    ),
    Action(
        name="tci",
        help="target-controlled infusion: the rate schedule (mL/h) a pump runs to reach and "
        "hold a plasma or (assumed-ke0) effect-site target",
        configure=pk_tci.configure,
        run=pk_tci.run,
    ),
    Action(
        name="population",
        help="the spread of Cp across many simulated patients: percentile bands and the "
        "share above thresholds (variability published or an assumed default)",
        configure=pk_population.configure,
        run=pk_population.run,
    ),
)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pk_command", metavar="ACTION", required=True)
    for action in ACTIONS:
        action_parser = sub.add_parser(action.name, help=action.help, description=action.help)
        action.configure(action_parser)
        action_parser.set_defaults(pk_run=action.run)


def run(args: argparse.Namespace) -> int:
    return int(args.pk_run(args))


COMMAND = Subcommand(
    name="pk",
    help="Pharmacokinetic predictions (simulate, tci, population); model output for decision "
    "support. Needs no database.",
    configure=configure,
    run=run,
)
