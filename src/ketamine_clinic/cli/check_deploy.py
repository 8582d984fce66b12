"""`ketamine-clinic check-deploy`: refuse an unsafe production configuration.

Exit 0 when safe; 1 listing every problem (ours, then Django's own deployment checks);
2 when the configuration cannot even be loaded.
"""

from __future__ import annotations

import argparse
import sys

from ketamine_clinic.cli.base import Subcommand, positive_int, setup_django
from ketamine_clinic.deploy_checks import deploy_problems, django_deploy_problems


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="web workers you will run (default: KC_WEB_WORKERS)",
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    workers = args.workers if args.workers is not None else settings.KC_WEB_WORKERS
    problems = deploy_problems(settings, workers=workers) + django_deploy_problems()
    for problem in problems:
        print(f"UNSAFE: {problem}", file=sys.stderr)
    if problems:
        print(
            f"check-deploy: {len(problems)} problem(s); this configuration must not hold patient data",
            file=sys.stderr,
        )
        return 1
    print("check-deploy: configuration is safe for production")
    return 0


COMMAND = Subcommand(
    name="check-deploy",
    help="Fail loudly if the configuration is unsafe for production.",
    configure=configure,
    run=run,
)
