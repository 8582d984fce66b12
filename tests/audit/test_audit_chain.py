"""The pure hash chain: any change to any entry is caught at exactly that entry."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.audit.chain import (
    DETAIL_INT_MAX,
    DETAIL_INT_MIN,
    GENESIS_HASH,
    ChainFields,
    StoredEntry,
    canonical_bytes,
    detail_problem,
    entry_hash,
    first_break,
)

# Text that every database stores as given (no NUL, no lone surrogates).
plain_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=12,
)
detail_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=DETAIL_INT_MIN, max_value=DETAIL_INT_MAX)
    | plain_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(plain_text, children, max_size=3)
    ),
    max_leaves=8,
)
details = st.dictionaries(plain_text, detail_values, max_size=4)

chain_fields = st.builds(
    ChainFields,
    seq=st.just(0),  # set when the chain is built
    at=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes the values aware
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    actor_id=st.none() | st.integers(min_value=1, max_value=10_000),
    actor_username=plain_text,
    actor_roles=st.lists(st.sampled_from(["nurse", "prescriber", "clinic_lead"]), max_size=2)
    .map(sorted)
    .map(tuple),
    action=st.sampled_from(["read", "create", "sign_in", "audit_viewed"]),
    object_type=plain_text,
    object_id=plain_text,
    patient_id=plain_text,
    request_id=plain_text,
    client_address=plain_text,
    channel=st.sampled_from(["web", "api", "cli:demo", "system"]),
    reason=plain_text,
    detail=details,
)


def build_chain(all_fields: list[ChainFields]) -> list[StoredEntry]:
    """Link `all_fields` into a chain as `audit_record` would, numbering from seq 1."""
    entries = []
    prev = GENESIS_HASH
    for index, fields in enumerate(all_fields):
        numbered = dataclasses.replace(fields, seq=index + 1)
        digest = entry_hash(prev, numbered)
        entries.append(StoredEntry(pk=1000 + index, fields=numbered, prev_hash=prev, hash=digest))
        prev = digest
    return entries


def head_of(entries: list[StoredEntry]) -> dict[str, Any]:
    if not entries:
        return {"head_seq": 0, "head_hash": GENESIS_HASH}
    return {"head_seq": entries[-1].fields.seq, "head_hash": entries[-1].hash}


chains = st.lists(chain_fields, min_size=1, max_size=6).map(build_chain)

FIELD_NAMES = [field.name for field in dataclasses.fields(ChainFields)]


def changed(name: str, value: Any, data: st.DataObject) -> Any:
    """A value for field `name` that differs from `value`."""
    if name == "seq":
        return value + data.draw(st.sampled_from([-1, 1, 2, 1000]))
    if name == "at":
        return value + timedelta(microseconds=data.draw(st.integers(min_value=1, max_value=10**9)))
    if name == "actor_id":
        return 1 if value is None else data.draw(st.sampled_from([None, value + 1]))
    if name == "actor_roles":
        return (*value, "administrator")
    if name == "detail":
        return {**value, "tampered": data.draw(detail_values)} if "tampered" not in value else {}
    suffix = data.draw(st.text(min_size=1, max_size=3))
    return value + suffix


@given(chain=chains)
def test_an_intact_chain_has_no_break(chain: list[StoredEntry]) -> None:
    assert first_break(chain, **head_of(chain)) is None


@given(chain=chains, data=st.data())
def test_changing_any_field_of_any_entry_is_caught_at_exactly_that_entry(
    chain: list[StoredEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 1))
    target = chain[index]
    name = data.draw(st.sampled_from([*FIELD_NAMES, "prev_hash", "hash"]))
    if name in ("prev_hash", "hash"):
        forged = dataclasses.replace(target, **{name: changed(name, getattr(target, name), data)})
    else:
        new_fields = dataclasses.replace(
            target.fields, **{name: changed(name, getattr(target.fields, name), data)}
        )
        forged = dataclasses.replace(target, fields=new_fields)
    tampered = [*chain[:index], forged, *chain[index + 1 :]]

    broken = first_break(tampered, **head_of(chain))

    assert broken is not None
    assert broken.pk == target.pk


@given(chain=chains, data=st.data())
def test_deleting_any_entry_is_caught_at_the_next_entry_or_at_the_head(
    chain: list[StoredEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 1))
    remaining = chain[:index] + chain[index + 1 :]

    broken = first_break(remaining, **head_of(chain))

    assert broken is not None
    if index == len(chain) - 1:
        assert broken.seq is None
        assert f"its head records seq {len(chain)}" in broken.reason
    else:
        assert broken.pk == chain[index + 1].pk
        assert broken.reason == f"expected seq {index + 1}: an entry is missing before it"


@given(chain=st.lists(chain_fields, min_size=2, max_size=6).map(build_chain), data=st.data())
def test_swapping_two_neighbours_is_caught_at_the_first_of_them(
    chain: list[StoredEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 2))
    swapped = [*chain[:index], chain[index + 1], chain[index], *chain[index + 2 :]]

    broken = first_break(swapped, **head_of(chain))

    assert broken is not None
    assert broken.pk == chain[index + 1].pk  # now in the earlier position


@given(fields=chain_fields)
def test_the_canonical_encoding_survives_a_json_round_trip_that_reorders_keys(
    fields: ChainFields,
) -> None:
    # What jsonb does: give the detail back with its keys in another order.
    reordered = json.loads(json.dumps(fields.detail))
    reversed_detail = dict(reversed(list(reordered.items())))
    again = dataclasses.replace(fields, detail=reversed_detail)

    assert canonical_bytes(again) == canonical_bytes(fields)
    assert entry_hash(GENESIS_HASH, again) == entry_hash(GENESIS_HASH, fields)


@given(value=detail_values)
def test_every_plain_json_value_is_accepted_as_detail(value: Any) -> None:
    assert detail_problem({"v": value}) is None


def test_an_empty_chain_with_an_empty_head_is_intact() -> None:
    assert first_break([], head_seq=0, head_hash=GENESIS_HASH) is None


def test_a_head_ahead_of_the_entries_is_reported_as_entries_deleted_from_the_end() -> None:
    broken = first_break([], head_seq=3, head_hash="a" * 64)

    assert broken is not None
    assert broken.describe() == (
        "audit trail: the chain ends at seq 0 but its head records seq 3: "
        "entries were deleted from the end or the head was altered"
    )


def test_detail_problems_name_the_path_and_the_reason() -> None:
    assert detail_problem({"dose": 1.5}) == (
        "detail['dose'] is of type float; only str, int, bool, None and lists/dicts of "
        "those are allowed"
    )
    assert detail_problem({"a": [1, {"b": (1, 2)}]}) == (
        "detail['a'][1]['b'] is of type tuple; only str, int, bool, None and lists/dicts of "
        "those are allowed"
    )
    assert detail_problem({1: "x"}) == "detail has a key of type int; keys must be str"
    assert detail_problem({"q": "a\x00b"}) == "detail['q'] contains a NUL character"
    assert detail_problem({"q": "\ud800"}) == (
        "detail['q'] contains an unpaired surrogate (not valid Unicode text)"
    )
    assert detail_problem({"n": 2**63}) == (
        "detail['n'] is an integer outside the signed 64-bit range"
    )
    assert detail_problem({"n": -(2**63)}) is None
