package io.strongroom.tests

import io.strongroom.*
import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlin.test.*

fun luhnComplete(body: String): String {
    var total = 0
    body.reversed().forEachIndexed { i, c ->
        var d = c - '0'
        if (i % 2 == 0) {
            d *= 2
            if (d > 9) d -= 9
        }
        total += d
    }
    return body + ((10 - total % 10) % 10)
}

/** A host provider in Kotlin: records every call, fails on demand. */
class RecordingProvider : NetworkTokenProvider {
    val calls: MutableList<List<Any>> = Collections.synchronizedList(mutableListOf())
    @Volatile var failWith: Throwable? = null
    private val serial = AtomicInteger()

    private fun enter(vararg call: Any) {
        calls += call.toList()
        val failure = synchronized(this) { failWith.also { failWith = null } }
        if (failure != null) throw failure
    }

    override fun provision(request: TokenProvisionRequest): ProvisionedToken {
        enter("provision", request.paymentMethodId, request.cardNumber)
        val n = serial.incrementAndGet()
        return ProvisionedToken(luhnComplete("489537" + n.toString().padStart(9, '0')), 11u, 2031u, "kt_ref_$n",
            NetworkTokenStatus.ACTIVE)
    }

    override fun status(tokenRef: String): NetworkTokenStatus {
        enter("status", tokenRef)
        return NetworkTokenStatus.ACTIVE
    }

    override fun delete(tokenRef: String) = enter("delete", tokenRef)

    override fun cryptogram(tokenRef: String, amountMinor: ULong, currency: String): NetworkCryptogram {
        enter("cryptogram", tokenRef, amountMinor, currency)
        return NetworkCryptogram("cg-$tokenRef-$amountMinor$currency", "05")
    }
}

fun tokenizedCard(scope: ProfileScope, customerId: String, number: String = VISA): PaymentMethod =
    scope.createPaymentMethod(PaymentMethodCreate(customerId, card(number), networkTokenization = true)).paymentMethod

fun <T> withTokenVault(provider: Any, body: (Vault, ProfileScope) -> T): T {
    val dir = tempDir()
    try {
        return openVault(dir.resolve("vault").path, MASTER_KEY, provider, "k1", syncWrites = false).use { vault ->
            vault.createProfile("pro_shop", "merchant_shop", null)
            body(vault, vault.profile("pro_shop"))
        }
    } finally {
        dir.deleteRecursively()
    }
}

fun networkTokenTests() = Suite().apply {
    test("simulator: provision, masked views, reveal, cryptogram, delete") {
        val simulator = NetworkTokenSimulator(ByteArray(32) { it.toByte() })
        withTokenVault(simulator) { _, scope ->
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = tokenizedCard(scope, c.id)
            val view = (pm.networkToken as NetworkTokenState.Active).token
            assertEquals(NetworkTokenStatus.ACTIVE, view.status)
            val number = scope.revealPaymentMethod(pm.id).use { it.networkTokenNumber()!! }
            assertTrue(number.startsWith("489537"))
            assertEquals(number.takeLast(4), view.last4Digits)
            for (text in listOf(pm.toString(), scope.retrievePaymentMethod(pm.id).toString())) {
                assertFalse(text.contains(number) || text.contains(number.take(12)), text)
            }
            val cg = scope.networkCryptogram(pm.id, 1999L, "EUR")
            assertEquals(40, cg.cryptogram.length)
            scope.deletePaymentMethod(pm.id)
            assertEquals(listOf(view.tokenRef), simulator.deleted())
        }
    }
    test("simulator: a provider failure does not fail the create; retry works") {
        val simulator = NetworkTokenSimulator(ByteArray(32))
        withTokenVault(simulator) { _, scope ->
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            simulator.setFaults(1u, 0u, 0uL)
            val pm = tokenizedCard(scope, c.id)
            val missing = pm.networkToken as NetworkTokenState.Missing
            assertEquals(ProviderErrorKind.UNAVAILABLE, missing.kind)
            scope.revealPaymentMethod(pm.id).use { assertEquals(VISA, it.cardNumber()) }
            assertTrue(scope.provisionNetworkToken(pm.id).networkToken is NetworkTokenState.Active)
        }
    }
    test("a Kotlin provider is called both ways") {
        val provider = RecordingProvider()
        withTokenVault(provider) { _, scope ->
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = tokenizedCard(scope, c.id)
            assertEquals(listOf<Any>("provision", pm.id, VISA), provider.calls[0])
            val view = (pm.networkToken as NetworkTokenState.Active).token
            assertEquals("kt_ref_1", view.tokenRef)
            assertEquals(2031.toUShort(), view.expiryYear)
            assertEquals("cg-kt_ref_1-500USD", scope.networkCryptogram(pm.id, 500L, "USD").cryptogram)
            assertEquals(listOf<Any>("cryptogram", "kt_ref_1", 500uL, "USD"), provider.calls.last())
            scope.deletePaymentMethod(pm.id)
            assertEquals(listOf<Any>("delete", "kt_ref_1"), provider.calls.last())
        }
    }
    test("host exceptions become typed errors") {
        val provider = RecordingProvider()
        withTokenVault(provider) { _, scope ->
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            provider.failWith = ProviderFailure.Declined("card not eligible")
            val declined = tokenizedCard(scope, c.id)
            assertEquals(ProviderErrorKind.DECLINED, (declined.networkToken as NetworkTokenState.Missing).kind)

            provider.failWith = IllegalStateException("socket closed while sending $VISA")
            val other = tokenizedCard(scope, c.id, MASTERCARD)
            val missing = other.networkToken as NetworkTokenState.Missing
            assertEquals(ProviderErrorKind.FAILED, missing.kind)
            assertFalse(missing.reason.contains(VISA), missing.reason)
            // Not the exception's stack trace (its message, the host's class and file names).
            assertEquals("the host's provider raised an unexpected error", missing.reason)

            val dotted = VISA.chunked(4).joinToString(".")
            provider.failWith = ProviderFailure.Declined("pan $dotted not eligible")
            val echoed = tokenizedCard(scope, c.id, "4242424242424242")
            assertEquals("pan [digits removed] not eligible", (echoed.networkToken as NetworkTokenState.Missing).reason)

            provider.failWith = ProviderFailure.Unavailable("timeout")
            val e = assertFailsWith<StrongroomException.NetworkTokenFailure> { scope.provisionNetworkToken(declined.id) }
            assertEquals("NT_01", e.code)
            assertEquals("unavailable", e.kind)
            assertTrue(scope.provisionNetworkToken(declined.id).networkToken is NetworkTokenState.Active)

            provider.failWith = RuntimeException("bad")
            assertEquals("failed", assertFailsWith<StrongroomException.NetworkTokenFailure> {
                scope.networkCryptogram(declined.id, 100L, "EUR")
            }.kind)
            assertEquals("amount_minor", assertFailsWith<StrongroomException.InvalidValue> {
                scope.networkCryptogram(declined.id, -5L, "EUR")
            }.field)
        }
    }
    test("provider records print masked") {
        val request = TokenProvisionRequest("pro_a", "pm_x", VISA, 1u, 2030u, null)
        val token = ProvisionedToken("4895370000000013", 1u, 2030u, "r", NetworkTokenStatus.ACTIVE)
        assertFalse(request.toString().contains(VISA), request.toString())
        assertFalse(token.toString().contains("4895370000000013"), token.toString())
        val cryptogram = NetworkCryptogram("AgAAAAAAAIR8CQrXcIhbQAAAAAA=", "05")
        assertFalse(cryptogram.toString().contains("AgAAAAAA"), cryptogram.toString())
        assertTrue(cryptogram.toString().contains("eci=05"), cryptogram.toString())
    }
    test("8 threads with a Kotlin provider") {
        val provider = RecordingProvider()
        withTokenVault(provider) { _, scope ->
            val customers = (0 until 8).map { scope.createCustomer(CustomerCreate(name = "c$it")).id }
            val ids = ConcurrentHashMap.newKeySet<String>()
            val errors = ConcurrentHashMap<Int, Throwable>()
            (0 until 8).map { t ->
                thread {
                    try {
                        repeat(10) { i ->
                            val pm = tokenizedCard(scope, customers[t], luhnComplete("4" + t.toString().padStart(2, '0') + i.toString().padStart(12, '0')))
                            assertTrue(pm.networkToken is NetworkTokenState.Active)
                            ids += pm.id
                        }
                    } catch (e: Throwable) {
                        errors[t] = e
                    }
                }
            }.forEach { it.join() }
            assertEquals(emptyMap(), errors.mapValues { it.value.toString() })
            assertEquals(80, ids.size)
            assertEquals(80, provider.calls.count { it[0] == "provision" })
        }
    }
}
