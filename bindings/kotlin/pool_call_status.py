"""Makes generated Kotlin reuse call statuses (src/io/strongroom/CallStatusPool.kt).

uniffi's generated `uniffiRustCallWithError` allocates a new `UniffiRustCallStatus` (two
JNA Structures with native memory) for every call into the library. This rewrites that one
function to take a status from `UniffiCallStatusPool` and give it back after the call.

The pool relies on the generated code's shape, so this fails loudly (and the build with it)
unless the generated file has exactly what it was written against (uniffi 0.32.2):
- the function, word for word, once;
- no other place that allocates a status for a call;
- the status's layout: the one-byte `code` first, then the error buffer.
"""

import re
import sys

CALL_WITH_ERROR = """\
private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    var status = UniffiRustCallStatus()
    val return_value = callback(status)
    uniffiCheckCallStatus(errorHandler, status)
    return return_value
}
"""

POOLED = """\
private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {
    val status = UniffiCallStatusPool.take()
    try {
        val return_value = callback(status)
        UniffiCallStatusPool.readBack(status)
        uniffiCheckCallStatus(errorHandler, status)
        return return_value
    } finally {
        UniffiCallStatusPool.giveBack(status)
    }
}
"""

LAYOUT = """\
@Structure.FieldOrder("code", "error_buf")
internal open class UniffiRustCallStatus : Structure() {
    @JvmField var code: Byte = 0
    @JvmField var error_buf: RustBuffer.ByValue = RustBuffer.ByValue()
"""


def pooled(source: str) -> str:
    """The generated source with the pooled call; raises ValueError if its shape differs."""
    if source.count(CALL_WITH_ERROR) != 1:
        raise ValueError("uniffiRustCallWithError is not the one this was written against")
    # `UniffiRustCallStatus()` not as the ByValue subclass's supertype: a new status.
    if len(re.findall(r"(?<!class ByValue: )UniffiRustCallStatus\(\)", source)) != 1:
        raise ValueError("a call status is allocated somewhere other than uniffiRustCallWithError")
    if source.count(LAYOUT) != 1:
        raise ValueError("UniffiRustCallStatus no longer starts with its one-byte code")
    return source.replace(CALL_WITH_ERROR, POOLED)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        source = pooled(source)
    except ValueError as e:
        sys.exit(f"pool_call_status: {e} in {path}; check CallStatusPool.kt against the new uniffi")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)


if __name__ == "__main__":
    main(sys.argv[1])
