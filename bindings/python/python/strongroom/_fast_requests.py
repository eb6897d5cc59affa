"""Records written in one step: one Python function per record instead of one per field.

The write side of ``_fast_records``: uniffi's generated code writes a card request
(``PaymentMethodCreate`` with its ``CardInput``) through a converter call for every field and
option, each writing its integers and strings through further calls on the builder.

:func:`install` replaces each record converter's ``write`` with a function written for that
record (made with ``compile``), which writes every field into the builder's ``bytearray``
with local variables: fixed-size values one after another (option flags, booleans,
integers, a string's length) with one ``struct.pack_into``, and each string's bytes through
a ``memoryview``, as the builder itself does (so no temporary copy is left unzeroed; the
builder grows and is zeroed by its own methods). It writes out in place what the
generated converters do, for each piece whose generated ``write`` it recognises word for
word (a string, a boolean, an integer, an optional value, a sequence, a map, a nested
record); anything else (an enum, a timestamp, a byte string) is written by its generated
converter, at the same point of the buffer. So a changed generated module never changes
what is written, only how much of it is written in one step;
``tests/test_fast_requests.py`` compares both writers byte for byte on random records of
every kind, and on values the checks would have refused (the same error).

A replaced writer writes only into ``_fast_buffers``'s builder; given any other builder
(the generated one, which tests keep to compare with), it calls the generated writer it
replaced. What the checks before a write refuse is unchanged (``_argument_checks``).
"""

import re
import struct

from . import _fast_records

_WRITE = _fast_records.method_pattern("write", "(?:value|items), buf")
_FIELD_WRITE = re.compile(r"        (_UniffiFfiConverter\w+)\.write\(value\.(\w+), buf\)\n")
_RECORD_WRITE = re.compile(r"    @staticmethod\n    def write\(value, buf\):\n((?:        _UniffiFfiConverter\w+\.write\(value\.\w+, buf\)\n)*)\n*\Z")

_STRING = (
    "    @staticmethod\n    def write(value, buf):\n        utf8_bytes = value.encode(\"utf-8\")\n"
    "        buf.write_i32(len(utf8_bytes))\n        buf.write(utf8_bytes)\n"
)
_BOOLEAN = "    @classmethod\n    def write(cls, value, buf):\n        buf.write_u8(value)\n"
_INTEGER = "    @staticmethod\n    def write(value, buf):\n        buf.write_{}(value)\n"
_OPTIONAL = (
    "    @classmethod\n    def write(cls, value, buf):\n        if value is None:\n            buf.write_u8(0)\n"
    "            return\n\n        buf.write_u8(1)\n        {}.write(value, buf)\n"
)
_SEQUENCE = (
    "    @classmethod\n    def write(cls, value, buf):\n        items = len(value)\n        buf.write_i32(items)\n"
    "        for item in value:\n            {}.write(item, buf)\n"
)
_MAP = (
    "    @classmethod\n    def write(cls, items, buf):\n        buf.write_i32(len(items))\n"
    "        for (key, value) in items.items():\n            {}.write(key, buf)\n            {}.write(value, buf)\n"
)

_FIXED = _fast_records._FIXED

# What each replaced record writer wrote with its generated converter instead, by record
# converter; and the generated writers, by converter.
DELEGATED = {}
GENERATED = {}


def write_plan(source):
    """The converters whose generated `write` is the one their read says they are (by the
    read plan of ``_fast_records``), word for word: kind by converter; others left out."""
    kinds = _fast_records.plan(source)
    writable = {}
    for name, text in _fast_records.converter_classes(source).items():
        kind = kinds.get(name)
        found = _WRITE.search(text)
        if kind is None or found is None:
            continue
        write = found.group(0).rstrip("\n") + "\n"
        tag = kind[0]
        if tag == "string":
            expected = _STRING
        elif tag == "bool":
            expected = _BOOLEAN
        elif tag.startswith("int:"):
            expected = _INTEGER.format(tag[4:])
        elif tag == "optional":
            expected = _OPTIONAL.format(kind[1])
        elif tag == "sequence":
            expected = _SEQUENCE.format(kind[1])
        elif tag == "map":
            expected = _MAP.format(kind[1], kind[2])
        elif tag == "record":
            m = _RECORD_WRITE.match(write)
            fields = [(field, c) for c, field in _FIELD_WRITE.findall(m.group(1))] if m else None
            if fields == list(kind[2]):
                writable[name] = kind
            continue
        else:
            continue
        if write == expected:
            writable[name] = kind
    return writable


class _Writer(_fast_records.SourceWriter):
    """Writes one record's writer: Python source over the locals B (the builder's
    bytearray) and L (its length), with the names it uses in `env`. Pending here:
    fixed-size writes not written out yet, (format, expression, safe)."""

    def __init__(self, kinds, module):
        super().__init__(kinds, module)
        self.encoded = []  # the locals holding a string's encoded bytes

    def quiet(self, depth, line):
        """A line that neither writes nor branches (it reads a field, or encodes a string):
        writes pending at its depth stay pending if they cannot fail (a flag, a length),
        so the first field that cannot be written fails first, as in the generated code;
        the writes of a branch it follows are written out first."""
        if self.pending and (self.pending_depth != depth or not all(safe for _, _, safe in self.pending)):
            self.flush()
        self.line(depth, line)

    def fixed(self, depth, fmt, expression, safe=False):
        """A fixed-size write of `expression`; `safe`: it cannot fail (a constant flag, a
        length this writer computed), unlike a field's own value, which is written before
        the next field's is read (reading it may fail too: a missing attribute)."""
        unsafe_pending = not all(s for _, _, s in self.pending)
        if self.pending and (self.pending_depth != depth or (unsafe_pending and not safe)):
            self.flush()
        self.pending_depth = depth
        self.pending.append((fmt, expression, safe))

    def room(self, depth, size):
        for line in (
            f"if L + {size} > len(B):",
            "    builder._len = L",
            f"    builder._grow(L + {size})",
            "    B = builder._buf",
        ):
            self.line(depth, line)

    def flush(self, then=None):
        """Writes out the pending writes, with room for `then` more bytes (an expression)."""
        if not self.pending:
            return
        pending, depth = self.pending, self.pending_depth
        self.pending, self.pending_depth = [], None
        fmt = ">" + "".join(f for f, _, _ in pending)
        size = struct.calcsize(fmt)
        pack = self.name(f"_pack_{fmt[1:]}", struct.Struct(fmt).pack_into)
        self.room(depth, f"{size} + {then}" if then else size)
        self.line(depth, f"{pack}(B, L, {', '.join(e for _, e, _ in pending)})")
        self.line(depth, f"L += {size}")

    def value(self, depth, expression, converter, inlining):
        kind = self.kinds.get(converter)
        tag = kind[0] if kind else None
        if tag is None or (tag == "record" and converter in inlining):
            self.delegate(depth, expression, converter)
        elif tag.startswith("int:"):
            self.fixed(depth, _FIXED[tag[4:]], expression)
        elif tag == "bool":
            self.fixed(depth, "B", expression)
        elif tag == "string":
            # The bytes go in after their length, with room made for both at once.
            encoded, size = self.fresh("utf8_"), self.fresh("size")
            self.encoded.append(encoded)
            self.quiet(depth, f'{encoded} = {expression}.encode("utf-8")')
            self.quiet(depth, f"{size} = len({encoded})")
            self.fixed(depth, "i", size, safe=True)
            self.flush(then=size)
            self.quiet(depth, f"memoryview(B)[L : L + {size}] = {encoded}")
            self.quiet(depth, f"L += {size}")
        elif tag == "optional":
            present = self.fresh("present")
            self.quiet(depth, f"{present} = {expression}")
            self.emit(depth, f"if {present} is None:")
            self.fixed(depth + 1, "B", "0", safe=True)
            self.emit(depth, "else:")
            self.fixed(depth + 1, "B", "1", safe=True)
            self.value(depth + 1, present, kind[1], inlining)
        elif tag == "sequence":
            items, item = self.fresh("items"), self.fresh("item")
            self.quiet(depth, f"{items} = {expression}")
            self.fixed(depth, "i", f"len({items})")  # len() of a field's value: may fail
            self.emit(depth, f"for {item} in {items}:")
            self.value(depth + 1, item, kind[1], inlining)
        elif tag == "map":
            items, key, item = self.fresh("items"), self.fresh("key"), self.fresh("item")
            self.quiet(depth, f"{items} = {expression}")
            self.fixed(depth, "i", f"len({items})")
            self.emit(depth, f"for ({key}, {item}) in {items}.items():")
            self.value(depth + 1, key, kind[1], inlining)
            self.value(depth + 1, item, kind[2], inlining)
        else:  # a record not being written already
            self.record(depth, expression, converter, inlining | {converter})

    def record(self, depth, expression, converter, inlining):
        record = self.fresh("record")
        self.quiet(depth, f"{record} = {expression}")
        for field, field_converter in self.kinds[converter][2]:
            self.value(depth, f"{record}.{field}", field_converter, inlining)

    def delegate(self, depth, expression, converter):
        name = self.converter(converter)
        self.emit(depth, "builder._len = L")
        self.emit(depth, f"{name}.write({expression}, builder)")
        self.emit(depth, "B = builder._buf")
        self.emit(depth, "L = builder._len")


def writer_source(kinds, module, converter, builder_class, generated_write):
    """The source of `converter`'s writer, the names it uses, and what it delegates."""
    writer = _Writer(kinds, module)
    writer.env.update(_Builder=builder_class, _generated_write=generated_write)
    writer.emit(1, "if type(builder) is not _Builder: return _generated_write(value, builder)")
    writer.emit(1, "B = builder._buf")
    writer.emit(1, "L = builder._len")
    writer.emit(1, "try:")
    writer.record(2, "value", converter, {converter})
    writer.emit(2, "builder._len = L")
    # A failure's traceback keeps this frame: not the encoded bytes of a card number in it
    # (the generated writers' frames had each returned before the next string's).
    writer.emit(1, "except BaseException:")
    writer.emit(2, " = ".join(writer.encoded + ["None"]) if writer.encoded else "pass")
    writer.emit(2, "raise")
    return writer.source("write(value, builder)"), writer.env, tuple(writer.delegated)


def install(m):
    """Replaces the `write` of every record converter of the generated module `m` (once),
    after ``_fast_buffers.install(m)``."""
    if getattr(m, "_strongroom_fast_requests", False):
        return
    source = _fast_records.generated_source(m)
    kinds = write_plan(source)
    writers = {}
    for converter, kind in kinds.items():
        if kind[0] != "record":
            continue
        generated_write = getattr(m, converter).write
        text, env, delegated = writer_source(kinds, m, converter, m._UniffiRustBufferBuilder, generated_write)
        write = _fast_records.compiled(text, env, "write", f"record writer {converter}")
        writers[converter] = (write, generated_write, delegated)
    _fast_records.replace(m, "write", writers, GENERATED, DELEGATED)
    m._strongroom_fast_requests = True
