// The reused call statuses (src/io/strongroom/CallStatusPool.kt): a status left by a failed
// call never leaks into the next, calls nested in a call (a provider calling the vault back)
// and calls on many threads get their own outcome, and calls reuse statuses.
package io.strongroom.tests

import io.strongroom.*
import java.util.concurrent.atomic.AtomicLong
import kotlin.concurrent.thread
import kotlin.test.*

/** How many call statuses the binding has allocated on this thread (the pool's counter). */
fun statusesAllocatedHere(): Long {
    val pool = Class.forName("io.strongroom.UniffiCallStatusPool")
    val field = pool.getDeclaredField("allocatedOnThread").apply { isAccessible = true }
    @Suppress("UNCHECKED_CAST")
    return (field.get(pool.getField("INSTANCE").get(null)) as ThreadLocal<AtomicLong>).get().get()
}

/** Runs [body] on a thread of its own (whose pool starts empty) and rethrows what it threw. */
fun <T> onFreshThread(body: () -> T): T {
    var result: Result<T>? = null
    thread { result = runCatching(body) }.join()
    return result!!.getOrThrow()
}

/** A provider that makes calls into the vault from inside its own call, then answers. */
class CallingBackProvider : NetworkTokenProvider {
    lateinit var scope: ProfileScope
    lateinit var knownCard: String
    var failAfterCalls = false
    val deleted = mutableListOf<String>()

    /** What went wrong inside the nested calls (an AssertionError would not reach the test). */
    val problems = mutableListOf<Throwable>()

    /** A succeeding call and a failing one, nested in the vault's call to this provider. */
    private fun callBack() {
        try {
            assertEquals(VISA.takeLast(4), scope.retrievePaymentMethod(knownCard).card.last4Digits)
            assertEquals("HE_02", assertFailsWith<StrongroomException.NotFound> {
                scope.retrievePaymentMethod(missingPm())
            }.code)
        } catch (t: Throwable) {
            problems += t
        }
    }

    override fun provision(request: TokenProvisionRequest): ProvisionedToken {
        callBack()
        if (failAfterCalls) throw ProviderFailure.Unavailable("down")
        return ProvisionedToken(luhnComplete("489537000000001"), 11u, 2031u, "ref_nested", NetworkTokenStatus.ACTIVE)
    }

    override fun status(tokenRef: String) = NetworkTokenStatus.ACTIVE

    // Returns nothing: nothing is lowered into a new buffer after the nested calls.
    override fun delete(tokenRef: String) {
        callBack()
        deleted += tokenRef
    }

    override fun cryptogram(tokenRef: String, amountMinor: ULong, currency: String) = NetworkCryptogram("cg", "05")
}

fun callStatusTests() = Suite().apply {
    test("a failed call does not make the next call on the thread fail") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id)).paymentMethod
            repeat(50) { i ->
                check(assertFailsWith<StrongroomException.NotFound> { scope.retrievePaymentMethod(missingPm(i)) },
                    "HE_02", "payment_method_id")
                assertEquals(pm.id, scope.retrievePaymentMethod(pm.id).id)
                check(assertFailsWith<StrongroomException.InvalidValue> {
                    scope.createPaymentMethod(newCard(c.id, "4242424242424241"))
                }, "IR_05", "card_number")
                assertEquals("pro_shop", scope.profileId())
                check(assertFailsWith<StrongroomException.MissingField> { scope.createPaymentMethod(newCard(c.id, "")) },
                    "IR_04", "card_number")
                assertEquals(1, scope.listPaymentMethods(c.id, 10L, null).paymentMethods.size)
            }
        }
    }
    test("calls reuse their statuses") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id)).paymentMethod
            val allocated = onFreshThread {
                repeat(1000) {
                    scope.retrievePaymentMethod(pm.id)
                    assertFailsWith<StrongroomException.NotFound> { scope.retrievePaymentMethod(missingPm()) }
                }
                statusesAllocatedHere()
            }
            // 2,000 retrieves are 8,000 calls (the id's buffer, the handle's clone, the
            // retrieve, the result's or the error's free). A fresh thread allocates what its
            // deepest nesting needs, once: a status for the retrieve and one for the id's
            // buffer, lowered (and the error's buffer freed) while the first is in use.
            assertEquals(2L, allocated, "statuses allocated for 8,000 calls")
        }
    }
    test("a provider calling the vault from inside a call") {
        val provider = CallingBackProvider()
        withTokenVault(provider) { _, scope ->
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            provider.scope = scope
            provider.knownCard = scope.createPaymentMethod(newCard(c.id)).paymentMethod.id
            val pm = tokenizedCard(scope, c.id, MASTERCARD)
            assertEquals(emptyList(), provider.problems)
            assertEquals("ref_nested", (pm.networkToken as NetworkTokenState.Active).token.tokenRef)

            provider.failAfterCalls = true
            val e = assertFailsWith<StrongroomException.NetworkTokenFailure> { scope.provisionNetworkToken(provider.knownCard) }
            assertEquals(emptyList(), provider.problems)
            assertEquals("NT_01", e.code)
            assertEquals("unavailable", e.kind)
            assertEquals(pm.id, scope.retrievePaymentMethod(pm.id).id)

            // The outer call succeeds after the provider's last nested call failed.
            scope.deletePaymentMethod(pm.id)
            assertEquals(emptyList(), provider.problems)
            assertEquals(listOf("ref_nested"), provider.deleted)
            assertFailsWith<StrongroomException.NotFound> { scope.retrievePaymentMethod(pm.id) }
        }
    }
    test("threads each use their own statuses") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id)).paymentMethod
            val errors = java.util.concurrent.ConcurrentHashMap<Int, Throwable>()
            (0 until 8).map { t ->
                thread {
                    try {
                        repeat(200) { i ->
                            if ((i + t) % 2 == 0) {
                                assertEquals(pm.id, scope.retrievePaymentMethod(pm.id).id)
                            } else {
                                check(assertFailsWith<StrongroomException.NotFound> {
                                    scope.retrievePaymentMethod(missingPm(t * 1000 + i))
                                }, "HE_02", "payment_method_id")
                            }
                        }
                    } catch (e: Throwable) {
                        errors[t] = e
                    }
                }
            }.forEach { it.join() }
            assertEquals(emptyMap(), errors.mapValues { it.value.toString() })
        }
    }
}
