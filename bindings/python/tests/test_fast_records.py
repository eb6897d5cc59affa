"""Records read in one step (strongroom/_fast_records.py) read exactly what uniffi's do.

Every other test in this directory already reads its results through them; these compare
them with the generated readers on real results, on every one-byte change and every
truncation of those, and on random records of every kind, and check which pieces of the
generated module they read in place.
"""

import ctypes
import datetime
import random

import pytest

import strongroom
from strongroom import _fast_buffers, _fast_records
from strongroom._native import strongroom as generated
from conftest import MASTER_KEY, MASTERCARD, VISA, new_card

TEXTS = ["", "a", "John Doe", "Zoë Ünïcode", "名前", "🃏 card", "x" * 300, "\x00nul"]
EPOCH = datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc)

# The converters the generated module has that are not read in place (so by their own
# generated code): enums with data, the error, objects (handles, not buffers), and the
# by-reference byte string uniffi writes for arguments only.
NOT_IN_PLACE = {
    "_UniffiFfiConverterByRefBytes",
    "_UniffiFfiConverterTypeApiKeyCreated",
    "_UniffiFfiConverterTypeNetworkTokenProvider",
    "_UniffiFfiConverterTypeNetworkTokenSimulator",
    "_UniffiFfiConverterTypeNetworkTokenState",
    "_UniffiFfiConverterTypeProfileScope",
    "_UniffiFfiConverterTypeProviderFailure",
    "_UniffiFfiConverterTypeRevealedCard",
    "_UniffiFfiConverterTypeStrongroomError",
    "_UniffiFfiConverterTypeVault",
}


# Each converter's name in the generated module.
NAMES = {id(value): name for name, value in vars(generated).items() if name.startswith("_UniffiFfiConverter")}


def generated_text():
    with open(generated.__file__, encoding="utf-8") as f:
        return f.read()


def changed_generated(converter, old, new):
    """The generated module's text, and the same with `old` (found once in `converter`'s
    class) replaced by `new`."""
    source = generated_text()
    text = _fast_records.converter_classes(source)[converter]
    assert text.count(old) == 1
    return source, source.replace(text, text.replace(old, new), 1)


def outcome(converter, data, which):
    """What reading `data` with `converter` gives: ("read", value, bytes left) or
    ("raised", type, message). `which` is "ours" (the installed readers, the faster
    stream) or "generated" (uniffi's stream, so uniffi's readers all the way down)."""
    stream_class = generated._UniffiRustBufferStream if which == "ours" else _fast_buffers.GENERATED["stream"]
    name = NAMES[id(converter)]
    read = _fast_records.GENERATED.get(name, converter.read) if which == "generated" else converter.read
    rbuf = generated._UniffiRustBuffer.alloc(len(data))
    stream = None
    try:
        ctypes.memmove(rbuf.data, data, len(data))
        rbuf.len = len(data)
        stream = stream_class.from_rust_buffer(rbuf)
        try:
            value = read(stream)
        except Exception as e:  # noqa: BLE001 - compared with what the generated reader raises
            return ("raised", type(e), str(e))
        return ("read", value, stream.remaining())
    finally:
        if stream is not None and hasattr(stream, "release"):
            assert stream.release()
        rbuf.free()


def assert_read_alike(converter, data):
    ours, theirs = outcome(converter, data, "ours"), outcome(converter, data, "generated")
    assert ours == theirs
    return ours


def written(converter, value):
    """The bytes uniffi's own builder writes for `value`."""
    builder = _fast_buffers.GENERATED["builder"]()
    converter.write(value, builder)
    rbuf = builder.finalize()
    try:
        return ctypes.string_at(rbuf.data, rbuf.len)
    finally:
        rbuf.free()


def address(suffix):
    return strongroom.Address(line1="1 Rue " + suffix, city="Zürich 名", zip="75001", country="FR", first_name="Zoë", email=None)


@pytest.fixture
def results(vault_path):
    """(converter, value, bytes) of real results: customers, cards with and without every
    optional field and network token state, pages, an update, stats and audit events."""
    captured = []
    installed = generated._UniffiRustBuffer.consume_with_stream

    def capturing(rbuf):
        captured.append(ctypes.string_at(rbuf.data, rbuf.len))
        return installed(rbuf)

    simulator = strongroom.NetworkTokenSimulator(bytes(range(32)))
    out = []

    def keep(converter, value):
        out.append((converter, value, captured[-1]))
        return value

    generated._UniffiRustBuffer.consume_with_stream = capturing
    try:
        with strongroom.open_vault(vault_path, MASTER_KEY, "k1", sync_writes=False, network_tokens=simulator) as vault:
            vault.create_profile("pro_shop", "merchant_shop", None)
            scope = vault.profile("pro_shop")
            full = strongroom.CustomerCreate(
                merchant_reference_id="ref-1",
                name="Zoë Ünïcode",
                email="z@example.com",
                phone="123",
                phone_country_code="+33",
                description="名前",
                default_billing_address=address("a"),
                default_shipping_address=address("b"),
                metadata={"k": "v", "ü": "名", "empty": ""},
            )
            customer = keep(generated._UniffiFfiConverterTypeCustomer, scope.create_customer(full))
            keep(generated._UniffiFfiConverterTypeCustomer, scope.create_customer(strongroom.CustomerCreate()))
            keep(generated._UniffiFfiConverterTypeCustomer, scope.retrieve_customer(customer.id))
            keep(generated._UniffiFfiConverterTypeCustomerPage, scope.list_customers(None, None))
            created = generated._UniffiFfiConverterTypePaymentMethodCreated
            request = new_card(customer.id, VISA, card_cvc="123", card_holder_name="Zoë", nick_name="名前")
            request.billing = address("c")
            request.metadata = {"order": "42", "名": "🃏"}
            request.payment_method_subtype = strongroom.PaymentMethodSubtype.DEBIT
            pm = keep(created, scope.create_payment_method(request)).payment_method
            keep(created, scope.create_payment_method(request))  # a duplicate
            tokenized = new_card(customer.id, MASTERCARD)
            tokenized.network_tokenization = True
            active = keep(created, scope.create_payment_method(tokenized)).payment_method
            assert isinstance(active.network_token, strongroom.NetworkTokenState.ACTIVE)
            simulator.set_faults(1, 0, 0)
            tokenized.card.card_number = "4111111111111111"
            missing = keep(created, scope.create_payment_method(tokenized)).payment_method
            assert isinstance(missing.network_token, strongroom.NetworkTokenState.MISSING)
            for id in (pm.id, active.id, missing.id):
                keep(generated._UniffiFfiConverterTypePaymentMethod, scope.retrieve_payment_method(id))
            update = strongroom.PaymentMethodUpdate(card_holder_name="Ünï", nick_name=None, card_cvc=None)
            keep(generated._UniffiFfiConverterTypePaymentMethod, scope.update_payment_method(pm.id, update))
            page = keep(generated._UniffiFfiConverterTypePaymentMethodPage, scope.list_payment_methods(customer.id, None, None))
            assert len(page.payment_methods) == 3
            keep(generated._UniffiFfiConverterTypeVaultStats, vault.stats())
            keep(generated._UniffiFfiConverterSequenceTypeAuditEvent, vault.list_audit("pro_shop", 0, 50))
            keep(generated._UniffiFfiConverterTypeAuditVerification, vault.verify_audit("pro_shop"))
    finally:
        generated._UniffiRustBuffer.consume_with_stream = installed
    return out


def test_results_from_rust_are_read_as_the_generated_readers_read_them(results):
    assert len(results) == 16
    for converter, value, data in results:
        assert assert_read_alike(converter, data) == ("read", value, 0)


def test_every_one_byte_change_of_a_result_reads_as_before(results):
    """Each byte of each kind of result replaced by a few values, and each four by -1: the
    same record, or the same error with the same message, as the generated readers give."""
    kinds = {}
    for converter, _, data in results:
        kinds.setdefault(converter, data)  # the first (fullest) result of each kind
    raised = set()
    for converter, data in kinds.items():
        for i, original in enumerate(data):
            changes = [bytes([byte]) for byte in {0, 1, 2, 0x7F, 0x80, 0xFF, original ^ 1} - {original}]
            changes.append(b"\xff" * 4)  # -1 wherever an i32 starts (a length, an enum value)
            for change in changes:
                result = assert_read_alike(converter, data[:i] + change + data[i + len(change) :])
                if result[0] == "raised":
                    raised.add((result[1], result[2].split(" in position")[0]))
    # The changes reached every check a reader makes, not only the first.
    messages = {message for _, message in raised}
    for expected in (
        "Unexpected flag byte for optional type",
        "Raw enum value doesn't match any cases",
        "Unexpected negative string length",
        "Unexpected negative sequence length",
        "Unexpected negative map size",
        "read past end of rust buffer",
    ):
        assert expected in messages
    assert any(kind is UnicodeDecodeError for kind, _ in raised)


def test_every_truncation_and_an_extra_byte_read_as_before(results):
    for converter, value, data in results:
        for end in range(len(data)):
            result = assert_read_alike(converter, data[:end])
            assert result[0] == "raised" and result[2] == "read past end of rust buffer"
        assert assert_read_alike(converter, data + b"\x00") == ("read", value, 1)


def test_a_changed_byte_in_a_short_result_fails_as_before(results):
    """A byte changed and the result cut shortly after it: where the generated reader meets
    the bad byte before the end (an enum value, a flag), it raises that error, not
    "read past end" (so a short buffer is read again by the generated reader)."""
    converter, _, data = results[4]
    assert converter is generated._UniffiFfiConverterTypePaymentMethodCreated
    messages = set()
    for i, original in enumerate(data):
        for byte in {0x02, 0x7F, 0xFF} - {original}:
            changed = data[:i] + bytes([byte]) + data[i + 1 :]
            for end in (i + 1, i + 3, i + 9, i + 17):
                if end < len(data):
                    result = assert_read_alike(converter, changed[:end])
                    messages.add(result[2].split(" in position")[0])
    assert {"Raw enum value doesn't match any cases", "Unexpected flag byte for optional type"} <= messages


NEAR_TIMES = [EPOCH + datetime.timedelta(seconds=s, microseconds=u) for s in (1_796_160_000, 1_796_160_001, -5) for u in (0, 1, 337_000)]


def random_value(kinds, converter, rng):
    """A random value of `converter`'s type, from the plan of the generated module."""
    kind = kinds.get(converter)
    if kind is None:
        raise LookupError(converter)
    tag = kind[0]
    if tag.startswith("int:"):
        bits = int(tag[5:])
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if tag[4] == "i" else (0, 2**bits)
        return rng.choice([low, high - 1, 0, rng.randrange(low, high)])
    if tag == "bool":
        return rng.random() < 0.5
    if tag == "string":
        return rng.choice(TEXTS)
    if tag == "bytes":
        return rng.randbytes(rng.randrange(40))
    if tag == "timestamp":
        if rng.random() < 0.5:  # a record's timestamps often equal, or equal to the second
            return rng.choice(NEAR_TIMES)
        return EPOCH + datetime.timedelta(microseconds=rng.randrange(-(2**50), 2**50))
    if tag == "enum":
        return getattr(getattr(generated, kind[1]), rng.choice(kind[2]))
    if tag == "optional":
        if rng.random() < 0.3:
            return None
        try:
            return random_value(kinds, kind[1], rng)
        except LookupError:
            return None  # an optional of a type not read in place: absent here, real results have it
    if tag == "sequence":
        return [random_value(kinds, kind[1], rng) for _ in range(rng.randrange(4))]
    if tag == "map":
        return {random_value(kinds, kind[1], rng): random_value(kinds, kind[2], rng) for _ in range(rng.randrange(4))}
    _, class_name, fields = kind
    return getattr(generated, class_name)(**{field: random_value(kinds, c, rng) for field, c in fields})


def test_random_records_of_every_kind_read_as_the_generated_readers_read_them():
    kinds = _fast_records.plan(generated_text())
    records = [name for name, kind in kinds.items() if kind[0] == "record"]
    assert len(records) == 33
    rng = random.Random(13)
    for name in records:
        converter = getattr(generated, name)
        for _ in range(30):
            value = random_value(kinds, name, rng)
            assert assert_read_alike(converter, written(converter, value)) == ("read", value, 0)


def test_timestamps_read_as_the_generated_reader_reads_them():
    """Seconds either side of the epoch and nanoseconds that round either way (a timestamp
    keeps microseconds), in a record that has one."""
    rng = random.Random(17)
    cases = [(0, 0), (1, 999_999_999), (-1, 1), (-1, 999_999_500), (2, 1_500), (2, 2_500), (2, 2_501)]
    cases += [(-86_400 * 365 * 50, 500_000_000), (4_102_444_800, 123_456_789), (2**62, 0), (-(2**62), 0)]
    cases += [(rng.randrange(-(2**34), 2**34), rng.randrange(10**9)) for _ in range(500)]
    cases += [(rng.randrange(-(2**34), 2**34), rng.randrange(10**6) * 1000 + 500) for _ in range(200)]
    converter = generated._UniffiFfiConverterTypeCvcStorage
    for seconds, nanos in cases:
        builder = generated._UniffiRustBufferBuilder()
        builder.write_u8(1)  # is_stored
        builder.write_u8(1)  # expires_at present
        builder.write_i64(seconds)
        builder.write_u32(nanos)
        rbuf = builder.finalize()
        try:
            data = ctypes.string_at(rbuf.data, rbuf.len)
        finally:
            rbuf.free()
        result = assert_read_alike(converter, data)
        if result[0] == "read":
            assert result[1].expires_at.tzinfo == datetime.timezone.utc
        else:
            assert result[1] is OverflowError and abs(seconds) > 2**40


def test_what_is_read_in_place():
    """Every record converter is replaced; the only pieces read with their generated code
    are the ones listed above; the records a card call returns read everything in place
    but a network token's state (an enum with data, usually absent)."""
    source = generated_text()
    kinds = _fast_records.plan(source)
    assert set(_fast_records.converter_classes(source)) - set(kinds) == NOT_IN_PLACE
    records = {name for name, kind in kinds.items() if kind[0] == "record"}
    assert set(_fast_records.GENERATED) == set(_fast_records.DELEGATED) == records
    for name in records:
        assert getattr(generated, name).read is not _fast_records.GENERATED[name]
    token = "_UniffiFfiConverterTypeNetworkTokenState"
    for name in ("PaymentMethod", "PaymentMethodCreated", "PaymentMethodPage"):
        assert _fast_records.DELEGATED["_UniffiFfiConverterType" + name] == (token,)
    for name in ("MaskedCard", "CvcStorage", "Customer", "CustomerPage", "Address", "VaultStats", "AuditEvent"):
        assert _fast_records.DELEGATED["_UniffiFfiConverterType" + name] == ()


def test_a_record_that_would_read_a_handle_twice_keeps_its_generated_reader():
    """Objects (handles) are not rereadable; a record that would read one with its
    generated converter is left to its generated reader (after a short buffer the
    fallback would read the handle again)."""
    source = generated_text()
    kinds = _fast_records.plan(source)
    pure = _fast_records.rereadable(source, kinds)
    assert set(_fast_records.converter_classes(source)) - pure == NOT_IN_PLACE - {
        "_UniffiFfiConverterTypeNetworkTokenState",
        "_UniffiFfiConverterTypeProviderFailure",
        "_UniffiFfiConverterTypeStrongroomError",
    }
    _, changed = changed_generated(
        "_UniffiFfiConverterTypeCvcStorage",
        "is_stored=_UniffiFfiConverterBoolean.read(buf),",
        "is_stored=_UniffiFfiConverterTypeVault.read(buf),",
    )
    replaced = _fast_records.replaceable_records(changed, generated)
    holders = {"_UniffiFfiConverterTypeCvcStorage", "_UniffiFfiConverterTypePaymentMethod"}
    holders |= {"_UniffiFfiConverterTypePaymentMethodCreated", "_UniffiFfiConverterTypePaymentMethodPage"}
    assert holders.isdisjoint(replaced)
    assert set(_fast_records.replaceable_records(source, generated)) == set(_fast_records.GENERATED)
    assert holders <= set(replaced) | set(_fast_records.GENERATED)


@pytest.mark.parametrize(
    "converter, old, new, holder",
    [
        ("_UniffiFfiConverterString", 'return utf8_bytes.decode("utf-8")', 'return utf8_bytes.decode("latin-1")', "MaskedCard"),
        ("_UniffiFfiConverterBoolean", "return value != 0", "return value == 1", "CvcStorage"),
        ("_UniffiFfiConverterTimestamp", "microseconds = buf.read_u32() / 1000", "microseconds = buf.read_u32() // 1000", "CvcStorage"),
        ("_UniffiFfiConverterUInt16", "return buf.read_u16()", "return buf.read_i16()", "MaskedCard"),
        ("_UniffiFfiConverterTypeCardNetwork", "if variant == 2:\n", "if variant == 3:\n", "MaskedCard"),
        ("_UniffiFfiConverterOptionalString", "if flag == 0:\n            return None", "if flag == 2:\n            return None", "MaskedCard"),
        ("_UniffiFfiConverterMapStringString", "d[key] = val", "d[val] = key", "Customer"),
        ("_UniffiFfiConverterSequenceTypePaymentMethod", "for i in range(count)", "for i in range(count - 1)", "PaymentMethodPage"),
        ("_UniffiFfiConverterTypeCvcStorage", "is_stored=_UniffiFfiConverterBoolean", "is_stored=not _UniffiFfiConverterBoolean", "PaymentMethod"),
    ],
)
def test_a_changed_piece_of_the_generated_module_is_read_with_its_generated_code(converter, old, new, holder):
    source, changed = changed_generated(converter, old, new)
    assert converter in _fast_records.plan(source)
    kinds = _fast_records.plan(changed)
    assert converter not in kinds
    # A record that holds the changed piece reads it with its (changed) generated code.
    holder = "_UniffiFfiConverterType" + holder
    _, _, delegated = _fast_records.reader_source(kinds, generated, holder, generated._UniffiRustBufferStream, None)
    assert converter in delegated


def test_records_are_read_in_one_step_only_over_the_faster_buffers():
    module = type("Module", (), {"_strongroom_fast_buffers": False, "__file__": generated.__file__})
    with pytest.raises(ImportError, match="faster buffers installed first"):
        _fast_records.install(module)
