"""`ketamine-clinic fhir`: FHIR R4: export a patient's record as a Bundle, import Patient
resources, and register the client applications that may read /fhir/r4/.

The export is a Bundle of type "collection" (the REST endpoint's $everything answers
with a "searchset"). It is read from the database like any other read of patient data:
audited, with the command line as the channel. A client's token is printed once, to
stdout alone, so it can be piped into the client's configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ketamine_clinic.cli.base import (
    CliError,
    Subcommand,
    cli_audit_context,
    service_refusal,
    setup_django,
)

DEFAULT_BASE_URL = "http://localhost:8000/fhir/r4/"
FIELD_OPTIONS = {"name": "--name", "scope": "--scope"}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export",
        help="write one patient's record as a FHIR R4 Bundle (type collection)",
        description="Write a FHIR R4 Bundle of everything about one patient: Patient, "
        "Encounters, vitals and score Observations, QuestionnaireResponses, "
        "MedicationRequests, MedicationAdministrations, Procedures and Devices.",
    )
    export.add_argument("--patient", required=True, help="the patient's id or MRN (KC000012)")
    export.add_argument("--out", help="write the Bundle to this file instead of stdout")
    export.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        help=f"the server base the entries' fullUrls are under (default {DEFAULT_BASE_URL})",
    )
    imp = sub.add_parser(
        "import",
        help="register the Patient resources of a Bundle (all or none)",
        description="Register every Patient in a FHIR Bundle as a new patient with a new "
        "MRN. Every entry is checked first; if any is invalid, nothing is written and each "
        "problem is printed with its entry index and field. Other resource types are skipped.",
    )
    imp.add_argument("file", help="the Bundle's JSON file ('-' reads stdin)")
    client = sub.add_parser(
        "client", help="client applications allowed to read /fhir/r4/ (add, list, revoke)"
    )
    client_sub = client.add_subparsers(dest="client_command", metavar="ACTION", required=True)
    add = client_sub.add_parser(
        "add",
        help="register a client application; prints its token once",
        description="Register a client application and print its bearer token once on "
        "stdout (only its hash is stored).",
    )
    add.add_argument("--name", required=True, help="who will read, e.g. 'Regional HIE'")
    add.add_argument(
        "--scope",
        action="append",
        required=True,
        help="a scope such as system/Patient.read or system/*.read (repeat for more)",
    )
    client_sub.add_parser("list", help="list registered clients, revoked ones included")
    revoke = client_sub.add_parser("revoke", help="revoke a client's token at once")
    revoke.add_argument("client_id", type=int, help="the client's id, as `client list` shows it")


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import DatabaseError

    try:
        with cli_audit_context("fhir"):
            if args.fhir_command == "export":
                return _export(args)
            if args.fhir_command == "import":
                return _import(args)
            return _client(args)
    except DatabaseError as exc:
        raise CliError(f"fhir: cannot use the database: {exc}") from exc


def _export(args: argparse.Namespace) -> int:
    from ketamine_clinic.fhir.selectors import patient_bundle
    from ketamine_clinic.patients.models import Patient

    wanted = args.patient.strip()
    patient = Patient.objects.filter(mrn__iexact=wanted).first()
    if patient is None and wanted.isdigit() and len(wanted) <= 18:
        patient = Patient.objects.filter(pk=int(wanted)).first()
    if patient is None:
        raise CliError(f"--patient: no patient has the id or MRN {wanted!r}")
    bundle = patient_bundle(
        patient=patient,
        client=None,
        interaction="export",
        bundle_type="collection",
        base_url=args.base_url,
    )
    text = bundle.model_dump_json(indent=2)
    if args.out:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--out: cannot write {args.out}: {exc.strerror}") from exc
        count = len(bundle.entry or [])
        print(f"wrote {count} resources for {patient.mrn} to {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def _import(args: argparse.Namespace) -> int:
    from ketamine_clinic.fhir.import_bundle import BundleImportRefused, import_patients

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"file: cannot read {args.file}: {exc}") from exc
    try:
        result = import_patients(text=text, by=None)
    except BundleImportRefused as refused:
        # One line, as every command reports a fixable error; each problem names its entry.
        raise CliError(f"import refused, nothing was written: {refused}") from refused
    for source, patient in result.created:
        was = f" (was {source.mrn_in_bundle})" if source.mrn_in_bundle else ""
        print(f"entry[{source.entry}]: registered {patient.mrn}{was} {patient.display_name}")
    print(
        f"imported {len(result.created)} patient(s); skipped {result.skipped_entries} "
        "entries of other resource types",
        file=sys.stderr,
    )
    return 0


def _client(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from ketamine_clinic.fhir.clients import (
        FhirClientError,
        fhir_client_create,
        fhir_client_revoke,
        fhir_clients,
    )

    if args.client_command == "add":
        try:
            issued = fhir_client_create(name=args.name, scopes=args.scope, by=None)
        except ValidationError as exc:
            raise CliError(service_refusal(exc.message_dict, FIELD_OPTIONS)) from exc
        print(
            f"registered FHIR client {issued.client.pk} {issued.client.name!r} "
            f"({issued.client.scopes}); store its token now, it will not be shown again:",
            file=sys.stderr,
        )
        print(issued.secret)
        return 0
    if args.client_command == "list":
        for client in fhir_clients():
            state = (
                f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z" if client.revoked_at else "active"
            )
            used = f"{client.last_used_at:%Y-%m-%d %H:%M}Z" if client.last_used_at else "never"
            print(
                f"{client.pk}\t{client.name}\t{client.prefix}…\t{client.scopes}\t{state}\t"
                f"last used {used}"
            )
        return 0
    try:
        client = fhir_client_revoke(client_id=args.client_id, by=None)
    except FhirClientError as exc:
        raise CliError(str(exc)) from exc
    print(f"revoked FHIR client {client.pk} {client.name!r}")
    return 0


COMMAND = Subcommand(
    name="fhir",
    help="FHIR R4: export a patient's record as a Bundle, import Patient resources, clients",
    configure=configure,
    run=run,
)
