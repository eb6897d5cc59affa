"""Faster buffers for the generated bindings: the same bytes, far fewer Python steps.

uniffi's generated Python (``_native/strongroom.py``) moves every argument and every
result through a RustBuffer, one field at a time, and spends most of a call doing so
(BENCHMARKS.md, "Python"): each integer written goes through a
``contextlib.contextmanager``, a request's buffer starts at 16 bytes and grows by calling
into the library (``rustbuffer_reserve``, three times for a card), each integer read
slices a ctypes pointer into a new ``bytes``, each call's status struct is built field by
field, and each timestamp read builds the epoch again.

:func:`install` replaces those pieces of the generated module with ones that write and
read the same wire format (uniffi's: big-endian integers, strings and byte strings as an
i32 length and the bytes) in fewer steps:

- a request is written into a Python ``bytearray`` and handed to Rust as one buffer of its
  exact size (one call into the library instead of up to four). The ``bytearray`` is
  zeroed when it is handed over, discarded or outgrown, so the card data written into it
  does not stay behind in freed memory (the generated builder's buffer, which Rust
  reallocates as it grows, did);
- a result is copied out of its RustBuffer once and read from that copy; the RustBuffer
  is freed right after the copy, also when reading it then fails;
- a call's status starts zeroed by ctypes, which is what the generated default spells out;
- a timestamp is added to a constant epoch.

Errors are the generated code's: reading past the end raises ``InternalError``, bytes left
over raise ``RuntimeError``.

This is tied to the generated module of the pinned uniffi (0.32): :func:`install` checks
the layouts and the methods it replaces and raises ``ImportError`` if they changed, so an
upgrade fails the import (and CI) until this file has been checked against the new
generated code. ``tests/test_fast_buffers.py`` compares both implementations byte for byte.
"""

import ctypes
import datetime
import struct

# uniffi's wire format for each fixed-size value, by the suffix of its read_/write_ method.
_FORMATS = {
    "i8": ">b",
    "u8": ">B",
    "i16": ">h",
    "u16": ">H",
    "i32": ">i",
    "u32": ">I",
    "i64": ">q",
    "u64": ">Q",
    "float": ">f",
    "double": ">d",
}
# Written only (the generated builder has it; no stream reads it).
_NATIVE_SIZE = "@N"

# Enough for a card request in one piece (about 130 bytes); larger ones double it.
_INITIAL_BYTES = 256

_EPOCH = datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc)

# The originals, by name, once installed: for tests that compare the two.
GENERATED = {}


def _wipe(buffer):
    """Zeroes a bytearray in place (without resizing it, so without moving it)."""
    size = len(buffer)
    if size:
        ctypes.memset((ctypes.c_char * size).from_buffer(buffer), 0, size)


def _writer(fmt):
    packer = struct.Struct(fmt)
    size = packer.size
    pack_into = packer.pack_into

    def write(self, value):
        end = self._len + size
        if end > len(self._buf):
            self._grow(end)
        pack_into(self._buf, self._len, value)
        self._len = end

    return write


def _reader(fmt, internal_error):
    unpacker = struct.Struct(fmt)
    size = unpacker.size
    unpack_from = unpacker.unpack_from

    def read(self):
        offset = self._offset
        if offset + size > self._len:
            raise internal_error("read past end of rust buffer")
        self._offset = offset + size
        return unpack_from(self._data, offset)[0]

    return read


def _make_classes(m):
    alloc = m._UniffiRustBuffer.alloc
    internal_error = m.InternalError

    class Builder:
        """Writes a request into a bytearray; `finalize` hands Rust a copy and zeroes it."""

        __slots__ = ("_buf", "_len")

        def __init__(self):
            self._buf = bytearray(_INITIAL_BYTES)
            self._len = 0

        def _grow(self, needed):
            grown = bytearray(max(needed, 2 * len(self._buf)))
            grown[: self._len] = memoryview(self._buf)[: self._len]
            _wipe(self._buf)
            self._buf = grown

        def write(self, value):
            end = self._len + len(value)
            if end > len(self._buf):
                self._grow(end)
            self._buf[self._len : end] = value
            self._len = end

        def finalize(self):
            try:
                rbuf = alloc(self._len)
                if self._len:
                    ctypes.memmove(rbuf.data, (ctypes.c_char * self._len).from_buffer(self._buf), self._len)
                rbuf.len = self._len
                return rbuf
            finally:
                self.discard()

        def discard(self):
            _wipe(self._buf)
            self._buf = bytearray()
            self._len = 0

    class Stream:
        """Reads a result from one copy of its bytes."""

        __slots__ = ("_data", "_len", "_offset")

        def __init__(self, data, length):
            if length and not data:
                raise internal_error("rust buffer with a length and no data")
            self._data = ctypes.string_at(data, length) if length else b""
            self._len = length
            self._offset = 0

        @classmethod
        def from_rust_buffer(cls, buf):
            return cls(buf.data, buf.len)

        def remaining(self):
            return self._len - self._offset

        def read(self, size):
            offset = self._offset
            if offset + size > self._len:
                raise internal_error("read past end of rust buffer")
            self._offset = offset + size
            return self._data[offset : offset + size]

    for suffix, fmt in _FORMATS.items():
        setattr(Builder, "write_" + suffix, _writer(fmt))
        setattr(Stream, "read_" + suffix, _reader(fmt, internal_error))
    Builder.write_c_size_t = _writer(_NATIVE_SIZE)

    class Building:
        """`_UniffiRustBuffer.alloc_with_builder()`: the builder is zeroed whatever happens."""

        __slots__ = ("_builder",)

        def __enter__(self):
            self._builder = Builder()
            return self._builder

        def __exit__(self, exc_type, exc, tb):
            self._builder.discard()
            return False

    class Consuming:
        """`rbuf.consume_with_stream()`: copies the bytes, frees the RustBuffer at once."""

        __slots__ = ("_stream",)

        def __init__(self, rbuf):
            try:
                self._stream = Stream.from_rust_buffer(rbuf)
            finally:
                rbuf.free()

        def __enter__(self):
            return self._stream

        def __exit__(self, exc_type, exc, tb):
            left = self._stream.remaining()
            if exc_type is None and left != 0:
                raise RuntimeError(f"junk data left in buffer at end of consume_with_stream {left}")
            return False

    return Builder, Stream, Building, Consuming


def _read_timestamp(buf):
    # The generated reader's arithmetic, on a constant epoch.
    seconds = buf.read_i64()
    microseconds = buf.read_u32() / 1000
    if seconds >= 0:
        return _EPOCH + datetime.timedelta(seconds=seconds, microseconds=microseconds)
    return _EPOCH - datetime.timedelta(seconds=-seconds, microseconds=microseconds)


def _public_methods(cls):
    return {name for name in vars(cls) if not name.startswith("_")}


def _check_generated(m):
    """Raises ImportError unless `m` is the generated code this file was written against."""
    rust_buffer = [("capacity", ctypes.c_uint64), ("len", ctypes.c_uint64), ("data", ctypes.POINTER(ctypes.c_char))]
    expected = {
        "RustBuffer layout": (getattr(m, "_UniffiRustBuffer", None) and m._UniffiRustBuffer._fields_, rust_buffer),
        "RustCallStatus layout": (
            getattr(m, "_UniffiRustCallStatus", None) and m._UniffiRustCallStatus._fields_,
            [("code", ctypes.c_int8), ("error_buf", getattr(m, "_UniffiRustBuffer", None))],
        ),
        "builder methods": (
            _public_methods(getattr(m, "_UniffiRustBufferBuilder", object)),
            {"write", "finalize", "discard", "write_c_size_t"} | {"write_" + s for s in _FORMATS},
        ),
        "stream methods": (
            _public_methods(getattr(m, "_UniffiRustBufferStream", object)),
            {"from_rust_buffer", "remaining", "read"} | {"read_" + s for s in _FORMATS},
        ),
        "RustBuffer methods": (
            {"alloc", "reserve", "free", "alloc_with_builder", "consume_with_stream", "read_with_stream", "default"}
            <= _public_methods(getattr(m, "_UniffiRustBuffer", object)),
            True,
        ),
        "timestamp converter": (hasattr(getattr(m, "_UniffiFfiConverterTimestamp", None), "read"), True),
    }
    changed = [what for what, (found, wanted) in expected.items() if found != wanted]
    if changed:
        raise ImportError(
            "strongroom: the generated bindings changed (" + ", ".join(changed) + "); "
            "check strongroom/_fast_buffers.py against them"
        )


def install(m):
    """Puts the faster pieces into the generated module `m` (once)."""
    if GENERATED:
        return
    _check_generated(m)
    builder, stream, building, consuming = _make_classes(m)
    GENERATED.update(
        builder=m._UniffiRustBufferBuilder,
        stream=m._UniffiRustBufferStream,
        alloc_with_builder=m._UniffiRustBuffer.alloc_with_builder,
        consume_with_stream=m._UniffiRustBuffer.consume_with_stream,
        status_default=m._UniffiRustCallStatus.default,
        read_timestamp=m._UniffiFfiConverterTimestamp.read,
    )
    m._UniffiRustBufferBuilder = builder
    m._UniffiRustBufferStream = stream
    m._UniffiRustBuffer.alloc_with_builder = staticmethod(building)
    m._UniffiRustBuffer.consume_with_stream = lambda self: consuming(self)
    m._UniffiRustCallStatus.default = staticmethod(m._UniffiRustCallStatus)
    m._UniffiFfiConverterTimestamp.read = staticmethod(_read_timestamp)
