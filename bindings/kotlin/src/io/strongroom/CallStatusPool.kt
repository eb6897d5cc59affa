// The call status of every call into the library, reused instead of allocated per call.
//
// uniffi's generated `uniffiRustCallWithError` builds a new `UniffiRustCallStatus` for each
// call: two JNA Structures (the status and its error buffer), each with its own native
// memory, a Cleaner registration and two map updates, and JNA copies every field of both by
// reflection before and after the call. A retrieve makes four such calls (the id's buffer,
// the handle's clone, the retrieve, the result's free). `pool_call_status.py`, run by
// build.sh, makes that function take a status from here and give it back after.
//
// - Each thread keeps its own stack of idle statuses, so calls that nest (an argument
//   lowered inside a call, a host's network token provider calling the vault back) each get
//   a status of their own. One status per thread does not do (tried: a double free): a
//   failed call's error buffer is freed by a call made while that call's status is in use.
// - JNA does not copy a pooled status (auto-synch off). An idle status is clear (its native
//   memory and its Java fields); Rust writes a status only when the call fails, so it is
//   read back only when its code is no longer success, and cleared again when given back.
//   A status carries no card data: an error's buffer holds the error (code, field, detail),
//   and the generated code frees it as before.
// - Like any ThreadLocal, a thread that outlives the binding's class loader (a pool thread in
//   a container that redeploys) keeps its idle statuses, and so those classes, until it ends.
package io.strongroom

import java.util.concurrent.atomic.AtomicLong

internal object UniffiCallStatusPool {
    /** Idle statuses a thread keeps; deeper nesting allocates and drops the extra ones. */
    private const val KEPT_PER_THREAD = 8

    private val idle = ThreadLocal.withInitial { ArrayDeque<UniffiRustCallStatus>(KEPT_PER_THREAD) }

    /** How many statuses this thread has allocated (the tests check that calls reuse them). */
    internal val allocatedOnThread: ThreadLocal<AtomicLong> = ThreadLocal.withInitial { AtomicLong() }

    /** A clear status for one call. */
    fun take(): UniffiRustCallStatus = idle.get().removeLastOrNull() ?: UniffiRustCallStatus().also {
        it.setAutoSynch(false)
        clear(it)
        allocatedOnThread.get().incrementAndGet()
    }

    /** After the call: reads in what Rust wrote, which it does only when the call failed. */
    fun readBack(status: UniffiRustCallStatus) {
        if (status.pointer.getByte(0) != UNIFFI_CALL_SUCCESS) status.read()
    }

    /** Done with [status] (its error, if any, already lifted and freed). */
    fun giveBack(status: UniffiRustCallStatus) {
        clear(status)
        val stack = idle.get()
        if (stack.size < KEPT_PER_THREAD) stack.addLast(status)
    }

    private fun clear(status: UniffiRustCallStatus) {
        status.pointer.clear(status.size().toLong())
        status.code = UNIFFI_CALL_SUCCESS
        status.error_buf.capacity = 0
        status.error_buf.len = 0
        status.error_buf.data = null
    }
}
