"""The faster buffers (strongroom/_fast_buffers.py) write and read exactly what uniffi's do.

Every other test in this directory already runs through them; these compare them with the
generated originals byte for byte, on random requests and on real results, and check what
they add: the builder zeroes its copy, a result's buffer is freed once and its view
released, byte strings with wider items are refused, and a changed generated module fails
the import.
"""

import array
import contextlib
import ctypes
import datetime
import pickle
import random
import re
import types

import pytest

import strongroom
from strongroom import _fast_buffers
from strongroom._native import strongroom as generated
from conftest import MASTER_KEY, VISA, new_card

GENERATED = _fast_buffers.GENERATED
SECRET = b"4242424242424242"
TEXTS = ["", "a", "John Doe", "Zoë Ünïcode", "名前", "🃏 card", "x" * 300, "\x00nul"]


def finalized(builder):
    """The bytes `builder` hands over (its RustBuffer freed again)."""
    rbuf = builder.finalize()
    try:
        return ctypes.string_at(rbuf.data, rbuf.len)
    finally:
        rbuf.free()


def written(builder_class, converter, value):
    """The bytes `converter` writes for `value` through a builder of `builder_class`."""
    builder = builder_class()
    converter.write(value, builder)
    return finalized(builder)


def secret_rbuf():
    """A RustBuffer holding SECRET, the caller to free or consume it."""
    builder = generated._UniffiRustBufferBuilder()
    builder.write(SECRET)
    return builder.finalize()


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


def luhn_number(serial):
    """A 16-digit Visa-range number that passes the Luhn check."""
    body = "4" + str(serial).rjust(14, "0")
    digits = [int(c) for c in reversed(body)]
    total = sum(d * 2 - 9 * (d > 4) if i % 2 == 0 else d for i, d in enumerate(digits))
    return body + str((10 - total % 10) % 10)


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


def test_every_replaced_piece_is_installed():
    assert generated._UniffiRustBufferBuilder is not GENERATED["builder"]
    assert generated._UniffiRustBufferStream is not GENERATED["stream"]
    assert generated._UniffiRustBuffer.alloc_with_builder is not GENERATED["alloc_with_builder"]
    assert generated._UniffiRustBuffer.consume_with_stream is not GENERATED["consume_with_stream"]
    assert generated._UniffiRustCallStatus.default is not GENERATED["status_default"]
    assert generated._UniffiFfiConverterTimestamp.read is not GENERATED["read_timestamp"]


def test_a_call_status_starts_as_the_generated_one_does():
    ours, theirs = generated._UniffiRustCallStatus.default(), GENERATED["status_default"]()
    assert bytes(ours) == bytes(theirs)
    assert ours.code == generated._UniffiRustCallStatus.CALL_SUCCESS
    assert (ours.error_buf.capacity, ours.error_buf.len, bool(ours.error_buf.data)) == (0, 0, False)


def test_native_sizes_are_written_as_uniffi_does():
    for value in (0, 1, 2**32, 2**64 - 1):
        ours, theirs = generated._UniffiRustBufferBuilder(), GENERATED["builder"]()
        ours.write_c_size_t(value)
        theirs.write_c_size_t(value)
        assert finalized(ours) == finalized(theirs)


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
    data = finalized(ours)
    assert data == finalized(theirs)
    all_values = types.SimpleNamespace(read=lambda stream: [getattr(stream, "read_" + suffix)() for _ in values])
    for stream_class in (generated._UniffiRustBufferStream, GENERATED["stream"]):
        assert read_back(stream_class, all_values, data) == values


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


def test_results_from_rust_are_read_as_uniffi_reads_them(scope, customer):
    """The bytes Rust returned, captured before they are read, decoded by both readers."""
    captured = []
    installed = generated._UniffiRustBuffer.consume_with_stream

    def capturing(rbuf):
        captured.append(ctypes.string_at(rbuf.data, rbuf.len))
        return installed(rbuf)

    rng = random.Random(7)
    results = []
    generated._UniffiRustBuffer.consume_with_stream = capturing
    try:
        for i in range(20):
            number = luhn_number(i)
            fields = dict(card_holder_name=maybe(rng, lambda: "Zoë " + str(i)), nick_name=maybe(rng, lambda: "名前" + str(i)))
            created = scope.create_payment_method(new_card(customer.id, number, card_cvc="123", **fields))
            results.append((generated._UniffiFfiConverterTypePaymentMethodCreated, created, captured[-1]))
            retrieved = scope.retrieve_payment_method(created.payment_method.id)
            results.append((generated._UniffiFfiConverterTypePaymentMethod, retrieved, captured[-1]))
        page = scope.list_payment_methods(customer.id, None, None)
        results.append((generated._UniffiFfiConverterTypePaymentMethodPage, page, captured[-1]))
    finally:
        generated._UniffiRustBuffer.consume_with_stream = installed
    assert len(page.payment_methods) == 20
    for converter, value, data in results:
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
        data = finalized(builder)
        ours, theirs = (
            read_back(generated._UniffiRustBufferStream, types.SimpleNamespace(read=read), data)
            for read in (generated._UniffiFfiConverterTimestamp.read, GENERATED["read_timestamp"])
        )
        assert ours == theirs
        assert ours.tzinfo == datetime.timezone.utc


@pytest.mark.parametrize("which", ["ours", "generated"])
def test_reading_past_the_end_or_leaving_bytes_fails_as_before(which):
    stream_class = generated._UniffiRustBufferStream if which == "ours" else GENERATED["stream"]
    builder = generated._UniffiRustBufferBuilder()
    builder.write_u8(1)
    builder.write_u8(2)
    rbuf = builder.finalize()
    try:
        stream = stream_class.from_rust_buffer(rbuf)
        assert stream.read_u8() == 1
        with pytest.raises(generated.InternalError, match="read past end"):
            stream.read_u16()
        with pytest.raises(generated.InternalError, match="read past end"):
            stream.read(2)
        assert stream.read(1) == b"\x02"
        assert stream.remaining() == 0
    finally:
        rbuf.free()


@pytest.fixture
def frees(monkeypatch):
    """Counts RustBuffer frees (each still done, unless `frees.really` is set to False)."""
    frees = types.SimpleNamespace(count=[], really=True)
    real_free = generated._UniffiRustBuffer.free

    def free(rbuf):
        frees.count.append(1)
        if frees.really:
            real_free(rbuf)

    monkeypatch.setattr(generated._UniffiRustBuffer, "free", free)
    return frees


@pytest.mark.parametrize("ending", ["clean", "bytes left", "read fails"])
def test_a_consumed_result_is_freed_once_and_cannot_be_read_after(frees, ending):
    rbuf = secret_rbuf()
    expected = {"clean": None, "bytes left": RuntimeError, "read fails": generated.InternalError}[ending]
    with pytest.raises(expected) if expected else contextlib.nullcontext():
        with rbuf.consume_with_stream() as stream:
            assert stream.read(4) == SECRET[:4]
            assert frees.count == []  # read in place: the buffer lives until the block ends
            if ending == "clean":
                assert stream.read(12) == SECRET[4:]
            elif ending == "read fails":
                stream.read(100)
    # The RustBuffer was freed exactly once, and the stream's view of it released first,
    # so a later read through the stream fails instead of reading freed memory.
    assert frees.count == [1]
    with pytest.raises(ValueError, match="released"):
        stream._data.tobytes()


def test_a_result_that_cannot_be_viewed_is_freed_at_once(frees):
    frees.really = False  # this buffer's data pointer is null: only count the free
    broken = generated._UniffiRustBuffer(capacity=0, len=5, data=None)
    with pytest.raises(generated.InternalError, match="no data"):
        generated._UniffiFfiConverterString.lift(broken)
    assert frees.count == [1]


def test_a_result_whose_view_is_still_held_is_left_unfreed(frees):
    rbuf = secret_rbuf()
    with rbuf.consume_with_stream() as stream:
        held = pickle.PickleBuffer(stream._data)  # a C-level hold on the view
        assert stream.read(16) == SECRET
    # Freeing would leave `held` pointing at freed memory: the buffer is kept instead.
    assert frees.count == []
    assert bytes(held.raw()) == SECRET
    held.release()
    assert stream.release()
    rbuf.free()  # now nothing points into it


def test_the_builder_zeroes_its_bytes_when_done_outgrown_or_discarded():
    builder = generated._UniffiRustBufferBuilder()
    builder.write(SECRET)
    first = builder._buf
    builder.write(b"y" * 1000)  # outgrows the first buffer
    assert first == bytearray(len(first)), "the outgrown buffer still holds the card number"
    second = builder._buf
    assert finalized(builder) == SECRET + b"y" * 1000
    assert second == bytearray(len(second))

    with pytest.raises(ValueError):
        with generated._UniffiRustBuffer.alloc_with_builder() as builder:
            builder.write(SECRET)
            kept = builder._buf
            raise ValueError("the request could not be written")
    assert kept == bytearray(len(kept))


def uninitialised_bytearrays(size, count=50):
    """Fresh bytearrays whose memory Python does not clear: what freed blocks of that
    size held (CPython's small-object allocator hands the last freed block out first)."""
    make = ctypes.pythonapi.PyByteArray_FromStringAndSize
    make.restype = ctypes.py_object
    make.argtypes = (ctypes.c_char_p, ctypes.c_ssize_t)
    return [make(None, size) for _ in range(count)]


@pytest.mark.parametrize("grows", [False, True])
def test_writing_a_request_leaves_no_copy_in_freed_memory(grows):
    # Long enough that its block is not taken at once by the many small objects Python makes.
    marker = b"\x01MARKER" + bytes(range(100, 214)) + b"MARKER\x02"  # kept alive: not freed
    builder = generated._UniffiRustBufferBuilder()
    builder.write(marker)
    if grows:
        builder.write(b"y" * 1000)  # the builder moves what it holds to a larger bytearray
    # Right away, before other allocations reuse the blocks: a freed block's first 8 bytes
    # hold the allocator's free-list pointer, so look for the rest of the marker.
    rest = marker[8:]
    for size in (len(marker), 256):
        assert not any(rest in b for b in uninitialised_bytearrays(size))
    builder.finalize().free()


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

    # The argument checks refuse a lone surrogate before any lowering (test_bad_input);
    # with only the type checked, lowering the request fails half way, after the number.
    checked = generated._UniffiFfiConverterString.check_lower
    generated._UniffiFfiConverterString.check_lower = staticmethod(lambda value: value)
    generated._UniffiRustBuffer.alloc_with_builder = staticmethod(Recording)
    try:
        with pytest.raises(strongroom.StrongroomError.InvalidValue):
            # Not valid Unicode, after the card number: lowering the request fails half way.
            scope.create_payment_method(new_card(customer.id, card_holder_name="\ud800"))
    finally:
        generated._UniffiRustBuffer.alloc_with_builder = staticmethod(installed)
        generated._UniffiFfiConverterString.check_lower = staticmethod(checked)
    assert (True, True) in seen, "the failed request's buffer held the number and was then zeroed"
    assert all(zeroed for _, zeroed in seen)
    assert scope.list_payment_methods(customer.id, None, None).payment_methods == []


def test_byte_strings_are_written_whole_or_refused():
    converter = generated._UniffiFfiConverterBytes
    expected, _ = both_written(converter, SECRET)
    for same in (bytearray(SECRET), memoryview(SECRET), array.array("B", SECRET)):
        assert written(generated._UniffiRustBufferBuilder, converter, same) == expected
    read = read_back(generated._UniffiRustBufferStream, converter, expected)
    assert read == SECRET and type(read) is bytes  # as the generated reader returns
    for wider in (array.array("I", range(8)), memoryview(bytes(32)).cast("B", (4, 8))):
        with pytest.raises(TypeError, match="byte string"):
            written(generated._UniffiRustBufferBuilder, converter, wider)


def test_a_master_key_of_wider_items_is_refused_and_a_bytearray_key_works(tmp_path):
    def options(key):
        return strongroom.VaultOptions(
            master_keys=[strongroom.MasterKeyEntry(id="k1", key=key)], active_master_key="k1", sync_writes=False
        )

    path = str(tmp_path / "vault")
    with pytest.raises(strongroom.StrongroomError.InvalidValue) as refused:
        strongroom.Vault.open(path, options(array.array("I", range(8))))
    assert refused.value.code == "IR_05"
    vault = strongroom.Vault.open(path, options(bytearray(MASTER_KEY)))
    vault.create_profile("pro_shop", "merchant_shop", None)
    vault.shutdown()
    with strongroom.Vault.open(path, options(bytes(MASTER_KEY))) as vault:  # the same key
        assert vault.profile("pro_shop").profile_id() == "pro_shop"


def generated_text():
    with open(generated.__file__, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize(
    "what, old, new",
    [
        ("runtime helpers", "return _UniffiRustBuffer(0, 0, None)", "return _UniffiRustBuffer(0, 0, 0)"),
        ("runtime helpers", 'self._unpack_from(4, ">i")', 'self._unpack_from(4, "<i")'),
        ("runtime helpers", "fromtimestamp(0, tz=datetime.timezone.utc) +", "fromtimestamp(1, tz=datetime.timezone.utc) +"),
        ("runtime helpers", "utf8_bytes = value.encode(\"utf-8\")", "utf8_bytes = value.encode(\"latin-1\")"),
        ("uses of consume_with_stream(", "\nclass CvcStorage", "\ndef _extra(b):\n    return b.consume_with_stream()\nclass CvcStorage"),
        ("calls on buffers of offset", "\nclass CvcStorage", "\ndef _extra(buf):\n    return buf.offset\nclass CvcStorage"),
    ],
)
def test_a_changed_generated_module_fails_the_import(tmp_path, what, old, new):
    text = generated_text()
    assert text.count(old) >= 1
    changed = text.replace(old, new, 1)
    with pytest.raises(ImportError, match=re.escape(what)):
        _fast_buffers.check_generated(changed)
    # install() reads the module's own file: a module whose file changed is not patched.
    path = tmp_path / "strongroom.py"
    path.write_text(changed, encoding="utf-8")
    module = types.SimpleNamespace(**{**vars(generated), "__file__": str(path), "_strongroom_fast_buffers": False})
    with pytest.raises(ImportError, match="generated bindings changed"):
        _fast_buffers.install(module)
