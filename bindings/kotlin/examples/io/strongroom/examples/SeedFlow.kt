// The hosted vault's server-to-server tokenization flow, in-process, from Kotlin:
// create a customer → save a card (get the token) → retrieve masked → update holder name,
// nick name and CVC → list the customer's cards → delete.
//
// Run: bash bindings/kotlin/run.sh example
package io.strongroom.examples

import io.strongroom.*
import java.nio.file.Files
import java.security.SecureRandom

fun masked(pm: PaymentMethod): String = with(pm.card) {
    "${pm.id} $cardIsin…$last4Digits exp ${expiryMonth.toString().padStart(2, '0')}/$expiryYear ($cardNetwork), " +
        "holder $cardHolderName, nick $nickName, CVC stored: ${pm.cardCvcTokenStorage.isStored}"
}

fun main() {
    val dir = Files.createTempDirectory("strongroom-kt-demo-").toFile()
    // A demo key; a real host fetches its master key from a KMS.
    val masterKey = ByteArray(32).also { SecureRandom().nextBytes(it) }
    try {
        openVault(dir.resolve("vault").path, masterKey, "demo").use { vault ->
            println("Opened a vault in $dir")
            vault.createProfile("pro_demo", "merchant_demo", ProfileSettings(cvcTtlSeconds = 900))
            val scope = vault.profile("pro_demo")

            val customer = scope.createCustomer(
                CustomerCreate(merchantReferenceId = "customer_1770299", name = "John Doe", email = "guest@example.com"))
            println("1. create customer        → ${customer.id} (${customer.name}, ${customer.email})")

            val created = scope.createPaymentMethod(PaymentMethodCreate(customer.id,
                CardInput(cardNumber = "4111111111111111", cardExpMonth = "03", cardExpYear = "2030",
                    cardHolderName = "joseph Doe", cardCvc = "737")))
            val pmId = created.paymentMethod.id
            println("2. create card            → token $pmId (duplicate: ${created.duplicate})")
            println("3. retrieve (masked)      → ${masked(scope.retrievePaymentMethod(pmId))}")

            val updated = scope.updatePaymentMethod(pmId,
                PaymentMethodUpdate(cardHolderName = "joseph", nickName = "some_name11", cardCvc = "737"))
            println("4. update holder/nick/CVC → ${masked(updated)}")

            val page = scope.listPaymentMethods(customer.id, null, null)
            println("5. list                   → ${page.paymentMethods.map(::masked)}")

            println("6. delete                 → ${scope.deletePaymentMethod(pmId)} deleted")
            println("   list after delete      → ${scope.listPaymentMethods(customer.id, null, null).paymentMethods.size} cards")
        }
    } finally {
        dir.deleteRecursively()
    }
}
