"""Arguments of the wrong type are refused by name, before anything is written.

uniffi's generated checks let some wrong types through to places that fail without saying
which argument was wrong, or not as a ``StrongroomError`` at all:

- a record's check reads each field as an attribute, so a ``dict`` (or ``None``) given for a
  ``CardInput`` raised ``AttributeError``, and so did anything but a ``dict`` given for a map;
- a boolean's check accepts any value, whose write then raised ``struct.error`` (``"yes"``,
  ``None``) or reached Rust as a byte other than 0 and 1 (``2``), which Rust refused as an
  internal error with its backtrace in the message;
- a string, an integer, an enum, a byte string or a timestamp of the wrong kind raised
  ``TypeError`` or ``ValueError``, which the package reported as ``IR_05`` without a field.

:func:`install` puts checks in front of the generated ones that raise :class:`BadArgument`
naming what was expected, the type given (never the value) and the field's path from the
argument (``card.card_network``, ``billing``, ``metadata``; a sequence's items by the
sequence's name; an argument itself has no path here, and the package names it by its
parameter), which the package reports as
``StrongroomError.InvalidValue`` with code ``IR_05`` and that field. Each check is the
generated one's, with the type checked first: what the generated code accepted and wrote
is unchanged, except that a boolean must be a ``bool``, a record an instance of its class,
a map a ``dict``, a sequence a ``list`` or ``tuple`` (a ``str`` would be a sequence of its
characters) and a timestamp a ``datetime`` with a time zone (the generated write raised
``TypeError`` for a naive one and for most other values; an object that compares with and
subtracts from a ``datetime`` like one, which it wrote, is refused too).
"""

import datetime
import re

from . import _fast_records


class BadArgument(TypeError):
    """An argument (or a field of one, at `path`) of the wrong type or out of range."""

    def __init__(self, expected, given=None, path=()):
        super().__init__(expected)
        self.expected = expected
        self.given = given
        self.path = path

    def within(self, field):
        return BadArgument(self.expected, self.given, (field,) + self.path)

    @property
    def field(self):
        return ".".join(self.path) or None

    @property
    def detail(self):
        where = f" for `{self.field}`" if self.path else ""
        given = f", not {self.given}" if self.given else ""
        return f"invalid value{where}: must be {self.expected}{given}"


def _type_name(value):
    return type(value).__name__


def _article(name):
    return ("an " if name[0] in "AEIOU" else "a ") + name


_RECORD_CHECK = re.compile(
    r"    @staticmethod\n    def check_lower\(value\):\n"
    r"((?:        _UniffiFfiConverter\w+\.check_lower\(value\.\w+\)\n)*)\n*\Z"
)
_FIELD_CHECK = re.compile(r"        (_UniffiFfiConverter\w+)\.check_lower\(value\.(\w+)\)\n")
_CHECK = _fast_records.method_pattern("check_lower", r"\w+")


# What UTF-8 cannot encode in a Python str: a surrogate code point.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value):
    if not isinstance(value, str):
        raise BadArgument("a str", _type_name(value))
    # Refused here, before the generated call takes a handle on the object: a string that
    # fails to encode in the generated lowering would leave that handle (and the buffers
    # of arguments already lowered) behind, and a vault with one never closes when dropped.
    # Searched for, not encoded: an encoded copy of a card number would not be zeroized.
    if not value.isascii() and _SURROGATE.search(value):
        raise BadArgument("text UTF-8 can encode (no lone surrogates)", _type_name(value))
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise BadArgument("a bool", _type_name(value))
    return value


def _timestamp(value):
    # What the generated write can compare with its (aware) epoch.
    if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
        raise BadArgument("a datetime with a time zone", _type_name(value))


def _bytes(generated_check):
    def check(value):
        try:
            generated_check(value)
        except TypeError:
            raise BadArgument("a bytes-like object", _type_name(value)) from None

    return check


def _integer(generated_check, low, high):
    expected = f"an integer from {low} to {high - 1}"

    def check(value):
        try:
            generated_check(value)
        except (TypeError, ValueError):
            raise BadArgument(expected, None if isinstance(value, int) else _type_name(value)) from None

    return check


def _enum(generated_check, name):
    def check(value):
        try:
            generated_check(value)
        except ValueError:
            raise BadArgument(_article(name), _type_name(value)) from None

    return check


def _typed(generated_check, types, expected):
    def check(value):
        if not isinstance(value, types):
            raise BadArgument(expected, _type_name(value))
        return generated_check(value)

    return check


_OPTIONAL_CHECK = re.compile(
    r"    @classmethod\n    def check_lower\(cls, value\):\n        if value is not None:\n"
    r"            (_UniffiFfiConverter\w+)\.check_lower\(value\)\n*\Z"
)


def _record(module, record_class, fields, optionals):
    """The generated record check (each field's check, in order; an optional field's
    written out), the type checked first and a field's wrong type named by its path. Made
    with ``compile``, like ``_fast_records``'s readers: one function per record."""
    env = {"_record": record_class, "_BadArgument": BadArgument, "_type_name": _type_name}
    lines = [
        "def check(value):",
        "    if not isinstance(value, _record):",
        f"        raise _BadArgument({_article(record_class.__name__)!r}, _type_name(value))",
        "    field = None",
        "    try:",
        "        pass",
    ]
    for i, (field, converter) in enumerate(fields):
        inner = optionals.get(converter)
        # Looked up when called: the field's converter gets its check from this file too.
        env[f"_converter{i}"] = getattr(module, inner or converter)
        lines.append(f"        field = {field!r}")
        if inner:
            lines.append(f"        present = value.{field}")
            lines.append(f"        if present is not None: _converter{i}.check_lower(present)")
        else:
            lines.append(f"        _converter{i}.check_lower(value.{field})")
    lines += ["    except _BadArgument as e:", "        raise e.within(field) from None"]
    return _fast_records.compiled("\n".join(lines) + "\n", env, "check", f"record check {record_class.__name__}")


# The record converters whose fields are checked one by one (the others: only their type).
BY_FIELD = set()


def install(m):
    """Puts the checks in front of the generated module `m`'s (once)."""
    if getattr(m, "_strongroom_argument_checks", False):
        return
    source = _fast_records.generated_source(m, needs_buffers=False)
    kinds = _fast_records.plan(source)
    classes = _fast_records.converter_classes(source)
    optionals = {}
    for name, kind in kinds.items():
        text = _CHECK.search(classes[name]) if kind[0] == "optional" else None
        found = _OPTIONAL_CHECK.match(text.group(0)) if text else None
        if found and found.group(1) == kind[1]:
            optionals[name] = kind[1]
    checks = {}
    for name, kind in kinds.items():
        converter = getattr(m, name)
        generated_check = converter.check_lower
        tag = kind[0]
        if tag == "string":
            checks[name] = _string
        elif tag == "bool":
            checks[name] = _boolean
        elif tag == "timestamp":
            checks[name] = _timestamp
        elif tag == "bytes":
            checks[name] = _bytes(generated_check)
        elif tag.startswith("int:"):
            checks[name] = _integer(generated_check, converter.VALUE_MIN, converter.VALUE_MAX)
        elif tag == "enum":
            checks[name] = _enum(generated_check, kind[1])
        elif tag == "map":
            checks[name] = _typed(generated_check, dict, "a dict")
        elif tag == "sequence":
            checks[name] = _typed(generated_check, (list, tuple), "a list")
        elif tag == "record":
            record_class = getattr(m, kind[1])
            text = _CHECK.search(classes[name])
            found = _RECORD_CHECK.match(text.group(0)) if text else None
            fields = [(field, c) for c, field in _FIELD_CHECK.findall(found.group(1))] if found else None
            if fields == list(kind[2]):
                checks[name] = _record(m, record_class, fields, optionals)
                BY_FIELD.add(name)
            else:  # a check this file does not know: only the type in front of it
                checks[name] = _typed(generated_check, record_class, _article(kind[1]))
    for name, check in checks.items():
        setattr(getattr(m, name), "check_lower", staticmethod(check))
    m._strongroom_argument_checks = True
