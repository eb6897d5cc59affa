"""The faster buffers (strongroom/_fast_buffers.py) write and read exactly what uniffi's do.

Every other test in this directory already runs through them; these compare them with the
generated originals byte for byte, on random requests and on real results, and check what
they add: the builder zeroes its bytes, and a changed generated module fails the import.
"""

import ctypes
import datetime
import random
import types

import pytest

import strongroom
from strongroom import _fast_buffers
from strongroom._native import strongroom as generated
from conftest import VISA, new_card

GENERATED = _fast_buffers.GENERATED
SECRET = b"4242424242424242"
TEXTS = ["", "a", "John Doe", "Zoë Ünïcode", "名前", "🃏 card", "x" * 300, "\x00nul"]


def written(builder_class, converter, value):
    """The bytes `converter` writes for `value` through a builder of `builder_class`."""
    builder = builder_class()
    converter.write(value, builder)
    rbuf = builder.finalize()
    try:
        return ctypes.string_at(rbuf.data, rbuf.len)
    finally:
        rbuf.free()


def both_written(converter, value):
    ours = written(generated._UniffiRustBufferBuilder, converter, value)
    theirs = written(GENERATED["builder"], converter, value)
    return ours, theirs


def read_back(stream_class, converter, data):
    """`converter.read` over `data` through a stream of `stream_class`; all bytes consumed."""
    rbuf = generated._UniffiRustBuffer.alloc(len(data))
    try:
        ctypes.memmove(rbuf.data, data, len(data))
        rbuf.len = len(data)
        stream = stream_class.from_rust_buffer(rbuf)
        value = converter.read(stream)
        assert stream.remaining() == 0
        return value
    finally:
        rbuf.free()


def maybe(rng, make):
    return None if rng.random() < 0.3 else make()


def random_text(rng):
    return rng.choice(TEXTS) + str(rng.randrange(10**6))


def random_address(rng):
    fields = ["line1", "line2", "line3", "city", "state", "zip", "country", "first_name", "last_name", "phone"]
    return strongroom.Address(**{f: maybe(rng, lambda: random_text(rng)) for f in fields})


def random_create(rng):
    card = strongroom.CardInput(
        card_number=str(rng.randrange(10**12, 10**19)),
        card_exp_month=str(rng.randrange(0, 100)),
        card_exp_year=str(rng.randrange(0, 10000)),
        card_holder_name=maybe(rng, lambda: random_text(rng)),
        card_cvc=maybe(rng, lambda: str(rng.randrange(1000))),
        nick_name=maybe(rng, lambda: random_text(rng)),
        card_network=maybe(rng, lambda: rng.choice(list(strongroom.CardNetwork))),
        card_issuer=maybe(rng, lambda: random_text(rng)),
    )
    return strongroom.PaymentMethodCreate(
        customer_id=random_text(rng),
        card=card,
        payment_method_subtype=maybe(rng, lambda: rng.choice(list(strongroom.PaymentMethodSubtype))),
        storage_type=maybe(rng, lambda: rng.choice(list(strongroom.StorageType))),
        recurring_enabled=rng.random() < 0.5,
        billing=maybe(rng, lambda: random_address(rng)),
        metadata=maybe(rng, lambda: {random_text(rng): random_text(rng) for _ in range(rng.randrange(4))}),
        network_tokenization=rng.random() < 0.5,
    )


def test_the_faster_buffers_are_installed():
    assert GENERATED, "install() did not run"
    assert generated._UniffiRustBufferBuilder is not GENERATED["builder"]
    assert generated._UniffiRustBufferStream is not GENERATED["stream"]


@pytest.mark.parametrize(
    "suffix, values",
    [
        ("i8", [-128, -1, 0, 1, 127]),
        ("u8", [0, 1, 255]),
        ("i16", [-(2**15), -1, 0, 2**15 - 1]),
        ("u16", [0, 1, 2**16 - 1]),
        ("i32", [-(2**31), -1, 0, 2**31 - 1]),
        ("u32", [0, 1, 2**32 - 1]),
        ("i64", [-(2**63), -1, 0, 2**63 - 1]),
        ("u64", [0, 1, 2**64 - 1]),
        ("float", [0.0, -1.5, 2.0**100, -(2.0**-100)]),  # exact in 32 bits
        ("double", [0.0, -1.5, 1e300]),
    ],
)
def test_every_integer_and_float_is_written_and_read_as_uniffi_does(suffix, values):
    rng = random.Random(suffix)
    # Many values in one buffer, so the builder also grows on the way.
    values = [rng.choice(values) for _ in range(1000)]
    ours, theirs = generated._UniffiRustBufferBuilder(), GENERATED["builder"]()
    for v in values:
        getattr(ours, "write_" + suffix)(v)
        getattr(theirs, "write_" + suffix)(v)
    ours_buf, theirs_buf = ours.finalize(), theirs.finalize()
    try:
        assert ctypes.string_at(ours_buf.data, ours_buf.len) == ctypes.string_at(theirs_buf.data, theirs_buf.len)
        for stream_class in (generated._UniffiRustBufferStream, GENERATED["stream"]):
            stream = stream_class.from_rust_buffer(ours_buf)
            assert [getattr(stream, "read_" + suffix)() for _ in values] == values
            assert stream.remaining() == 0
    finally:
        ours_buf.free()
        theirs_buf.free()


def test_random_requests_are_written_byte_for_byte_as_uniffi_does():
    rng = random.Random(5)
    for _ in range(300):
        request = random_create(rng)
        ours, theirs = both_written(generated._UniffiFfiConverterTypePaymentMethodCreate, request)
        assert ours == theirs
        for stream_class in (generated._UniffiRustBufferStream, GENERATED["stream"]):
            assert read_back(stream_class, generated._UniffiFfiConverterTypePaymentMethodCreate, ours) == request
    for text in TEXTS:
        update = strongroom.PaymentMethodUpdate(card_holder_name=text, nick_name=None, card_cvc=text[:4])
        ours, theirs = both_written(generated._UniffiFfiConverterTypePaymentMethodUpdate, update)
        assert ours == theirs


def test_results_are_read_as_uniffi_reads_them(scope, customer):
    rng = random.Random(7)
    results = []
    for i in range(20):
        number = "4242424242424242" if i % 2 else "5555555555554444"
        fields = dict(card_holder_name=maybe(rng, lambda: "Zoë " + str(i)), nick_name=maybe(rng, lambda: "名前" + str(i)))
        created = scope.create_payment_method(new_card(customer.id, number, card_cvc="123", **fields))
        results.append((generated._UniffiFfiConverterTypePaymentMethodCreated, created))
        results.append((generated._UniffiFfiConverterTypePaymentMethod, scope.retrieve_payment_method(created.payment_method.id)))
    results.append((generated._UniffiFfiConverterTypeCustomer, customer))
    for converter, value in results:
        data = written(GENERATED["builder"], converter, value)
        ours = read_back(generated._UniffiRustBufferStream, converter, data)
        theirs = read_back(GENERATED["stream"], converter, data)
        assert ours == theirs == value


def test_timestamps_are_read_as_uniffi_reads_them():
    rng = random.Random(11)
    cases = [(0, 0), (1, 999_999_999), (-1, 1), (-86_400 * 365 * 50, 500_000_000), (4_102_444_800, 123_456_789)]
    cases += [(rng.randrange(-(2**34), 2**34), rng.randrange(10**9)) for _ in range(500)]
    for seconds, nanos in cases:
        builder = generated._UniffiRustBufferBuilder()
        builder.write_i64(seconds)
        builder.write_u32(nanos)
        rbuf = builder.finalize()
        try:
            values = []
            for read in (generated._UniffiFfiConverterTimestamp.read, GENERATED["read_timestamp"]):
                values.append(read(generated._UniffiRustBufferStream.from_rust_buffer(rbuf)))
            assert values[0] == values[1]
            assert values[0].tzinfo == datetime.timezone.utc
        finally:
            rbuf.free()


def test_reading_past_the_end_or_leaving_bytes_fails_as_before():
    builder = generated._UniffiRustBufferBuilder()
    builder.write_u8(1)
    builder.write_u8(2)
    stream = generated._UniffiRustBufferStream.from_rust_buffer(rbuf := builder.finalize())
    try:
        assert stream.read_u8() == 1
        with pytest.raises(generated.InternalError):
            stream.read_u16()
        with pytest.raises(generated.InternalError):
            stream.read(2)
        assert stream.read(1) == b"\x02"
    finally:
        rbuf.free()

    builder = generated._UniffiRustBufferBuilder()
    builder.write_u8(1)
    builder.write_u8(2)
    with pytest.raises(RuntimeError, match="junk data left"):
        with builder.finalize().consume_with_stream() as stream:
            stream.read_u8()


def test_the_builder_zeroes_its_bytes_when_done_outgrown_or_discarded():
    builder = generated._UniffiRustBufferBuilder()
    builder.write(SECRET)
    first = builder._buf
    builder.write(b"y" * 1000)  # outgrows the first buffer
    assert first == bytearray(len(first)), "the outgrown buffer still holds the card number"
    second = builder._buf
    rbuf = builder.finalize()
    try:
        assert ctypes.string_at(rbuf.data, rbuf.len) == SECRET + b"y" * 1000
        assert second == bytearray(len(second))
    finally:
        rbuf.free()

    with pytest.raises(ValueError):
        with generated._UniffiRustBuffer.alloc_with_builder() as builder:
            builder.write(SECRET)
            kept = builder._buf
            raise ValueError("the request could not be written")
    assert kept == bytearray(len(kept))


def test_a_request_that_fails_half_way_leaves_no_card_number_behind(scope, customer):
    seen = []
    installed = generated._UniffiRustBuffer.alloc_with_builder

    class Recording:
        def __enter__(self):
            self.inner = installed()
            builder = self.inner.__enter__()
            self.buf = builder._buf
            return builder

        def __exit__(self, *exc):
            held = VISA.encode() in bytes(self.buf)
            result = self.inner.__exit__(*exc)
            seen.append((held, self.buf == bytearray(len(self.buf))))
            return result

    generated._UniffiRustBuffer.alloc_with_builder = staticmethod(Recording)
    try:
        with pytest.raises(strongroom.StrongroomError.InvalidValue):
            # Not valid Unicode, after the card number: lowering the request fails half way.
            scope.create_payment_method(new_card(customer.id, card_holder_name="\ud800"))
    finally:
        generated._UniffiRustBuffer.alloc_with_builder = staticmethod(installed)
    assert (True, True) in seen, "the failed request's buffer held the number and was then zeroed"
    assert all(zeroed for _, zeroed in seen)
    assert scope.list_payment_methods(customer.id, None, None).payment_methods == []


def test_a_changed_generated_module_fails_the_import():
    changed = types.SimpleNamespace(**vars(generated))
    changed._UniffiRustBufferStream = type("Stream", (), {"read": None})
    with pytest.raises(ImportError, match="stream methods"):
        _fast_buffers._check_generated(changed)

    class Wider(ctypes.Structure):
        _fields_ = [("capacity", ctypes.c_int32), ("len", ctypes.c_int32), ("data", ctypes.c_void_p)]

    changed = types.SimpleNamespace(**vars(generated))
    changed._UniffiRustBuffer = Wider
    with pytest.raises(ImportError, match="RustBuffer layout"):
        _fast_buffers._check_generated(changed)
    _fast_buffers._check_generated(generated)  # the real one passes
