"""Makes generated Kotlin reuse call statuses (src/io/strongroom/CallStatusPool.kt).

uniffi's generated `uniffiRustCallWithError` allocates a new `UniffiRustCallStatus` (two
JNA Structures with native memory) for every call into the library. This rewrites that one
function to take a status from `UniffiCallStatusPool` and give it back after the call.

The pool relies on the generated code's shape, so this fails loudly (and the build with it)
unless the generated file has exactly what it was written against (uniffi 0.32.2):
- the function, word for word, once, and the status check it calls (which reads the status
  only after the pool has read it back, and keeps no reference to it);
- no other place that allocates a status for a call (the only other statuses made are the
  fields of the foreign-future result structs and `UniffiRustCallStatus.create`);
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

CHECK = """\
private fun<E: kotlin.Exception> uniffiCheckCallStatus(errorHandler: UniffiRustCallStatusErrorHandler<E>, status: UniffiRustCallStatus) {
    if (status.isSuccess()) {
        return
    } else if (status.isError()) {
        throw errorHandler.lift(status.error_buf)
    } else if (status.isPanic()) {
        // when the rust code sees a panic, it tries to construct a rustbuffer
        // with the message.  but if that code panics, then it just sends back
        // an empty buffer.
        if (status.error_buf.len > 0) {
            throw InternalException(FfiConverterString.lift(status.error_buf))
        } else {
            throw InternalException("Rust panic")
        }
    } else {
        throw InternalException("Unknown rust call status: $status.code")
    }
}
"""

# The lines that may make a `UniffiRustCallStatus.ByValue()`: none of them is passed to a call.
BY_VALUE_ALLOWED = re.compile(
    r"^(?:"
    r"    @JvmField internal var `callStatus`: UniffiRustCallStatus\.ByValue = UniffiRustCallStatus\.ByValue\(\),"
    r"|        `callStatus`: UniffiRustCallStatus\.ByValue = UniffiRustCallStatus\.ByValue\(\),"
    r"|            val callStatus = UniffiRustCallStatus\.ByValue\(\)"
    r")$"
)

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
    if source.count(CHECK) != 1:
        raise ValueError("uniffiCheckCallStatus is not the one this was written against")
    # `UniffiRustCallStatus()` not as the ByValue subclass's supertype: a new status.
    if len(re.findall(r"(?<!class ByValue: )UniffiRustCallStatus\(\)", source)) != 1:
        raise ValueError("a call status is allocated somewhere other than uniffiRustCallWithError")
    for line in source.splitlines():
        if "UniffiRustCallStatus.ByValue()" in line and not BY_VALUE_ALLOWED.match(line):
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
