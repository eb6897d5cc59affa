package io.strongroom.tests

import io.strongroom.*
import java.nio.charset.CharacterCodingException
import kotlin.test.*

const val MB = 1024 * 1024

/** The binding's counter of argument buffers freed on this thread (UnloweredBuffers.kt). */
fun buffersReleasedHere(): Long = unloweredBuffersField("releasedOnThread").get().let { (it as java.util.concurrent.atomic.AtomicLong).get() }

/** How many argument buffers this thread holds, waiting for a call's last argument. */
fun buffersKeptHere(): Int = unloweredBuffersField("kept").get().let { (it as List<*>).size }

private fun unloweredBuffersField(name: String): ThreadLocal<*> {
    val holder = Class.forName("io.strongroom.UniffiUnloweredBuffers")
    val field = holder.getDeclaredField(name).apply { isAccessible = true }
    return field.get(holder.getField("INSTANCE").get(null)) as ThreadLocal<*>
}

fun badInputTests() = Suite().apply {
    fun counts(vault: Vault) = vault.stats().total.let { it.customers to it.paymentMethods }

    val customerCases = listOf(
        Triple("NUL in name", CustomerCreate(name = "John\u0000Doe"), "name"),
        Triple("1 MB name", CustomerCreate(name = "x".repeat(MB)), "name"),
        Triple("NUL in email", CustomerCreate(email = "a@b.c\u0000"), "email"),
        Triple("1 MB description", CustomerCreate(description = "d".repeat(MB)), "description"),
        Triple("NUL in metadata key", CustomerCreate(metadata = mapOf("k\u0000" to "v")), "metadata"),
        Triple("1 MB metadata value", CustomerCreate(metadata = mapOf("k" to "v".repeat(MB))), "metadata"),
    )
    for ((name, request, field) in customerCases) {
        test("customer: $name → IR_05, nothing written") {
            withVault { vault, _ ->
                val before = counts(vault)
                val e = assertFailsWith<StrongroomException.InvalidValue> { vault.profile("pro_shop").createCustomer(request) }
                assertEquals("IR_05", e.code)
                assertTrue(e.field!!.startsWith(field), e.field)
                assertEquals(before, counts(vault))
            }
        }
    }

    val cardCases = listOf(
        Triple("NUL in number", card("4242\u0000424242424242"), "card_number"),
        Triple("1 MB number", card("4".repeat(MB)), "card_number"),
        Triple("1 MB holder", card(holder = "n".repeat(MB)), "card_holder_name"),
        Triple("NUL in holder", card(holder = "John\u0000"), "card_holder_name"),
        Triple("negative month", card(month = "-1"), "card_exp_month"),
        Triple("negative year", card(year = "-2030"), "card_exp_year"),
        Triple("huge month", card(month = "99999999999999999999"), "card_exp_month"),
        Triple("NUL CVC", card(cvc = "\u0000\u0000\u0000"), "card_cvc"),
        Triple("full-width digits", card("４２４２４２４２４２４２４２４２"), "card_number"),
    )
    for ((name, input, field) in cardCases) {
        test("card: $name → IR_05, nothing written") {
            withVault { vault, _ ->
                val scope = vault.profile("pro_shop")
                val c = scope.createCustomer(CustomerCreate(name = "A"))
                val before = counts(vault)
                val e = assertFailsWith<StrongroomException.InvalidValue> { scope.createPaymentMethod(PaymentMethodCreate(c.id, input)) }
                assertEquals(field, e.field)
                assertFalse(e.message!!.contains(VISA))
                assertEquals(before, counts(vault))
            }
        }
    }

    test("negative and out-of-range numbers → IR_05 with the field") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val cases = listOf<Pair<String, () -> Unit>>(
                "limit" to { scope.listCustomers(-1L, null) },
                "limit" to { scope.listCustomers(0L, null) },
                "limit" to { scope.listCustomers(Long.MAX_VALUE, null) },
                "limit" to { scope.listCustomers(Long.MIN_VALUE, null) },
                "from" to { vault.listAudit("pro_shop", -5L, 10L) },
                "limit" to { vault.listAudit("pro_shop", 0L, -10L) },
                "cvc_ttl_seconds" to { vault.createProfile("pro_x", "m", ProfileSettings(cvcTtlSeconds = -1L)) },
                "cvc_ttl_seconds" to { vault.createProfile("pro_z", "m", ProfileSettings(cvcTtlSeconds = 0L)) },
                "volatile_ttl_seconds" to { vault.updateProfileSettings("pro_shop", ProfileSettings(volatileTtlSeconds = 1_000_000_000L)) },
                "volatile_ttl_seconds" to { vault.createProfile("pro_y", "m", ProfileSettings(volatileTtlSeconds = Long.MIN_VALUE)) },
                "profile_id" to { vault.createProfile("pro\u0000", "m", null) },
            )
            for ((field, call) in cases) {
                val e = assertFailsWith<StrongroomException.InvalidValue> { call() }
                assertEquals(field, e.field)
            }
            assertEquals(listOf("pro_shop"), vault.listProfiles().map { it.id })
        }
    }

    test("lone surrogates cannot cross the boundary: CharacterCodingException, nothing written") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val before = counts(vault)
            assertFailsWith<CharacterCodingException> { scope.createCustomer(CustomerCreate(name = "\uD800")) }
            assertFailsWith<CharacterCodingException> { scope.createCustomer(CustomerCreate(name = "ok\uDFFFok")) }
            assertEquals(before, counts(vault))
            val name = "Zoë Ünïcødé 山田 \uD83C\uDCCF"
            assertEquals(name, scope.retrieveCustomer(scope.createCustomer(CustomerCreate(name = name)).id).name)
        }
    }

    test("a string that fails to encode frees the buffers of the arguments lowered before it") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val released = buffersReleasedHere()
            // The API key's secret was lowered before the profile id failed.
            assertFailsWith<CharacterCodingException> { vault.authenticate("key_x.00", "pro_\uDFFF") }
            assertEquals(released + 1, buffersReleasedHere())
            // The card (number and CVC) before the billing address; then the metadata fails
            // after both.
            val card = card(VISA, "737")
            assertFailsWith<CharacterCodingException> { scope.checkCard(card, Address(line1 = "\uD800"), null) }
            assertEquals(released + 2, buffersReleasedHere())
            assertFailsWith<CharacterCodingException> { scope.checkCard(card, Address(line1 = "1 Main St"), mapOf("k" to "\uDFFF")) }
            assertEquals(released + 4, buffersReleasedHere())
            // A call whose arguments all lower hands every buffer to the library: none kept.
            scope.checkCard(card, Address(line1 = "1 Main St"), mapOf("k" to "v"))
            assertEquals(released + 4, buffersReleasedHere())
            assertEquals(0, buffersKeptHere())
        }
    }

    test("a string that fails to encode leaves no handle behind: the vault closes and opens again") {
        val path = tempDir().resolve("vault").path
        val vault = openVault(path, MASTER_KEY, "k1", syncWrites = false)
        vault.createProfile("pro_shop", "m", null)
        val scope = vault.profile("pro_shop")
        assertFailsWith<CharacterCodingException> { vault.profile("pro_\uD800") }
        assertFailsWith<CharacterCodingException> { vault.authenticate("key_x.00", "pro_\uDFFF") }
        assertFailsWith<CharacterCodingException> { scope.retrievePaymentMethod("pm_\uD800") }
        scope.close()
        vault.close()
        openVault(path, MASTER_KEY, "k1", syncWrites = false).use { again ->
            assertEquals("pro_shop", again.profile("pro_shop").profileId())
        }
    }
}
