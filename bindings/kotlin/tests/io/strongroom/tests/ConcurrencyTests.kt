package io.strongroom.tests

import io.strongroom.*
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CyclicBarrier
import kotlin.concurrent.thread
import kotlin.test.*

const val THREADS = 8
const val CARDS_PER_THREAD = 25

fun concurrencyTests() = Suite().apply {
    test("8 threads create and read cards on one vault") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val barrier = CyclicBarrier(THREADS)
            val results = ConcurrentHashMap<Int, Map<String, String>>()
            val errors = ConcurrentHashMap<Int, Throwable>()
            val threads = (0 until THREADS).map { t ->
                thread {
                    try {
                        barrier.await()
                        val customer = scope.createCustomer(CustomerCreate(name = "thread $t"))
                        val mine = mutableMapOf<String, String>()
                        for (i in 0 until CARDS_PER_THREAD) {
                            val number = luhnCard("5" + t.toString().padStart(2, '0'), i)
                            val pm = scope.createPaymentMethod(newCard(customer.id, number, cvc = i.toString().padStart(3, '0')))
                                .paymentMethod
                            assertEquals(number.takeLast(4), scope.retrievePaymentMethod(pm.id).card.last4Digits)
                            mine[pm.id] = number
                        }
                        val listed = scope.listPaymentMethods(customer.id, 100L, null).paymentMethods.map { it.id }
                        assertEquals(mine.keys.sorted(), listed.sorted())
                        for ((id, number) in mine) {
                            scope.revealPaymentMethod(id).use { assertEquals(number, it.cardNumber()) }
                        }
                        results[t] = mine
                    } catch (e: Throwable) {
                        errors[t] = e
                    }
                }
            }
            threads.forEach { it.join() }
            assertEquals(emptyMap(), errors.mapValues { it.value.toString() })
            assertEquals(THREADS, results.size)
            assertEquals(THREADS * CARDS_PER_THREAD, results.values.flatMap { it.keys }.toSet().size)
            val stats = vault.stats().total
            assertEquals(THREADS.toULong(), stats.customers)
            assertEquals((THREADS * CARDS_PER_THREAD).toULong(), stats.paymentMethods)
            assertEquals(emptyList(), vault.verify().problems)
        }
    }
    test("8 threads racing on the same card get one token") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val customer = scope.createCustomer(CustomerCreate(name = "A"))
            val barrier = CyclicBarrier(THREADS)
            val ids = ConcurrentHashMap.newKeySet<String>()
            (0 until THREADS).map {
                thread {
                    barrier.await()
                    ids += scope.createPaymentMethod(newCard(customer.id)).paymentMethod.id
                }
            }.forEach { it.join() }
            assertEquals(1, ids.size)
        }
    }
}
