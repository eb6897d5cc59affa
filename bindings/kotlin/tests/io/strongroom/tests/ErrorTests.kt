package io.strongroom.tests

import io.strongroom.*
import java.time.Instant
import kotlin.test.*

/** Checks the common shape of every vault error: code, field, a message, all reachable from the base type. */
fun check(e: StrongroomException, code: String, field: String?) {
    assertEquals(code, e.code)
    assertEquals(field, e.field)
    assertTrue(e.detail.isNotBlank())
    assertNotNull(e.message)
    assertTrue(e.message!!.contains(code))
}

fun errorTests() = Suite().apply {
    test("IR_01 unauthorized") {
        withVault { vault, _ ->
            val e = assertFailsWith<StrongroomException.Unauthorized> {
                vault.authenticate("key_00000000000000000000000000000000.nope", "pro_shop")
            }
            check(e, "IR_01", null)
        }
    }
    test("IR_04 missing field") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            check(assertFailsWith<StrongroomException.MissingField> { scope.createPaymentMethod(newCard(c.id, "")) },
                "IR_04", "card_number")
        }
    }
    test("errors name the argument or option given") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            check(assertFailsWith<StrongroomException.InvalidValue> { scope.listCustomers(null, "not-an-id") },
                "IR_05", "starting_after")
            check(assertFailsWith<StrongroomException.InvalidValue> { scope.listPaymentMethods(c.id, null, "pm_bad") },
                "IR_05", "starting_after")
            val dir = java.nio.file.Files.createTempDirectory("strongroom-options").resolve("v").toString()
            val short = VaultOptions(listOf(MasterKeyEntry("k1", ByteArray(31))), "k1", false)
            check(assertFailsWith<StrongroomException.InvalidValue> { Vault.open(dir, short) }, "IR_05", "master_keys.key")
            val badId = VaultOptions(listOf(MasterKeyEntry("bad id", ByteArray(32))), "bad id", false)
            check(assertFailsWith<StrongroomException.InvalidValue> { Vault.open(dir, badId) }, "IR_05", "master_keys.id")
        }
    }
    test("IR_05 invalid value, without echoing the number") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val e = assertFailsWith<StrongroomException.InvalidValue> {
                scope.createPaymentMethod(newCard(c.id, "4242424242424241"))
            }
            check(e, "IR_05", "card_number")
            assertFalse(e.message!!.contains("4242424242424241"))
        }
    }
    test("IR_06 forbidden") {
        withVault { vault, _ ->
            vault.createApiKey("pro_shop", ApiKeyCreate("ro", Scopes(read = true))).use { key ->
                val reader = vault.authenticate(key.secret(), "pro_shop")
                check(assertFailsWith<StrongroomException.Forbidden> { reader.createCustomer(CustomerCreate(name = "x")) },
                    "IR_06", null)
            }
        }
    }
    test("IR_11 redacted") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            scope.deleteCustomer(c.id)
            check(assertFailsWith<StrongroomException.Redacted> { scope.retrieveCustomer(c.id) }, "IR_11", "customer_id")
        }
    }
    test("IR_12 duplicate merchant reference") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            scope.createCustomer(CustomerCreate(merchantReferenceId = "ref_1"))
            check(assertFailsWith<StrongroomException.DuplicateReference> {
                scope.createCustomer(CustomerCreate(merchantReferenceId = "ref_1"))
            }, "IR_12", "merchant_reference_id")
        }
    }
    test("CE_05 card expired") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            check(assertFailsWith<StrongroomException.CardExpired> {
                scope.createPaymentMethod(newCard(c.id, month = "01", year = "2020"))
            }, "CE_05", "card_exp_year")
        }
    }
    test("HE_01 duplicate") {
        withVault { vault, _ ->
            check(assertFailsWith<StrongroomException.Duplicate> { vault.createProfile("pro_shop", "m", null) },
                "HE_01", "profile_id")
        }
    }
    test("HE_02 not found") {
        withVault { vault, _ ->
            check(assertFailsWith<StrongroomException.NotFound> {
                vault.profile("pro_shop").retrievePaymentMethod(missingPm())
            }, "HE_02", "payment_method_id")
        }
    }
    test("HE_00 closed vault, wrong master key") {
        val dir = tempDir()
        val path = dir.resolve("vault").path
        val vault = testVault(path)
        vault.createProfile("pro_shop", "m", null)
        val scope = vault.profile("pro_shop")
        vault.close()
        val closed = assertFailsWith<StrongroomException.Internal> { scope.listCustomers(null, null) }
        check(closed, "HE_00", null)
        assertEquals("closed", closed.kind)
        val wrong = assertFailsWith<StrongroomException.Internal> { testVault(path, ByteArray(32)) }
        assertEquals("wrong_master_key", wrong.kind)
        check(assertFailsWith<StrongroomException.InvalidValue> { testVault(path, ByteArray(5)) }, "IR_05", "master_key")
        dir.deleteRecursively()
    }
    test("every error is one catchable type") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val codes = listOf<() -> Unit>(
                { scope.retrieveCustomer("cus_" + "0".repeat(32)) },
                { scope.retrieveCustomer("not-an-id") },
                { scope.listCustomers(0L, null) },
                { vault.createApiKey("pro_shop", ApiKeyCreate("old", Scopes(read = true), Instant.parse("2020-01-01T00:00:00Z"))) },
            ).map { call ->
                try {
                    call(); "none"
                } catch (e: StrongroomException) {
                    e.code
                }
            }
            assertEquals(listOf("HE_02", "IR_05", "IR_05", "IR_05"), codes)
        }
    }
}
