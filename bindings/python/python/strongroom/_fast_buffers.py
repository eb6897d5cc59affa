"""Faster buffers for the generated bindings: the same bytes, far fewer Python steps.

uniffi's generated Python (``_native/strongroom.py``) moves every argument and every
result through a RustBuffer, one field at a time, and spends most of a call doing so
(BENCHMARKS.md, "What changed in the eleventh session"): each integer written goes through
a ``contextlib.contextmanager``, a request's buffer starts at 16 bytes and grows by calling
into the library (``rustbuffer_reserve``, three times for a card), each integer read
slices a ctypes pointer into a new ``bytes``, each call's status struct is built field by
field, and each timestamp read builds the epoch again.

:func:`install` replaces those pieces of the generated module with ones that write and
read the same wire format (uniffi's: big-endian integers, strings and byte strings as an
i32 length and the bytes) in fewer steps:

- a request is written into a Python ``bytearray`` and handed to Rust as one RustBuffer
  of its exact size (one call into the library instead of up to four);
- a result is read in place, through a ``memoryview`` of its RustBuffer, which is freed
  when reading is done or fails (the stream's view is released first, so a later read
  through the stream raises ``ValueError``; each read copies out at once, so no view of
  the buffer outlives it; a view that cannot be released, because C code holds a buffer
  of it, leaves the RustBuffer unfreed rather than freed under it);
- a call's status starts zeroed by ctypes, which is what the generated default spells out;
- a timestamp is added to a constant epoch.

Card data and copies: the request's ``bytearray`` is the one copy this module adds, and it
is zeroed when done with (handed over, discarded or outgrown), so it does not stay behind
in freed memory (every copy into it goes through a ``memoryview``: a plain slice
assignment would leave an unzeroed temporary copy behind); a result is not copied at all until a field is read (as before, each
string or byte string read is a ``bytes``; the generated reader also made one of every
integer). What it does not change: the RustBuffers are freed by uniffi's Rust side without
zeroing, as before (a request now has one: the generated builder's buffer was reallocated
by Rust up to three times as it grew, leaving each earlier copy in freed memory); and
every ``str`` and the ``bytes`` Python encodes it to or decodes it from cannot be wiped,
as before.

Errors are the generated code's: reading past the end raises ``InternalError``, bytes left
over raise ``RuntimeError``. Byte-string arguments must be bytes-like with one-byte items
(``bytes``, ``bytearray``, a ``memoryview`` of those); others raise ``TypeError`` (which
the package reports as ``IR_05``): a wider item would make the length prefix, which counts
items, disagree with the bytes. The generated code raised ``ctypes.ArgumentError`` for
anything but ``bytes``.

This is tied to the generated code of the pinned uniffi (0.32): :func:`install` checks a
digest of the generated runtime helpers it replaces or relies on, and the number of places
that use them, and raises ``ImportError`` if either changed, so an upgrade fails the import
(and CI) until this file has been checked against the new generated code and the digest
updated. ``tests/test_fast_buffers.py`` compares both implementations byte for byte.
"""

import ctypes
import datetime
import hashlib
import re
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


# Every copy into a bytearray below goes through a memoryview of it: assigning anything but
# a bytearray to a slice of a bytearray (`buf[a:b] = some_bytes`) first copies the value
# into a temporary bytearray, which CPython frees without zeroing.


def _wipe(buffer):
    """Zeroes a bytearray in place (a memoryview cannot resize or move it)."""
    memoryview(buffer)[:] = bytes(len(buffer))


def _one_byte_items(value):
    """`value` as a flat view of bytes, or TypeError (a wider item would be miscounted)."""
    view = memoryview(value)
    if view.itemsize != 1 or view.ndim != 1 or not view.c_contiguous:
        raise TypeError("a byte string (bytes, bytearray) is required, not {!r}".format(type(value).__name__))
    return view if view.format == "B" else view.cast("B")


# One ctypes type to view any result through (sliced to its length): no type per length.
# Its 2 GiB - 1 is the largest a ctypes type may have on a 32-bit Python, and far more than
# any result of the vault (uniffi frames each string and list with an i32 length); a
# larger buffer is refused with InternalError.
_MEMORY = ctypes.c_char * (2**31 - 1)


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
            memoryview(grown)[: self._len] = memoryview(self._buf)[: self._len]
            _wipe(self._buf)
            self._buf = grown

        def write(self, value):
            if type(value) is not bytes:
                value = _one_byte_items(value)
            end = self._len + len(value)
            if end > len(self._buf):
                self._grow(end)
            memoryview(self._buf)[self._len : end] = value
            self._len = end

        def finalize(self):
            try:
                rbuf = alloc(self._len)
                if self._len:
                    ctypes.memmove(rbuf.data, ctypes.addressof(ctypes.c_char.from_buffer(self._buf)), self._len)
                rbuf.len = self._len
                return rbuf
            finally:
                self.discard()

        def discard(self):
            _wipe(self._buf)
            self._buf = bytearray()
            self._len = 0

    class Stream:
        """Reads a result in place, through a view of its RustBuffer's memory.

        Nothing may keep a view derived from `_data` (a slice, say) past a read: `release`
        ends `_data` itself, not views made from it. Every read here copies out at once
        (`tobytes`, `unpack_from`)."""

        __slots__ = ("_data", "_len", "_offset")

        def __init__(self, data, length):
            if length and not data:
                raise internal_error("rust buffer with a length and no data")
            if length > _MEMORY._length_:
                raise internal_error("rust buffer too large to read")
            memory = _MEMORY.from_address(ctypes.addressof(data.contents)) if length else b""
            self._data = memoryview(memory)[:length]
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
            return self._data[offset : offset + size].tobytes()

        def release(self):
            """Ends the view, so a later read through this stream raises ValueError; False
            if it cannot be ended (something holds a buffer of it)."""
            try:
                self._data.release()
            except BufferError:
                return False
            return True

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
        """`rbuf.consume_with_stream()`: reads the RustBuffer in place, then frees it."""

        __slots__ = ("_rbuf", "_stream")

        def __init__(self, rbuf):
            self._rbuf = rbuf
            try:
                self._stream = Stream.from_rust_buffer(rbuf)
            except BaseException:
                rbuf.free()
                raise

        def __enter__(self):
            return self._stream

        def __exit__(self, exc_type, exc, tb):
            try:
                left = self._stream.remaining()
                if exc_type is None and left != 0:
                    raise RuntimeError(f"junk data left in buffer at end of consume_with_stream {left}")
            finally:
                # A view that cannot be ended still points into the buffer: leak the
                # buffer rather than free memory something can still read.
                if self._stream.release():
                    self._rbuf.free()
            return False

    return Builder, Stream, Building, Consuming


def _read_timestamp(buf):
    # The generated reader's arithmetic, on a constant epoch.
    seconds = buf.read_i64()
    microseconds = buf.read_u32() / 1000
    if seconds >= 0:
        return _EPOCH + datetime.timedelta(seconds=seconds, microseconds=microseconds)
    return _EPOCH - datetime.timedelta(seconds=-seconds, microseconds=microseconds)


# The generated code this file was checked against (uniffi 0.32.2): a digest of the runtime
# helpers (everything before the library's loading code: RustBuffer, the stream and builder,
# the call status, `_uniffi_rust_call_with_error`, `_UniffiConverterRustBuffer`) and of the
# string, byte string and timestamp converters; and how often the replaced pieces are named
# in the whole module (their definitions and every use).
_HELPERS_END = "# Contains loading, initialization code, and the FFI Function declarations."
_CONVERTERS = ("_UniffiFfiConverterString", "_UniffiFfiConverterBytes", "_UniffiFfiConverterTimestamp")
_HELPERS_DIGEST = "442dc369775a5be28c47da162491a492270a698e24dd4516d01e6f9dc6cd7214"
_USES = {
    "consume_with_stream(": 3,
    "alloc_with_builder(": 3,
    "read_with_stream(": 1,
    "_UniffiRustBufferBuilder": 3,
    "_UniffiRustBufferStream": 5,
    "_UniffiRustCallStatus.default": 1,
}


def _class_text(source, name):
    match = re.search(r"^class " + re.escape(name) + r"\b.*?(?=^\S)", source, re.M | re.S)
    return match.group(0) if match else ""


def helpers_digest(source):
    """The digest `_HELPERS_DIGEST` pins, of the generated module's text `source`."""
    helpers = source.split(_HELPERS_END, 1)[0] if _HELPERS_END in source else ""
    parts = [helpers] + [_class_text(source, name) for name in _CONVERTERS]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


# What the converters and types (the code after the helpers) may call on a stream or a
# builder, which they name `buf`, `stream` or `builder` (and on the RustBuffer a `lift`
# consumes): the replacements' methods, so none finds an attribute they lack.
_PROVIDED = (
    {"write", "finalize", "discard", "write_c_size_t", "remaining", "read"}
    | {"write_" + s for s in _FORMATS}
    | {"read_" + s for s in _FORMATS}
    | {"consume_with_stream", "free"}
)


def check_generated(source):
    """Raises ImportError unless `source` is the generated code this file was written for."""
    changed = []
    if helpers_digest(source) != _HELPERS_DIGEST:
        changed.append("runtime helpers (new digest: _fast_buffers.helpers_digest(source))")
    changed += [f"uses of {name}" for name, count in _USES.items() if source.count(name) != count]
    after_helpers = source.split(_HELPERS_END, 1)[-1]
    unknown = set(re.findall(r"\b(?:buf|stream|builder)\.(\w+)", after_helpers)) - _PROVIDED
    if unknown:
        changed.append("calls on buffers of " + ", ".join(sorted(unknown)))
    if changed:
        raise ImportError(
            "strongroom: the generated bindings changed (" + ", ".join(changed) + "); check "
            "strongroom/_fast_buffers.py against them, then update what it pins"
        )


def install(m):
    """Puts the faster pieces into the generated module `m` (once)."""
    try:
        with open(m.__file__, encoding="utf-8") as f:
            source = f.read()
    except (AttributeError, OSError) as e:
        raise ImportError(f"strongroom: cannot read the generated bindings to check them ({e})") from None
    check_generated(source)
    if getattr(m, "_strongroom_fast_buffers", False):
        return
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
    m._strongroom_fast_buffers = True
