// Hand-written additions to the generated binding: opening a vault with one key, the
// error's code/field/detail on the common exception type, and the printed form of the
// request records that carry card data (their generated toString would print it).
package io.strongroom

/** Opens (creating if needed) the vault in [path] with a single 32-byte master key. */
fun openVault(path: String, masterKey: ByteArray, keyId: String = "default", syncWrites: Boolean = true): Vault =
    asArguments { Vault.open(path, VaultOptions(listOf(MasterKeyEntry(keyId, masterKey)), keyId, syncWrites)) }

private val optionArguments =
    mapOf("master_keys.key" to "master_key", "master_keys.id" to "key_id", "active_master_key" to "key_id")

/** Errors about the options `openVault` builds name its arguments (`master_key`, `key_id`). */
private fun <T> asArguments(open: () -> T): T =
    try {
        open()
    } catch (e: StrongroomException.InvalidValue) {
        val name = optionArguments[e.field] ?: throw e
        throw StrongroomException.InvalidValue(e.code, name, e.detail.replace("`${e.field}`", "`$name`"))
    } catch (e: StrongroomException.MissingField) {
        val name = optionArguments[e.field] ?: throw e
        throw StrongroomException.MissingField(e.code, name, e.detail.replace("`${e.field}`", "`$name`"))
    }

/** Opens the vault with a network token provider: the host's own, or the built-in simulator. */
fun openVault(
    path: String,
    masterKey: ByteArray,
    networkTokens: Any,
    keyId: String = "default",
    syncWrites: Boolean = true,
): Vault {
    val options = VaultOptions(listOf(MasterKeyEntry(keyId, masterKey)), keyId, syncWrites)
    return when (networkTokens) {
        is NetworkTokenSimulator -> asArguments { Vault.openWithSimulator(path, options, networkTokens) }
        is NetworkTokenProvider -> asArguments { Vault.openWithNetworkTokens(path, options, networkTokens) }
        else -> throw IllegalArgumentException("networkTokens must be a NetworkTokenProvider or a NetworkTokenSimulator")
    }
}

/** The stable code (`IR_05`, `HE_02`, …) of any vault error. */
val StrongroomException.code: String
    get() = when (this) {
        is StrongroomException.Unauthorized -> code
        is StrongroomException.MissingField -> code
        is StrongroomException.InvalidValue -> code
        is StrongroomException.Forbidden -> code
        is StrongroomException.Redacted -> code
        is StrongroomException.DuplicateReference -> code
        is StrongroomException.CardExpired -> code
        is StrongroomException.Duplicate -> code
        is StrongroomException.NotFound -> code
        is StrongroomException.NetworkTokenFailure -> code
        is StrongroomException.Internal -> code
    }

/** The request field the error concerns, when there is one. */
val StrongroomException.field: String?
    get() = when (this) {
        is StrongroomException.Unauthorized -> field
        is StrongroomException.MissingField -> field
        is StrongroomException.InvalidValue -> field
        is StrongroomException.Forbidden -> field
        is StrongroomException.Redacted -> field
        is StrongroomException.DuplicateReference -> field
        is StrongroomException.CardExpired -> field
        is StrongroomException.Duplicate -> field
        is StrongroomException.NotFound -> field
        is StrongroomException.NetworkTokenFailure -> field
        is StrongroomException.Internal -> field
    }

/** The human message, without the code and field. */
val StrongroomException.detail: String
    get() = when (this) {
        is StrongroomException.Unauthorized -> detail
        is StrongroomException.MissingField -> detail
        is StrongroomException.InvalidValue -> detail
        is StrongroomException.Forbidden -> detail
        is StrongroomException.Redacted -> detail
        is StrongroomException.DuplicateReference -> detail
        is StrongroomException.CardExpired -> detail
        is StrongroomException.Duplicate -> detail
        is StrongroomException.NotFound -> detail
        is StrongroomException.NetworkTokenFailure -> detail
        is StrongroomException.Internal -> detail
    }

private fun lastFour(number: String): String = if (number.length >= 4) "…" + number.takeLast(4) else "…"
private fun hidden(value: Any?): String = if (value == null) "null" else "***"

internal fun printed(card: CardInput): String =
    "CardInput(cardNumber=${lastFour(card.cardNumber)}, cardExpMonth=${card.cardExpMonth}, " +
        "cardExpYear=${card.cardExpYear}, cardHolderName=${hidden(card.cardHolderName)}, " +
        "cardCvc=${hidden(card.cardCvc)}, nickName=${card.nickName}, cardNetwork=${card.cardNetwork})"

internal fun printed(update: PaymentMethodUpdate): String =
    "PaymentMethodUpdate(cardHolderName=${hidden(update.cardHolderName)}, nickName=${update.nickName}, " +
        "cardCvc=${hidden(update.cardCvc)}, cardExpMonth=${update.cardExpMonth}, cardExpYear=${update.cardExpYear})"

internal fun printed(entry: MasterKeyEntry): String = "MasterKeyEntry(id=${entry.id}, key=***)"

internal fun printed(request: TokenProvisionRequest): String =
    "TokenProvisionRequest(profileId=${request.profileId}, paymentMethodId=${request.paymentMethodId}, " +
        "cardNumber=${lastFour(request.cardNumber)}, cardNetwork=${request.cardNetwork})"

internal fun printed(cryptogram: NetworkCryptogram): String = "NetworkCryptogram(cryptogram=***, eci=${cryptogram.eci})"

internal fun printed(token: ProvisionedToken): String =
    "ProvisionedToken(tokenNumber=${lastFour(token.tokenNumber)}, expiry=${token.expiryMonth}/${token.expiryYear}, " +
        "tokenRef=${token.tokenRef}, status=${token.status})"

// Results print their card holder's and customer's personal data hidden, as the Rust
// types' Debug does: a masked view in a log line shows the card, not the person.
internal fun printed(card: MaskedCard): String =
    "MaskedCard(last4Digits=${card.last4Digits}, cardIsin=${card.cardIsin}, expiryMonth=${card.expiryMonth}, " +
        "expiryYear=${card.expiryYear}, cardHolderName=${hidden(card.cardHolderName)}, nickName=${card.nickName}, " +
        "cardNetwork=${card.cardNetwork}, cardIssuer=${card.cardIssuer}, cardType=${card.cardType}, " +
        "issuerCountry=${card.issuerCountry}, cardFingerprint=${card.cardFingerprint}, savedToLocker=${card.savedToLocker})"

internal fun printed(address: Address): String = "Address(country=${address.country}, …)"

// As the Rust Metadata's Debug: the keys, not the values (a merchant's free text).
private fun metadataKeys(metadata: Map<String, String>?): String =
    metadata?.keys?.sorted()?.joinToString(", ", "[", "]") ?: "null"

internal fun printed(pm: PaymentMethod): String =
    "PaymentMethod(id=${pm.id}, customerId=${pm.customerId}, paymentMethodType=${pm.paymentMethodType}, " +
        "paymentMethodSubtype=${pm.paymentMethodSubtype}, storageType=${pm.storageType}, status=${pm.status}, " +
        "recurringEnabled=${pm.recurringEnabled}, created=${pm.created}, modifiedAt=${pm.modifiedAt}, " +
        "lastUsedAt=${pm.lastUsedAt}, expiresAt=${pm.expiresAt}, billing=${pm.billing}, " +
        "metadata=${metadataKeys(pm.metadata)}, card=${pm.card}, cardCvcTokenStorage=${pm.cardCvcTokenStorage}, " +
        "networkToken=${pm.networkToken})"

internal fun printed(request: PaymentMethodCreate): String =
    "PaymentMethodCreate(customerId=${request.customerId}, card=${request.card}, " +
        "paymentMethodSubtype=${request.paymentMethodSubtype}, storageType=${request.storageType}, " +
        "recurringEnabled=${request.recurringEnabled}, billing=${request.billing}, " +
        "metadata=${metadataKeys(request.metadata)}, networkTokenization=${request.networkTokenization})"

private fun personal(name: String?, email: String?, phone: String?): String =
    "name=${hidden(name)}, email=${hidden(email)}, phone=${hidden(phone)}"

internal fun printed(customer: Customer): String =
    "Customer(id=${customer.id}, merchantReferenceId=${customer.merchantReferenceId}, " +
        "${personal(customer.name, customer.email, customer.phone)}, " +
        "defaultBillingAddress=${customer.defaultBillingAddress}, " +
        "defaultShippingAddress=${customer.defaultShippingAddress}, status=${customer.status})"

internal fun printed(request: CustomerCreate): String =
    "CustomerCreate(merchantReferenceId=${request.merchantReferenceId}, " +
        "${personal(request.name, request.email, request.phone)}, " +
        "defaultBillingAddress=${request.defaultBillingAddress}, defaultShippingAddress=${request.defaultShippingAddress})"

internal fun printed(update: CustomerUpdate): String =
    "CustomerUpdate(${personal(update.name, update.email, update.phone)}, " +
        "defaultBillingAddress=${update.defaultBillingAddress}, defaultShippingAddress=${update.defaultShippingAddress})"
