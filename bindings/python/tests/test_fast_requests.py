"""Records written in one step (strongroom/_fast_requests.py) write exactly what uniffi's do.

Every other test in this directory already sends its requests through them; these compare
them with the generated writers byte for byte, on random records of every kind and on
values the checks would refuse, and check which pieces of the generated module they write
in place.
"""

import ctypes
import random

import pytest

import strongroom
from strongroom import _fast_buffers, _fast_records, _fast_requests
from strongroom._native import strongroom as generated
from conftest import new_card
from test_fast_records import TEXTS, changed_generated, generated_text, random_value


def outcome(converter, value, which):
    """What writing `value` with `converter` gives: ("wrote", bytes) or ("raised", type,
    message). `which` is "ours" (the installed writers, the faster builder) or "generated"
    (uniffi's builder, so uniffi's writers all the way down)."""
    builder_class = generated._UniffiRustBufferBuilder if which == "ours" else _fast_buffers.GENERATED["builder"]
    builder = builder_class()
    try:
        converter.write(value, builder)
    except Exception as e:  # noqa: BLE001 - compared with what the generated writer raises
        builder.discard()
        return ("raised", type(e), str(e))
    rbuf = builder.finalize()
    try:
        return ("wrote", ctypes.string_at(rbuf.data, rbuf.len))
    finally:
        rbuf.free()


def assert_written_alike(converter, value):
    ours, theirs = outcome(converter, value, "ours"), outcome(converter, value, "generated")
    assert ours == theirs
    return ours


def test_random_records_of_every_kind_are_written_as_the_generated_writers_write_them():
    kinds = _fast_records.plan(generated_text())
    records = [name for name, kind in kinds.items() if kind[0] == "record"]
    assert len(records) == 33
    rng = random.Random(19)
    for name in records:
        converter = getattr(generated, name)
        for _ in range(30):
            value = random_value(kinds, name, rng)
            assert assert_written_alike(converter, value)[0] == "wrote"


def test_card_requests_are_written_as_the_generated_writers_write_them():
    rng = random.Random(23)
    for i in range(200):
        request = new_card(
            "cus_" + str(i),
            "4242424242424242",
            card_cvc=rng.choice([None, "123", "9999"]),
            card_holder_name=rng.choice([None] + TEXTS),
            nick_name=rng.choice([None] + TEXTS),
            card_network=rng.choice([None, strongroom.CardNetwork.VISA, strongroom.CardNetwork.MIR]),
        )
        request.metadata = rng.choice([None, {}, {"order": "42", "名": "🃏"}])
        request.billing = rng.choice([None, strongroom.Address(city="Zürich", line1="x" * 300)])
        request.payment_method_subtype = rng.choice([None, strongroom.PaymentMethodSubtype.DEBIT])
        request.recurring_enabled = rng.random() < 0.5
        assert assert_written_alike(generated._UniffiFfiConverterTypePaymentMethodCreate, request)[0] == "wrote"


@pytest.mark.parametrize(
    "change, result",
    [
        # Values the checks refuse before any write; written anyway, both fail alike.
        (lambda r: setattr(r.card, "card_holder_name", "Zo\ud800"), "raised"),  # not encodable
        (lambda r: setattr(r.card, "card_number", 4242), "raised"),
        (lambda r: setattr(r, "recurring_enabled", "yes"), "raised"),
        (lambda r: setattr(r, "recurring_enabled", 300), "raised"),
        (lambda r: setattr(r, "metadata", {"k": 5}), "raised"),
        (lambda r: setattr(r, "metadata", [("k", "v")]), "raised"),
        (lambda r: setattr(r, "billing", "Paris"), "raised"),
        (lambda r: setattr(r, "card", None), "raised"),
        # The generated enum writer writes nothing for a value that is none of its cases.
        (lambda r: setattr(r.card, "card_network", "visa"), "wrote"),
        # Two bad fields: the first one fails, in both (a field's value is written before
        # the next field is read or encoded).
        (lambda r: (setattr(r, "recurring_enabled", "yes"), setattr(r, "billing", "Paris")), "raised"),
        (lambda r: (setattr(r, "recurring_enabled", 300), setattr(r, "network_tokenization", "no")), "raised"),
        (lambda r: (setattr(r, "recurring_enabled", None), setattr(r, "metadata", {"k": "\ud800"})), "raised"),
    ],
)
def test_values_the_checks_refuse_are_written_alike(change, result):
    request = new_card("cus_1", "4242424242424242", card_cvc="123")
    change(request)
    assert assert_written_alike(generated._UniffiFfiConverterTypePaymentMethodCreate, request)[0] == result


def test_a_provider_result_with_two_bad_fields_fails_at_the_first_as_before():
    """A host's provider result is written without the checks in front (uniffi checks only
    arguments): the first bad field fails, with its own error, in both writers."""
    for fields in (
        dict(expiry_month="12", token_ref=None),
        dict(expiry_month=13, expiry_year="2030", token_ref="r\ud800"),
        dict(expiry_month=300, token_ref=5),
    ):
        token = strongroom.ProvisionedToken(
            token_number="4895370012003478",
            expiry_month=fields.get("expiry_month", 12),
            expiry_year=fields.get("expiry_year", 2030),
            token_ref=fields["token_ref"],
            status=strongroom.NetworkTokenStatus.ACTIVE,
        )
        assert assert_written_alike(generated._UniffiFfiConverterTypeProvisionedToken, token)[0] == "raised"
    # A bad value, then a field that cannot even be read: the bad value fails first.
    token = strongroom.ProvisionedToken(
        token_number="4895370012003478", expiry_month=300, expiry_year=2030, token_ref="r", status=strongroom.NetworkTokenStatus.ACTIVE
    )
    del token.expiry_year
    result = assert_written_alike(generated._UniffiFfiConverterTypeProvisionedToken, token)
    assert result[0] == "raised" and result[1] is not AttributeError


def test_a_failed_write_keeps_no_encoded_card_number_in_its_traceback():
    """The traceback of a write that fails keeps its frames; the writer's holds no encoded
    string (the generated writers' frames had each returned before the next string's)."""
    request = new_card("cus_1", "4242424242424242", card_cvc="987", card_holder_name="Zo\ud800")
    builder = generated._UniffiRustBufferBuilder()
    with pytest.raises(UnicodeEncodeError) as failure:
        generated._UniffiFfiConverterTypePaymentMethodCreate.write(request, builder)
    builder.discard()
    held = []
    tb = failure.value.__traceback__
    while tb is not None:
        held += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, (bytes, bytearray))]
        tb = tb.tb_next
    assert not any(b"4242424242424242" in v or b"987" in v for v in held)


def test_what_is_written_in_place():
    """Every record converter is replaced; a card request writes all but its enums in
    place (the card's network, the subtype and storage type, usually absent)."""
    source = generated_text()
    kinds = _fast_records.plan(source)
    writable = _fast_requests.write_plan(source)
    records = {name for name, kind in kinds.items() if kind[0] == "record"}
    assert set(_fast_requests.GENERATED) == set(_fast_requests.DELEGATED) == records
    for name in records:
        assert getattr(generated, name).write is not _fast_requests.GENERATED[name]
    # What is read in place but not written in place: the enums, timestamps, byte strings.
    assert {kinds[name][0] for name in set(kinds) - set(writable)} == {"enum", "timestamp", "bytes"}
    assert _fast_requests.DELEGATED["_UniffiFfiConverterTypePaymentMethodCreate"] == (
        "_UniffiFfiConverterTypeCardNetwork",
        "_UniffiFfiConverterTypePaymentMethodSubtype",
        "_UniffiFfiConverterTypeStorageType",
    )
    assert _fast_requests.DELEGATED["_UniffiFfiConverterTypeCustomerCreate"] == ()


@pytest.mark.parametrize(
    "converter, old, new, holder",
    [
        ("_UniffiFfiConverterString", "buf.write_i32(len(utf8_bytes))", "buf.write_u32(len(utf8_bytes))", "CardInput"),
        ("_UniffiFfiConverterBoolean", "buf.write_u8(value)", "buf.write_u8(not value)", "PaymentMethodCreate"),
        ("_UniffiFfiConverterOptionalString", "buf.write_u8(0)", "buf.write_u8(2)", "CardInput"),
        ("_UniffiFfiConverterMapStringString", "_UniffiFfiConverterString.write(value, buf)", "_UniffiFfiConverterString.write(key, buf)", "CustomerCreate"),
        ("_UniffiFfiConverterTypeCardInput", "_UniffiFfiConverterString.write(value.card_exp_month, buf)\n        _UniffiFfiConverterString.write(value.card_exp_year, buf)", "_UniffiFfiConverterString.write(value.card_exp_year, buf)\n        _UniffiFfiConverterString.write(value.card_exp_month, buf)", "PaymentMethodCreate"),
    ],
)
def test_a_changed_writer_in_the_generated_module_is_written_with_its_generated_code(converter, old, new, holder):
    source, changed = changed_generated(converter, old, new)
    assert converter in _fast_requests.write_plan(source)
    kinds = _fast_requests.write_plan(changed)
    assert converter not in kinds
    _, _, delegated = _fast_requests.writer_source(
        kinds, generated, "_UniffiFfiConverterType" + holder, generated._UniffiRustBufferBuilder, None
    )
    assert converter in delegated


def test_records_are_written_in_one_step_only_into_the_faster_buffers():
    module = type("Module", (), {"_strongroom_fast_buffers": False, "__file__": generated.__file__})
    with pytest.raises(ImportError, match="faster buffers installed first"):
        _fast_requests.install(module)
