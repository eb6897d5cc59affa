package io.strongroom.tests

import io.strongroom.*
import kotlin.test.*

fun secretTests() = Suite().apply {
    test("masked views never contain the card number") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id, cvc = "123")).paymentMethod
            val views = listOf(pm, scope.retrievePaymentMethod(pm.id), scope.listPaymentMethods(c.id, null, null),
                scope.updatePaymentMethod(pm.id, PaymentMethodUpdate(nickName = "n")))
            for (view in views) {
                val text = view.toString()
                assertFalse(text.contains(VISA))
                assertFalse(text.contains(VISA.take(12)) || text.contains(VISA.drop(4)))
            }
            assertEquals(VISA.take(8), pm.card.cardIsin)
            assertEquals(VISA.takeLast(4), pm.card.last4Digits)
        }
    }
    test("reveal gives the full card but prints masked") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id, MASTERCARD, holder = "John Doe")).paymentMethod
            scope.revealPaymentMethod(pm.id).use { revealed ->
                assertEquals(MASTERCARD, revealed.cardNumber())
                assertEquals(pm.id, revealed.paymentMethodId())
                assertEquals("John Doe", revealed.cardHolderName())
                assertEquals(CardNetwork.MASTERCARD, revealed.cardNetwork())
                assertEquals(12.toUByte(), revealed.expiryMonth())
                val printed = revealed.toString()
                assertFalse(printed.contains(MASTERCARD) || printed.contains("John Doe"))
                assertTrue(printed.contains("4444"))
            }
        }
    }
    test("results print the holder and the customer hidden") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val billing = Address(line1 = "1 Secret Lane", city = "Springfield", firstName = "Ada", country = "US")
            val request = CustomerCreate(name = "Ada Lovelace", email = "ada@example.com", phone = "555 0100",
                defaultBillingAddress = billing)
            val customer = scope.createCustomer(request)
            val create = newCard(customer.id, holder = "Ada Lovelace").copy(
                billing = billing, metadata = mapOf("note" to "Ada prefers Springfield"))
            val pm = scope.createPaymentMethod(create).paymentMethod
            assertEquals("Ada Lovelace", pm.card.cardHolderName)
            assertEquals(mapOf("note" to "Ada prefers Springfield"), pm.metadata)
            val printed = listOf(request, create, CustomerUpdate(name = "Ada Lovelace", email = "ada@example.com",
                phone = "555 0100", defaultShippingAddress = billing), customer, scope.retrieveCustomer(customer.id),
                scope.listCustomers(null, null), pm, scope.retrievePaymentMethod(pm.id),
                scope.listPaymentMethods(customer.id, null, null))
            for (value in printed) {
                val text = value.toString()
                for (secret in listOf("Ada", "Lovelace", "ada@example.com", "555 0100", "Secret Lane", "Springfield")) {
                    assertFalse(text.contains(secret), "$secret in $text")
                }
            }
            assertTrue(customer.toString().contains("country=US") && pm.toString().contains("4242"))
            assertTrue(pm.toString().contains("metadata=[note]") && create.toString().contains("metadata=[note]"))
        }
    }
    test("take_cvc returns it once") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val c = scope.createCustomer(CustomerCreate(name = "A"))
            val pm = scope.createPaymentMethod(newCard(c.id, cvc = "737")).paymentMethod
            assertEquals("737", scope.takeCvc(pm.id))
            assertNull(scope.takeCvc(pm.id))
            assertFalse(scope.retrievePaymentMethod(pm.id).cardCvcTokenStorage.isStored)
        }
    }
    test("requests print masked") {
        val request = PaymentMethodCreate("cus_" + "0".repeat(32), card(VISA, cvc = "737", holder = "John Doe"))
        val update = PaymentMethodUpdate(cardCvc = "737", cardHolderName = "John Doe")
        val key = MasterKeyEntry("k1", MASTER_KEY)
        for (printed in listOf(request.toString(), update.toString(), key.toString())) {
            assertFalse(printed.contains(VISA) || printed.contains(VISA.take(12)), printed)
            assertFalse(printed.contains("737") || printed.contains("John Doe"), printed)
        }
        assertTrue(request.toString().contains("…4242"))
    }
}
