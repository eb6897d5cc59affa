// A tiny test runner: each test is a named function; failures are counted and printed,
// and the process exits non-zero when any test failed.
package io.strongroom.tests

import io.strongroom.Vault
import io.strongroom.openVault
import java.io.File
import java.nio.file.Files

class TestCase(val name: String, val body: () -> Unit)

class Suite {
    val cases = mutableListOf<TestCase>()
    fun test(name: String, body: () -> Unit) {
        cases += TestCase(name, body)
    }
}

fun runSuites(vararg suites: Suite): Int {
    var failed = 0
    var passed = 0
    for (case in suites.flatMap { it.cases }) {
        try {
            case.body()
            passed++
            println("ok   ${case.name}")
        } catch (t: Throwable) {
            failed++
            println("FAIL ${case.name}: $t")
            t.printStackTrace(System.out)
        }
    }
    println("\n$passed passed, $failed failed")
    return failed
}

val MASTER_KEY = ByteArray(32) { it.toByte() }
const val VISA = "4242424242424242"
const val MASTERCARD = "5555555555554444"

fun tempDir(): File = Files.createTempDirectory("strongroom-kt-").toFile().also { it.deleteOnExit() }

/** A vault without fsync (durability is tested in Rust), in a fresh directory. */
fun testVault(path: String = File(tempDir(), "vault").path, key: ByteArray = MASTER_KEY): Vault =
    openVault(path, key, "k1", syncWrites = false)

/** Runs [body] with a fresh vault holding profile `pro_shop`; deletes the directory after. */
fun <T> withVault(body: (Vault, String) -> T): T {
    val dir = tempDir()
    val path = File(dir, "vault").path
    try {
        return testVault(path).use { vault ->
            vault.createProfile("pro_shop", "merchant_shop", null)
            body(vault, path)
        }
    } finally {
        dir.deleteRecursively()
    }
}

/** A well-formed payment method id that names no card. */
fun missingPm(n: Int = 0): String = "pm_" + n.toString(16).padStart(32, '0')

fun luhnCard(prefix: String, serial: Int): String {
    val body = (prefix + serial.toString().padStart(9, '0')).take(15)
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

fun main() {
    val failed = runSuites(
        flowTests(), errorTests(), secretTests(), lifecycleTests(), concurrencyTests(), badInputTests(), networkTokenTests(),
        callStatusTests(),
    )
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
