package io.strongroom.tests

import io.strongroom.*
import java.lang.ref.WeakReference
import kotlin.test.*

fun lifecycleTests() = Suite().apply {
    test("profiles are isolated") {
        withVault { vault, _ ->
            vault.createProfile("pro_other", "merchant_other", null)
            val scope = vault.profile("pro_shop")
            val other = vault.profile("pro_other")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id)).paymentMethod
            assertFailsWith<StrongroomException.NotFound> { other.retrieveCustomer(c.id) }
            assertFailsWith<StrongroomException.NotFound> { other.retrievePaymentMethod(pm.id) }
            assertFailsWith<StrongroomException.NotFound> { other.revealPaymentMethod(pm.id) }
            assertEquals(emptyList(), other.listCustomers(null, null).customers)
            val theirs = other.createCustomer(CustomerCreate(name = "B"))
            assertNotEquals(pm.id, other.createPaymentMethod(newCard(theirs.id)).paymentMethod.id)
        }
    }
    test("reopening keeps everything") {
        val dir = tempDir()
        val path = dir.resolve("vault").path
        val (customerId, pmId) = testVault(path).use { vault ->
            vault.createProfile("pro_shop", "m", ProfileSettings(cvcTtlSeconds = 3600))
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "John"))
            c.id to scope.createPaymentMethod(newCard(c.id, cvc = "123")).paymentMethod.id
        }
        testVault(path).use { vault ->
            val scope = vault.profile("pro_shop")
            assertEquals(3600L, vault.getProfile("pro_shop").settings.cvcTtlSeconds)
            assertEquals("John", scope.retrieveCustomer(customerId).name)
            assertEquals(VISA, scope.revealPaymentMethod(pmId).cardNumber())
            assertEquals("123", scope.takeCvc(pmId))
        }
        dir.deleteRecursively()
    }
    test("a closed vault gives a clear error, and the directory is free again") {
        val dir = tempDir()
        val path = dir.resolve("vault").path
        val vault = testVault(path)
        vault.createProfile("pro_shop", "m", null)
        val scope = vault.profile("pro_shop")
        vault.shutdown()
        vault.shutdown()
        assertTrue(vault.isClosed())
        assertEquals("closed", assertFailsWith<StrongroomException.Internal> { vault.listProfiles() }.kind)
        assertEquals("closed", assertFailsWith<StrongroomException.Internal> { scope.listCustomers(null, null) }.kind)
        vault.close()
        // After close() the handle is gone: a clear JVM error, not a crash.
        assertFailsWith<IllegalStateException> { vault.listProfiles() }
        testVault(path).use { assertEquals(listOf("pro_shop"), it.listProfiles().map { p -> p.id }) }
        dir.deleteRecursively()
    }
    test("a vault the program dropped stays open for its scopes, and close() closes it for them") {
        val dir = tempDir()
        val path = dir.resolve("vault").path
        testVault(path).use { it.createProfile("pro_shop", "m", null) }
        // The vault object itself is unreachable at once; its scope keeps it open.
        val (vaultRef, scope) = testVault(path).let { WeakReference(it) to it.profile("pro_shop") }
        for (attempt in 1..50) {
            if (vaultRef.get() == null) break
            System.gc()
            Thread.sleep(20)
        }
        assertNull(vaultRef.get(), "the vault object was collected")
        Thread.sleep(200) // its cleaner releases the vault object's handle meanwhile
        val c = scope.createCustomer(CustomerCreate(name = "Kept"))
        assertEquals("Kept", scope.retrieveCustomer(c.id).name)
        // The directory is still held: another open is refused.
        assertEquals("storage", assertFailsWith<StrongroomException.Internal> { testVault(path) }.kind)
        scope.close()
        var reopened: Vault? = null
        for (attempt in 1..50) { // the collector's cleaner releases the vault's own handle
            System.gc()
            reopened = runCatching { testVault(path) }.getOrNull()
            if (reopened != null) break
            Thread.sleep(20)
        }
        val vault = assertNotNull(reopened, "the directory was released once every handle was")
        val held = vault.profile("pro_shop")
        vault.close()
        assertEquals("closed", assertFailsWith<StrongroomException.Internal> { held.listCustomers(null, null) }.kind)
        testVault(path).use { assertEquals("Kept", it.profile("pro_shop").retrieveCustomer(c.id).name) }
        held.close()
        dir.deleteRecursively()
    }
    test("master key rotation moves every profile; a profile shows its readable key versions") {
        val dir = tempDir()
        val path = dir.resolve("vault").path
        val old = MASTER_KEY
        val new = ByteArray(32) { (it + 1).toByte() }
        val pmId = testVault(path, old).use { vault ->
            vault.createProfile("pro_shop", "merchant_shop", null)
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "John"))
            val pm = scope.createPaymentMethod(newCard(c.id, cvc = "123")).paymentMethod
            assertEquals(listOf(1u), vault.getProfile("pro_shop").readableKeyVersions)
            val rotated = vault.rotateProfileKey("pro_shop")
            assertEquals(2u to listOf(1u, 2u), rotated.activeKeyVersion to rotated.readableKeyVersions)
            vault.reencryptProfile("pro_shop")
            assertEquals(listOf(2u), vault.getProfile("pro_shop").readableKeyVersions)
            val stats = vault.profileStats("pro_shop")
            assertEquals(Triple(1uL, 1uL, 1uL), Triple(stats.customers, stats.paymentMethods, stats.storedCvcs))
            assertEquals(0uL, stats.unreadableRecords)
            pm.id
        }
        val both = VaultOptions(listOf(MasterKeyEntry("k1", old), MasterKeyEntry("k2", new)), "k2", false)
        Vault.open(path, both).use { vault ->
            val reports = vault.rotateMasterKey()
            assertEquals(1, reports.size)
            assertTrue(reports[0].complete, "$reports")
            // The customer, the card, its CVC and the profile's API key HMAC key.
            assertEquals(4uL, reports[0].reencrypted, "$reports")
            assertEquals(listOf(3u), vault.getProfile("pro_shop").readableKeyVersions)
        }
        // The old master key is no longer needed; with it alone the vault does not open.
        openVault(path, new, "k2", syncWrites = false).use { vault ->
            assertEquals(VISA, vault.profile("pro_shop").revealPaymentMethod(pmId).cardNumber())
            assertEquals("123", vault.profile("pro_shop").takeCvc(pmId))
        }
        assertEquals("missing_master_key", assertFailsWith<StrongroomException.Internal> { testVault(path, old) }.kind)
        dir.deleteRecursively()
    }
    test("a vault open elsewhere in the process is refused") {
        withVault { _, path ->
            assertEquals("storage", assertFailsWith<StrongroomException.Internal> { testVault(path) }.kind)
        }
    }
}
