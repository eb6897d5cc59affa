package io.strongroom.tests

import io.strongroom.*
import java.time.Instant
import kotlin.test.*

fun card(number: String = VISA, cvc: String? = null, holder: String? = null, nick: String? = null,
         month: String = "12", year: String = "2035") =
    CardInput(cardNumber = number, cardExpMonth = month, cardExpYear = year, cardHolderName = holder,
        cardCvc = cvc, nickName = nick)

fun newCard(customerId: String, number: String = VISA, cvc: String? = null, holder: String? = null,
            month: String = "12", year: String = "2035") =
    PaymentMethodCreate(customerId = customerId, card = card(number, cvc, holder, month = month, year = year))

fun flowTests() = Suite().apply {
    test("the seed's server-to-server flow") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val customer = scope.createCustomer(CustomerCreate(merchantReferenceId = "ref_1", name = "John Doe",
                email = "john@example.com", metadata = mapOf("tier" to "gold")))
            assertTrue(customer.id.startsWith("cus_"))
            assertEquals(CustomerStatus.ACTIVE, customer.status)
            assertTrue(customer.createdAt <= Instant.now())

            val created = scope.createPaymentMethod(
                PaymentMethodCreate(customer.id, card(VISA, cvc = "123", holder = "John Doe", nick = "work")))
            assertFalse(created.duplicate)
            val pm = created.paymentMethod
            assertTrue(pm.id.startsWith("pm_"))
            assertEquals("4242", pm.card.last4Digits)
            assertEquals(CardNetwork.VISA, pm.card.cardNetwork)
            assertEquals("John Doe", pm.card.cardHolderName)
            assertTrue(pm.cardCvcTokenStorage.isStored)
            assertEquals(PaymentMethodType.CARD to PaymentMethodStatus.ACTIVE, pm.paymentMethodType to pm.status)
            assertEquals(customer.id, scope.findCustomerByReference("ref_1").id)

            val again = scope.createPaymentMethod(newCard(customer.id))
            assertTrue(again.duplicate)
            assertEquals(pm.id, again.paymentMethod.id)

            val fetched = scope.retrievePaymentMethod(pm.id)
            assertEquals(12.toUByte(), fetched.card.expiryMonth)
            assertEquals(2035.toUShort(), fetched.card.expiryYear)

            val updated = scope.updatePaymentMethod(pm.id, PaymentMethodUpdate(cardHolderName = "Jane Doe",
                nickName = "personal", cardCvc = "456", cardExpMonth = "01", cardExpYear = "2036"))
            assertEquals("Jane Doe", updated.card.cardHolderName)
            assertEquals("personal", updated.card.nickName)
            assertEquals(1.toUByte(), updated.card.expiryMonth)
            assertEquals(2036.toUShort(), updated.card.expiryYear)
            assertEquals("456", scope.takeCvc(pm.id))

            val second = scope.createPaymentMethod(newCard(customer.id, MASTERCARD)).paymentMethod
            val page = scope.listPaymentMethods(customer.id, null, null)
            assertEquals(listOf(pm.id, second.id), page.paymentMethods.map { it.id })
            val first = scope.listPaymentMethods(customer.id, 1L, null)
            assertEquals(listOf(pm.id), first.paymentMethods.map { it.id })
            assertEquals(listOf(second.id), scope.listPaymentMethods(customer.id, 1L, first.nextStartingAfter)
                .paymentMethods.map { it.id })

            assertEquals(pm.id, scope.deletePaymentMethod(pm.id))
            val gone = assertFailsWith<StrongroomException.NotFound> { scope.retrievePaymentMethod(pm.id) }
            assertEquals("HE_02", gone.code)

            val deleted = scope.deleteCustomer(customer.id)
            assertTrue(deleted.customerDeleted)
            assertEquals(1u, deleted.paymentMethodsDeleted)
        }
    }

    test("find by reference; check a card without writing") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val customer = scope.createCustomer(CustomerCreate(name = "A"))
            val missing = assertFailsWith<StrongroomException.NotFound> { scope.findCustomerByReference("crm-x") }
            assertEquals("HE_02" to "merchant_reference_id", missing.code to missing.field)
            scope.checkCard(card(VISA), null, null)
            val bad = listOf(
                Triple(card(VISA, month = "13"), null, "card_exp_month"),
                Triple(card("4242424242424241"), null, "card_number"),
                Triple(card(VISA), mapOf("note" to VISA), "metadata.value"),
            )
            for ((c, metadata, field) in bad) {
                val e = assertFailsWith<StrongroomException.InvalidValue> { scope.checkCard(c, null, metadata) }
                assertEquals("IR_05" to field, e.code to e.field)
            }
            assertEquals(emptyList(), scope.listPaymentMethods(customer.id, null, null).paymentMethods)
        }
    }

    test("customers: update and list") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val a = scope.createCustomer(CustomerCreate(name = "A"))
            val b = scope.createCustomer(CustomerCreate(name = "B"))
            val updated = scope.updateCustomer(a.id, CustomerUpdate(email = "a@example.com"))
            assertEquals("a@example.com", updated.email)
            assertEquals(listOf(a.id, b.id), scope.listCustomers(null, null).customers.map { it.id })
        }
    }

    test("stats, audit and verify") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val customer = scope.createCustomer(CustomerCreate(name = "A"))
            scope.createPaymentMethod(newCard(customer.id))
            assertEquals(1uL, vault.stats().total.paymentMethods)
            val actions = vault.listAudit("pro_shop", 0, 100).map { it.action }
            assertEquals(listOf("customer_created", "payment_method_created"), actions.takeLast(2))
            assertNull(vault.verifyAudit("pro_shop").firstBad)
            assertEquals(emptyList(), vault.verify().problems)
        }
    }

    test("API keys limit what a caller may do") {
        withVault { vault, _ ->
            val scope = vault.profile("pro_shop")
            val pm = scope.createPaymentMethod(newCard(scope.createCustomer(CustomerCreate(name = "A")).id)).paymentMethod
            vault.createApiKey("pro_shop", ApiKeyCreate("reader", Scopes(read = true))).use { created ->
                val secret = created.secret()
                assertFalse(created.toString().contains(secret.substringAfter('.')))
                val reader = vault.authenticate(secret, "pro_shop")
                assertEquals(pm.id, reader.retrievePaymentMethod(pm.id).id)
                val refused = assertFailsWith<StrongroomException.Forbidden> { reader.revealPaymentMethod(pm.id) }
                assertEquals("IR_06", refused.code)
                vault.revokeApiKey("pro_shop", created.key().id)
                assertFailsWith<StrongroomException.Unauthorized> { vault.authenticate(secret, "pro_shop") }
            }
        }
    }
}
