"""Records read in one step: one Python function per record instead of one per field.

After ``_fast_buffers``, most of a result's cost in Python is the generated converters
themselves (BENCHMARKS.md, "What changed in the thirteenth session"): a payment method is
read through 14 record fields, 33 integer reads (string lengths, enum tags, option flags,
booleans, timestamps), each its own Python call on the stream, and a converter call for
every field, nested record and option, before any of it is a Python object.

:func:`install` reads the generated module's text and replaces each record converter's
``read`` with a function written for that record (made with ``compile``, like
``dataclasses`` makes ``__init__``), which reads every field from the stream's memory
with local variables and ``struct`` calls. It writes out in place what the generated
converters do, for each piece whose generated text it recognises word for word:

- a string, byte string, boolean, integer or timestamp (the read method as uniffi 0.32
  writes it);
- an enum without data (``if variant == k: return E.M`` for k = 1, 2, ...);
- an optional value (the one-byte flag), a sequence and a map (the i32 count);
- a nested record (its fields, then its constructor).

Anything else (an enum with data, an error) is read by its generated converter,
at the same point of the stream. So a changed generated module never changes what is
read, only how much of it is read in one step; ``tests/test_fast_records.py`` checks that
the records a retrieve, a create and a list return are read in one step, and compares
both readers on real results and on every one-byte change of them.

Errors are the generated code's, with the same messages: reading past the end raises
``InternalError``, so do a negative length, an unknown flag byte or an unknown enum value. A
short buffer is read again, from the record's start, by the generated reader, so it fails at
the same field with the same error (what was read of the record so far is thrown away and
read again; a record that would read an object's handle with its generated converter,
which must not be read twice, keeps its generated reader). A string is decoded straight from the
RustBuffer's memory, so it is not first copied into a ``bytes`` as before (one copy fewer of
a holder's name).

A replaced reader reads only through ``_fast_buffers``'s stream; given any other stream (the
generated one, which tests keep to compare with), it calls the generated reader it replaced.
"""

import datetime
import re
import struct

from . import _fast_buffers

# The generated read methods this file writes out in place, by converter, word for word.
_PRIMITIVE_READS = {
    "_UniffiFfiConverterBoolean": ("bool", "    @classmethod\n    def read(cls, buf):\n        return cls.lift(buf.read_u8())\n"),
    "_UniffiFfiConverterString": (
        "string",
        "    @staticmethod\n    def read(buf):\n        size = buf.read_i32()\n        if size < 0:\n"
        '            raise InternalError("Unexpected negative string length")\n'
        "        utf8_bytes = buf.read(size)\n        return utf8_bytes.decode(\"utf-8\")\n",
    ),
    "_UniffiFfiConverterBytes": (
        "bytes",
        "    @staticmethod\n    def read(buf):\n        size = buf.read_i32()\n        if size < 0:\n"
        '            raise InternalError("Unexpected negative byte string length")\n'
        "        return buf.read(size)\n",
    ),
    "_UniffiFfiConverterTimestamp": (
        "timestamp",
        "    @staticmethod\n    def read(buf):\n        seconds = buf.read_i64()\n"
        "        microseconds = buf.read_u32() / 1000\n"
        "        # Use fromtimestamp(0) then add the seconds using a timedelta.  This\n"
        "        # ensures that we get OverflowError rather than ValueError when\n"
        "        # seconds is too large.\n"
        "        if seconds >= 0:\n"
        "            return datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc) + "
        "datetime.timedelta(seconds=seconds, microseconds=microseconds)\n"
        "        else:\n"
        "            return datetime.datetime.fromtimestamp(0, tz=datetime.timezone.utc) - "
        "datetime.timedelta(seconds=-seconds, microseconds=microseconds)\n",
    ),
}
# What else a recognised primitive's class must say (the boolean's read calls its lift).
_PRIMITIVE_ALSO = {"_UniffiFfiConverterBoolean": "    @staticmethod\n    def lift(value):\n        return value != 0\n"}
_INTEGERS = {"Int8": "i8", "UInt8": "u8", "Int16": "i16", "UInt16": "u16", "Int32": "i32", "UInt32": "u32"}
_INTEGERS.update({"Int64": "i64", "UInt64": "u64"})
for _name, _suffix in _INTEGERS.items():
    _PRIMITIVE_READS["_UniffiFfiConverter" + _name] = (
        "int:" + _suffix,
        f"    @staticmethod\n    def read(buf):\n        return buf.read_{_suffix}()\n",
    )

_CLASS = re.compile(r"^class (_UniffiFfiConverter\w+)\b.*?(?=^\S)", re.M | re.S)


def method_pattern(name, parameters):
    """A converter class's method `name` (static or class) taking `parameters` (a regex),
    up to the next method or the class's end."""
    return re.compile(rf"^    @(?:staticmethod|classmethod)\n    def {name}\((?:cls, )?{parameters}\):\n.*?(?=^    @|\Z)", re.M | re.S)


_READ = method_pattern("read", "buf")
_RECORD = re.compile(
    r"    @staticmethod\n    def read\(buf\):\n        return (\w+)\(\n"
    r"((?:            \w+=_UniffiFfiConverter\w+\.read\(buf\),\n)*)        \)\n*\Z"
)
_FIELD = re.compile(r"            (\w+)=(_UniffiFfiConverter\w+)\.read\(buf\),\n")
_OPTIONAL = re.compile(
    r"    @classmethod\n    def read\(cls, buf\):\n        flag = buf.read_u8\(\)\n        if flag == 0:\n"
    r"            return None\n        elif flag == 1:\n            return (_UniffiFfiConverter\w+)\.read\(buf\)\n"
    r'        else:\n            raise InternalError\("Unexpected flag byte for optional type"\)\n*\Z'
)
_SEQUENCE = re.compile(
    r"    @classmethod\n    def read\(cls, buf\):\n        count = buf.read_i32\(\)\n        if count < 0:\n"
    r'            raise InternalError\("Unexpected negative sequence length"\)\n\n'
    r"        return \[\n            (_UniffiFfiConverter\w+)\.read\(buf\) for i in range\(count\)\n        \]\n*\Z"
)
_MAP = re.compile(
    r"    @classmethod\n    def read\(cls, buf\):\n        count = buf.read_i32\(\)\n        if count < 0:\n"
    r'            raise InternalError\("Unexpected negative map size"\)\n\n'
    r"        # It would be nice to use a dict comprehension,\n"
    r"        # but in Python 3.7 and before the evaluation order is not according to spec,\n"
    r"        # so we we're reading the value before the key.\n"
    r"        # This loop makes the order explicit: first reading the key, then the value.\n"
    r"        d = \{\}\n        for i in range\(count\):\n"
    r"            key = (_UniffiFfiConverter\w+)\.read\(buf\)\n            val = (_UniffiFfiConverter\w+)\.read\(buf\)\n"
    r"            d\[key\] = val\n        return d\n*\Z"
)
_ENUM = re.compile(
    r"    @staticmethod\n    def read\(buf\):\n        variant = buf.read_i32\(\)\n"
    r"((?:        if variant == \d+:\n            return \w+\.\w+\n)+)"
    r'        raise InternalError\("Raw enum value doesn\'t match any cases"\)\n*\Z'
)
_VARIANT = re.compile(r"        if variant == (\d+):\n            return (\w+)\.(\w+)\n")

_DATA_ENUM = re.compile(
    r"    @staticmethod\n    def read\(buf\):\n        variant = buf.read_i32\(\)\n"
    r"((?:        if variant == \d+:\n            return \w+\.\w+\(\n"
    r"(?:                _UniffiFfiConverter\w+\.read\(buf\),\n)*            \)\n)+)"
    r'        raise InternalError\("Raw enum value doesn\'t match any cases"\)\n*\Z'
)
_READ_CALL = re.compile(r"(_UniffiFfiConverter\w+)\.read\(buf\)")


def rereadable(source, kinds):
    """The converters whose reading only reads bytes, so that reading them again (as the
    generated reader does after a short buffer) changes nothing: what `plan` recognises and
    enums with data, each only if every converter it reads is rereadable too. Not an object
    or a callback interface: reading one takes over the handle it reads."""
    referenced = {}
    for name, kind in kinds.items():
        tag = kind[0]
        if tag == "record":
            referenced[name] = {converter for _, converter in kind[2]}
        elif tag in ("optional", "sequence"):
            referenced[name] = {kind[1]}
        elif tag == "map":
            referenced[name] = {kind[1], kind[2]}
        else:
            referenced[name] = set()
    for name, text in read_methods(converter_classes(source)).items():
        if name not in kinds and (m := _DATA_ENUM.match(text)):
            referenced[name] = set(_READ_CALL.findall(m.group(1)))
    pure = set()
    while True:
        grown = {name for name, needs in referenced.items() if name not in pure and needs <= pure}
        if not grown:
            return pure
        pure |= grown


# What each replaced record reader read with its generated converter instead, by record
# converter (an empty tuple: all in one step); and the generated readers, by converter.
DELEGATED = {}
GENERATED = {}


def converter_classes(source):
    """The text of each converter class in the generated module's text, by name."""
    return {match.group(1): match.group(0) for match in _CLASS.finditer(source)}


def read_methods(classes):
    """The text of each converter's `read` method, by converter."""
    methods = {}
    for name, text in classes.items():
        read = _READ.search(text)
        if read:
            methods[name] = read.group(0)
    return methods


def plan(source):
    """What each converter of the generated module is, as far as this file can read it in
    place: ("record", class, ((field, converter), ...)), ("optional", converter),
    ("sequence", converter), ("map", key converter, value converter), ("enum", class, (member, ...)) or (kind,) for a primitive; a
    converter it does not recognise is left out."""
    kinds = {}
    classes = converter_classes(source)
    for name, text in read_methods(classes).items():
        primitive = _PRIMITIVE_READS.get(name)
        if primitive:
            also = _PRIMITIVE_ALSO.get(name, "")
            if text.rstrip("\n") == primitive[1].rstrip("\n") and also in classes[name]:
                kinds[name] = (primitive[0],)
        elif m := _RECORD.match(text):
            kinds[name] = ("record", m.group(1), tuple(_FIELD.findall(m.group(2))))
        elif m := _OPTIONAL.match(text):
            kinds[name] = ("optional", m.group(1))
        elif m := _SEQUENCE.match(text):
            kinds[name] = ("sequence", m.group(1))
        elif m := _MAP.match(text):
            kinds[name] = ("map", m.group(1), m.group(2))
        elif m := _ENUM.match(text):
            variants = _VARIANT.findall(m.group(1))
            numbered = [int(number) for number, _, _ in variants] == list(range(1, len(variants) + 1))
            if numbered and len({enum for _, enum, _ in variants}) == 1:
                kinds[name] = ("enum", variants[0][1], tuple(member for _, _, member in variants))
    return kinds


# The struct format of each fixed-size value this file reads (big-endian, no padding).
_FIXED = {suffix: fmt[1:] for suffix, fmt in _fast_buffers._FORMATS.items()}


class SourceWriter:
    """Writes one function's source, line by line, with the names it uses in `env`; the
    record readers here and the record writers of ``_fast_requests`` are made with it.
    Fixed-size values are kept `pending` (at one depth) until `flush` writes them out as
    one `struct` call; every line `emit` adds writes them out first."""

    def __init__(self, kinds, module, env=()):
        self.kinds = kinds
        self.module = module
        self.lines = []
        self.env = dict(env)
        self.delegated = []
        self.count = 0
        self.pending_depth = None
        self.pending = []

    def fresh(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def name(self, key, value):
        self.env[key] = value
        return key

    def line(self, depth, text):
        self.lines.append("    " * depth + text)

    def emit(self, depth, text):
        self.flush()
        self.line(depth, text)

    def flush(self):
        raise NotImplementedError

    def converter(self, converter):
        """The name of `converter` in `env`, looked up on it when called (a record
        converter used this way may be replaced too); counted as delegated."""
        self.delegated.append(converter)
        return self.name("_converter" + converter, getattr(self.module, converter))

    def source(self, signature):
        return f"def {signature}:\n" + "\n".join(self.lines) + "\n"


def compiled(text, env, name, label):
    """The function `name` that `text` defines, compiled with the names of `env`."""
    code = compile(text, f"<strongroom {label}>", "exec")
    exec(code, env)  # noqa: S102 - source written by this package from recognised generated text
    return env[name]


def replace(m, method, replacements, generated, delegated):
    """Puts each converter's new `method` into the module `m`, keeping the generated one in
    `generated` and what it delegates in `delegated`: converter -> (function, generated
    function, delegated converters)."""
    for converter, (function, generated_function, uses) in replacements.items():
        setattr(getattr(m, converter), method, staticmethod(function))
        generated[converter] = generated_function
        delegated[converter] = uses


class _Writer(SourceWriter):
    """Writes one record's reader: Python source over the locals d (the stream's memory),
    n (its length) and o (the offset), with the names it uses in `env`.

    Fixed-size values read one after another (integers, booleans, enum tags, option flags,
    timestamps) are read with one bounds check and one `struct` call, and checked (an enum's
    range, a flag) in the order the generated code checks them. A bounds check that fails
    reads the whole record again with the generated reader from where it started, so a
    short buffer fails exactly as before (the same error, at the same field)."""

    def __init__(self, kinds, module):
        env = {"_E": module.InternalError, "_EPOCH": _fast_buffers._EPOCH, "_timedelta": datetime.timedelta}
        super().__init__(kinds, module, env)
        # Pending here: fixed-size reads not written out yet, (target, format, checks).

    def fixed(self, depth, target, fmt, checks=()):
        """Reads `target` (one name, or several for a multi-value `fmt`), then runs `checks`
        (lines at the same depth)."""
        if self.pending and self.pending_depth != depth:
            self.flush()
        self.pending_depth = depth
        self.pending.append((target, fmt, checks))

    def flush(self):
        if not self.pending:
            return
        pending, depth = self.pending, self.pending_depth
        self.pending, self.pending_depth = [], None
        fmt = ">" + "".join(f for _, f, _ in pending)
        size = struct.calcsize(fmt)
        unpack = self.name("_unpack_" + fmt[1:], struct.Struct(fmt).unpack_from)
        targets = ", ".join(t for t, _, _ in pending)
        for line in (
            f"if o + {size} > n: return _again(buf, start)",
            f"({targets},) = {unpack}(d, o)",
            f"o += {size}",
        ) + tuple(check for _, _, checks in pending for check in checks):
            self.line(depth, line)

    def length(self, depth, target, what):
        self.fixed(depth, target, "i", (f'if {target} < 0: raise _E("Unexpected negative {what}")',))

    def value(self, depth, target, converter, inlining):
        kind = self.kinds.get(converter)
        tag = kind[0] if kind else None
        if tag is None or (tag == "record" and converter in inlining):
            self.delegate(depth, target, converter)
        elif tag.startswith("int:"):
            self.fixed(depth, target, _FIXED[tag[4:]])
        elif tag == "bool":
            self.fixed(depth, target, "B", (f"{target} = {target} != 0",))
        elif tag in ("string", "bytes"):
            size = self.fresh("size")
            self.length(depth, size, "string length" if tag == "string" else "byte string length")
            self.emit(depth, f"if o + {size} > n: return _again(buf, start)")
            read = f'str(d[o : o + {size}], "utf-8")' if tag == "string" else f"d[o : o + {size}].tobytes()"
            self.emit(depth, f"{target} = {read}")
            self.emit(depth, f"o += {size}")
        elif tag == "timestamp":
            # The generated reader's arithmetic, on a constant epoch (the arguments by
            # position: days, seconds, microseconds).
            seconds, nanos = self.fresh("seconds"), self.fresh("nanos")
            add = f"_EPOCH + _timedelta(0, {seconds}, {nanos} / 1000)"
            subtract = f"_EPOCH - _timedelta(0, -{seconds}, {nanos} / 1000)"
            # A record's timestamps are often equal (a new card's created, modified and last
            # used): one equal to the last one read is that same (immutable) datetime.
            same = f"if ({seconds}, {nanos}) == last_timestamp: {target} = last_time"
            made = f"else: {target} = last_time = {add} if {seconds} >= 0 else {subtract}; last_timestamp = ({seconds}, {nanos})"
            self.fixed(depth, f"{seconds}, {nanos}", "qI", (same, made))
        elif tag == "enum":
            members = self.name("_members_" + kind[1], tuple(getattr(getattr(self.module, kind[1]), m) for m in kind[2]))
            variant = self.fresh("variant")
            check = f"if not 1 <= {variant} <= {len(kind[2])}: raise _E(\"Raw enum value doesn't match any cases\")"
            self.fixed(depth, variant, "i", (check, f"{target} = {members}[{variant} - 1]"))
        elif tag == "optional":
            flag = self.fresh("flag")
            self.fixed(depth, flag, "B")
            self.emit(depth, f"if {flag} == 0: {target} = None")
            self.emit(depth, f"elif {flag} == 1:")
            self.value(depth + 1, target, kind[1], inlining)
            self.emit(depth, 'else: raise _E("Unexpected flag byte for optional type")')
        elif tag == "sequence":
            count, item = self.fresh("count"), self.fresh("item")
            self.length(depth, count, "sequence length")
            self.emit(depth, f"{target} = []")
            self.emit(depth, f"for _ in range({count}):")
            self.value(depth + 1, item, kind[1], inlining)
            self.emit(depth + 1, f"{target}.append({item})")
        elif tag == "map":
            count, key, item = self.fresh("count"), self.fresh("key"), self.fresh("item")
            self.length(depth, count, "map size")
            self.emit(depth, f"{target} = {{}}")
            self.emit(depth, f"for _ in range({count}):")
            self.value(depth + 1, key, kind[1], inlining)
            self.value(depth + 1, item, kind[2], inlining)
            self.emit(depth + 1, f"{target}[{key}] = {item}")
        else:  # a record not being read already
            self.record(depth, target, converter, inlining | {converter})

    def record(self, depth, target, converter, inlining):
        _, class_name, fields = self.kinds[converter]
        values = []
        for field, field_converter in fields:
            values.append((field, self.fresh("v")))
            self.value(depth, values[-1][1], field_converter, inlining)
        record = self.name("_record_" + class_name, getattr(self.module, class_name))
        self.emit(depth, f"{target} = {record}({', '.join(f'{field}={local}' for field, local in values)})")

    def delegate(self, depth, target, converter):
        reader = self.converter(converter)
        self.emit(depth, "buf._offset = o")
        self.emit(depth, f"{target} = {reader}.read(buf)")
        self.emit(depth, "o = buf._offset")


def reader_source(kinds, module, converter, stream, generated_read):
    """The source of `converter`'s reader, the names it uses, and what it delegates."""
    writer = _Writer(kinds, module)

    def again(buf, start):
        buf._offset = start
        return generated_read(buf)

    writer.env.update(_Stream=stream, _generated_read=generated_read, _again=again)
    writer.emit(1, "if type(buf) is not _Stream: return _generated_read(buf)")
    writer.emit(1, "d = buf._data")
    writer.emit(1, "n = buf._len")
    writer.emit(1, "o = start = buf._offset")
    writer.emit(1, "last_timestamp = last_time = None")
    writer.record(1, "result", converter, {converter})
    writer.emit(1, "buf._offset = o")
    writer.emit(1, "return result")
    return writer.source("read(buf)"), writer.env, tuple(writer.delegated)


def replaceable_records(source, m):
    """Each record converter of the generated module `m` (its text `source`) whose reader
    this file writes: its reader's source, names and delegated converters. A record whose
    reader would read, with its generated code, a converter that is not `rereadable` (an
    object's handle) keeps its generated reader: after a short buffer it would be read
    twice."""
    kinds = plan(source)
    pure = rereadable(source, kinds)
    records = {}
    for converter, kind in kinds.items():
        if kind[0] != "record":
            continue
        generated_read = getattr(m, converter).read
        text, env, delegated = reader_source(kinds, m, converter, m._UniffiRustBufferStream, generated_read)
        if set(delegated) <= pure:
            records[converter] = (text, env, delegated)
    return records


def generated_source(m, needs_buffers=True):
    """The text of the generated module `m`, after checking that the faster buffers are in
    it (if `needs_buffers`); ImportError if not, or if the file cannot be read."""
    if needs_buffers and not getattr(m, "_strongroom_fast_buffers", False):
        raise ImportError("strongroom: records in one step need the faster buffers installed first")
    try:
        with open(m.__file__, encoding="utf-8") as f:
            return f.read()
    except (AttributeError, OSError) as e:
        raise ImportError(f"strongroom: cannot read the generated bindings ({e})") from None


def install(m):
    """Replaces the `read` of every record converter of the generated module `m` (once),
    after ``_fast_buffers.install(m)``."""
    if getattr(m, "_strongroom_fast_records", False):
        return
    source = generated_source(m)
    readers = {
        converter: (compiled(text, env, "read", f"record reader {converter}"), env["_generated_read"], delegated)
        for converter, (text, env, delegated) in replaceable_records(source, m).items()
    }
    replace(m, "read", readers, GENERATED, DELEGATED)
    m._strongroom_fast_records = True
