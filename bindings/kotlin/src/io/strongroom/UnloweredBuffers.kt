// The buffers of a call's first arguments, freed if a later argument fails to lower.
//
// uniffi's generated calls lower their arguments one after another, each into a buffer the
// library allocates, and hand them all to the library in the call, which frees them. An
// argument that fails to lower (a string with a lone surrogate: CharacterCodingException)
// left the buffers of the arguments before it allocated for good, never freed nor wiped: an
// API key's secret before its profile id (`authenticate`), a card's number and CVC before
// its billing address (`checkCard`). `release_unlowered_buffers.py`, run by build.sh, makes
// every call of more than one argument keep its arguments' buffers here while it lowers the
// next ones, free them if one fails, and forget them once the last is lowered: the library
// owns them from then on. Calls do not nest while arguments are lowered (a handle's clone is
// not such a call), and a host's provider calling the vault back does so after its call's
// arguments are all handed over, so one list per thread does.
package io.strongroom

import java.util.concurrent.atomic.AtomicLong

internal object UniffiUnloweredBuffers {
    @PublishedApi internal val kept: ThreadLocal<ArrayList<RustBuffer.ByValue>> = ThreadLocal.withInitial { ArrayList(4) }

    /** How many buffers this thread has freed after a later argument failed (for the tests). */
    internal val releasedOnThread: ThreadLocal<AtomicLong> = ThreadLocal.withInitial { AtomicLong() }

    /** A lowered argument: kept if it is a buffer, until the call's last argument is lowered. */
    @PublishedApi internal fun <T> keep(lowered: T): T {
        if (lowered is RustBuffer.ByValue) kept.get().add(lowered)
        return lowered
    }

    /** Lowers an argument between the first and the last. */
    inline fun <T> next(lower: () -> T): T = try {
        keep(lower())
    } catch (e: Throwable) {
        release()
        throw e
    }

    /** Lowers the last argument: then the library takes every buffer in the call. */
    inline fun <T> last(lower: () -> T): T = try {
        lower().also { kept.get().clear() }
    } catch (e: Throwable) {
        release()
        throw e
    }

    /** Frees the buffers kept, the library never to see them. */
    @PublishedApi internal fun release() {
        val buffers = kept.get()
        try {
            for (buffer in buffers) {
                RustBuffer.free(buffer)
                releasedOnThread.get().incrementAndGet()
            }
        } finally {
            buffers.clear()
        }
    }
}
