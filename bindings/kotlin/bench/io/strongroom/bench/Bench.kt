// Micro-benchmark of the Kotlin binding (not a test).
//
// The same workload as crates/strongroom-ffi/examples/ops_baseline.rs (Rust, on the core
// directly) and bindings/python/bench/bench.py: per round, on a fresh profile of one vault
// without fsync, create N cards for N/100 customers, retrieve each once, and make N calls
// of the cheapest method (`profileId`). One warm-up round (JIT) is run and not counted.
// Prints one JSON line of medians; scripts/bench-bindings.sh compares the languages.
//
// Run: bash bindings/kotlin/run.sh bench [cards] [rounds]
package io.strongroom.bench

import io.strongroom.*
import java.nio.file.Files

fun luhnCard(prefix: String, serial: Int): String {
    val body = prefix + serial.toString().padStart(15 - prefix.length, '0')
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

fun median(xs: List<Double>): Double = xs.sorted()[xs.size / 2]

fun main(args: Array<String>) {
    val cards = args.getOrNull(0)?.toInt() ?: 2000
    val rounds = args.getOrNull(1)?.toInt() ?: 5
    val create = mutableListOf<Double>()
    val retrieve = mutableListOf<Double>()
    val call = mutableListOf<Double>()
    val dir = Files.createTempDirectory("strongroom-kt-bench-").toFile()
    try {
        openVault(dir.resolve("vault").path, ByteArray(32) { 7 }, "bench", syncWrites = false).use { vault ->
            for (r in 0..rounds) { // round 0 warms the JIT up and is not counted
                vault.createProfile("pro_bench$r", "merchant_bench", null)
                val scope = vault.profile("pro_bench$r")
                val customers = (0 until (cards + 99) / 100).map { scope.createCustomer(CustomerCreate(name = "c$it")).id }
                val requests = (0 until cards).map {
                    PaymentMethodCreate(customers[it / 100], CardInput(cardNumber = luhnCard("4", it),
                        cardExpMonth = "12", cardExpYear = "2035", cardCvc = "123", cardHolderName = "Bench Holder"))
                }
                var started = System.nanoTime()
                val ids = requests.map { scope.createPaymentMethod(it).paymentMethod.id }
                val createRate = cards / ((System.nanoTime() - started) / 1e9)

                started = System.nanoTime()
                for (id in ids) scope.retrievePaymentMethod(id)
                val retrieveRate = cards / ((System.nanoTime() - started) / 1e9)

                started = System.nanoTime()
                repeat(cards) { scope.profileId() }
                val callRate = cards / ((System.nanoTime() - started) / 1e9)
                if (r > 0) {
                    create += createRate; retrieve += retrieveRate; call += callRate
                }
            }
        }
    } finally {
        dir.deleteRecursively()
    }
    println("{\"language\": \"kotlin\", \"cards\": $cards, \"rounds\": $rounds, " +
        "\"create_ops_s\": ${median(create).toLong()}, \"retrieve_ops_s\": ${median(retrieve).toLong()}, " +
        "\"call_ops_s\": ${median(call).toLong()}}")
}
