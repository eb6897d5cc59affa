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
//   a status of their own. (Rust writes a status only as the call it was passed to returns,
//   and every failed call's error is freed through another call, which clears the status
//   again, so in the flows uniffi generates one status per thread would also do; the stack
//   keeps correctness from resting on that.)
// - JNA does not copy a pooled status (auto-synch off). Its native memory is cleared before
//   each call; Rust writes a status only when the call fails, so it is read back only when
//   its code is no longer success. A status carries no card data: an error's buffer holds
//   the error (code, field, detail), and the generated code frees it as before.
package io.strongroom

import java.util.concurrent.atomic.AtomicLong

internal object UniffiCallStatusPool {
    /** Idle statuses a thread keeps; deeper nesting allocates and drops the extra ones. */
    private const val KEPT_PER_THREAD = 8

    private val idle = ThreadLocal.withInitial { ArrayDeque<UniffiRustCallStatus>(KEPT_PER_THREAD) }

    /** How many statuses were ever allocated (the tests check that calls reuse them). */
    internal val allocated = AtomicLong()

    /** A status for one call: success, its native memory cleared. */
    fun take(): UniffiRustCallStatus {
        val status = idle.get().removeLastOrNull() ?: UniffiRustCallStatus().also {
            it.setAutoSynch(false)
            allocated.incrementAndGet()
        }
        status.pointer.clear(status.size().toLong())
        status.code = UNIFFI_CALL_SUCCESS
        return status
    }

    /** After the call: reads in what Rust wrote, which it does only when the call failed. */
    fun readBack(status: UniffiRustCallStatus) {
        if (status.pointer.getByte(0) != UNIFFI_CALL_SUCCESS) status.read()
    }

    /** Done with [status] (its error, if any, already lifted and freed). */
    fun giveBack(status: UniffiRustCallStatus) {
        val stack = idle.get()
        if (stack.size < KEPT_PER_THREAD) stack.addLast(status)
    }
}
