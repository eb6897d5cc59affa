"""Gives generated Kotlin data classes a masked toString.

uniffi generates every record as a `data class` whose toString prints every field, which
would put a card number, a CVC or a key in any log line that prints a request. For each
record named on the command line, this inserts `override fun toString() = printed(this)`
into the class body (the `printed` functions live in src/io/strongroom/Extras.kt).
Fails loudly if the generated code no longer has the expected shape.
"""

import re
import sys

path, names = sys.argv[1], sys.argv[2:]
source = open(path, encoding="utf-8").read()
for name in names:
    start = source.find(f"\ndata class {name} (")
    if start < 0:
        sys.exit(f"mask_records: data class {name} not found in {path}")
    body = source.find("\n    companion object\n", start)
    next_class = source.find("\ndata class ", start + 1)
    if body < 0 or (0 <= next_class < body):
        sys.exit(f"mask_records: no companion object in data class {name}")
    source = source[:body] + "\n    override fun toString(): String = printed(this)\n" + source[body:]
open(path, "w", encoding="utf-8").write(source)
