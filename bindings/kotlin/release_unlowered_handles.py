"""Makes generated Kotlin release an object's handle when an argument fails to encode.

uniffi's generated methods clone the object's handle (`callWithHandle`) and only then
lower their arguments. A string that is not valid UTF-16 (a lone surrogate) fails to lower
with `CharacterCodingException`, before the library is called: the cloned handle is then
never released, so that object is never freed. For a `Vault` that means its directory stays
locked after `close()` until the process ends.

This rewrites each object's `callWithHandle` to release the cloned handle (through the
object's own clean action, which frees one handle) when `CharacterCodingException` escapes
the call: only lowering raises it (results are decoded with replacement, and a host
callback's failures are reported to the library, not thrown here). Fails loudly unless the
generated file has exactly the shape it was written against (uniffi 0.32.2).
"""

import sys

GENERATED = """\
        // Now we can safely do the method call without the handle being freed concurrently.
        try {
            return block(this.uniffiCloneHandle())
        } finally {
"""

RELEASING = """\
        // Now we can safely do the method call without the handle being freed concurrently.
        try {
            val uniffiHandle = this.uniffiCloneHandle()
            try {
                return block(uniffiHandle)
            } catch (e: java.nio.charset.CharacterCodingException) {
                // An argument failed to encode: the library never took the cloned handle.
                uniffiReleaseClonedHandle(uniffiHandle)
                throw e
            }
        } finally {
"""

CALL_WITH_HANDLE = "    internal inline fun <R> callWithHandle(block: (handle: Long) -> R): R {\n"

# The inline function cannot reach the private clean action itself.
RELEASE = (
    "    @PublishedApi internal fun uniffiReleaseClonedHandle(handle: Long) = UniffiCleanAction(handle).run()\n\n"
)

path = sys.argv[1]
source = open(path, encoding="utf-8").read()
objects = source.count("    private class UniffiCleanAction(private val handle: Long) : Runnable {\n")
found = source.count(GENERATED)
if (
    found == 0
    or found != objects
    or source.count("this.uniffiCloneHandle()") != found
    or source.count(CALL_WITH_HANDLE) != found
):
    sys.exit(f"release_unlowered_handles: {found} callWithHandle bodies for {objects} objects in {path}: shape changed")
source = source.replace(GENERATED, RELEASING).replace(CALL_WITH_HANDLE, RELEASE + CALL_WITH_HANDLE)
open(path, "w", encoding="utf-8").write(source)
