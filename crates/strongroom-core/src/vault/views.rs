//! From stored records (and their opened sealed parts) to what callers see.

use subtle::ConstantTimeEq;

use crate::crypto::KeyPurpose;
use crate::error::{Error, ObjectKind, Result};
use crate::model::card::{CardNumber, MaskedCard};
use crate::model::customer::{Customer, CustomerStatus};
use crate::model::payment_method::{CvcStorage, PaymentMethod};
use crate::model::time::Timestamp;
use crate::store::records::{CardDetails, CustomerPii, CustomerRecord, PaymentMethodRecord, StoredCustomerStatus};
use crate::vault::profiles::ProfileState;
use crate::vault::{contexts, customer_binding};

/// Opens a customer's personal data. A redacted customer is `IR_11`. An active customer
/// always has it sealed (empty fields included), so one without is an edited record: read
/// as empty, a later update would seal the empty data over what was there.
pub(crate) fn open_customer_pii(state: &ProfileState, record: &CustomerRecord) -> Result<CustomerPii> {
    match (&record.status, &record.pii) {
        (StoredCustomerStatus::Redacted, _) => {
            Err(Error::Redacted { object: ObjectKind::Customer, field: "customer_id".into() })
        }
        (StoredCustomerStatus::Active, None) => Err(Error::integrity("customer (active without personal data)")),
        (StoredCustomerStatus::Active, Some(sealed)) => customer_binding::open_pii(state, record, sealed),
    }
}

/// Opens a payment method's card number (PAN key).
pub(crate) fn open_card_number(state: &ProfileState, record: &PaymentMethodRecord) -> Result<CardNumber> {
    let ctx = contexts::card_number(state.id(), record.id.as_str());
    let plain = state.keys.open(KeyPurpose::Pan, &ctx, &record.pan)?;
    let digits = std::str::from_utf8(&plain).map_err(|_| Error::integrity("card number"))?;
    Ok(CardNumber::from_checked_digits(digits.to_owned()))
}

pub(crate) fn customer(record: &CustomerRecord, pii: CustomerPii) -> Customer {
    Customer {
        id: record.id.clone(),
        merchant_reference_id: record.merchant_reference_id.clone(),
        name: pii.name,
        email: pii.email,
        phone: pii.phone,
        phone_country_code: pii.phone_country_code,
        description: pii.description,
        default_billing_address: pii.default_billing_address,
        default_shipping_address: pii.default_shipping_address,
        metadata: pii.metadata,
        created_at: record.created_at,
        modified_at: record.modified_at,
        status: match record.status {
            StoredCustomerStatus::Active => CustomerStatus::Active,
            StoredCustomerStatus::Redacted => CustomerStatus::Redacted,
        },
    }
}

/// The masked view of a stored payment method (its fields moved out of the boxes, not
/// copied).
pub(crate) fn payment_method(
    state: &ProfileState,
    record: Box<PaymentMethodRecord>,
    details: Box<CardDetails>,
    now: Timestamp,
) -> Result<PaymentMethod> {
    let card_fingerprint = exposed_fingerprint(state, &record)?;
    Ok(masked(record, details, now, card_fingerprint))
}

/// The fingerprint a masked view shows, if the profile exposes them (`None` if not). The
/// stored one is kept in clear, not bound to the sealed details (every retrieve would pay
/// for that), so it is shown only once it is checked against the card number, opened for it
/// here and wiped: an edited one is an integrity error, never another card's fingerprint
/// shown as this one's.
pub(crate) fn exposed_fingerprint(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Option<String>> {
    if !state.settings.expose_card_fingerprint {
        return Ok(None);
    }
    let number = open_card_number(state, record)?;
    if !fingerprint_is_the_numbers(state, record, &number)? {
        return Err(Error::integrity("card fingerprint"));
    }
    Ok(Some(record.fingerprint.to_hex()))
}

/// Whether the fingerprint `record` keeps in clear is `number`'s under the record's
/// fingerprint key version (compared in constant time).
pub(crate) fn fingerprint_is_the_numbers(
    state: &ProfileState,
    record: &PaymentMethodRecord,
    number: &CardNumber,
) -> Result<bool> {
    let made = state.keys.fingerprint(record.fingerprint_version, number)?;
    Ok(bool::from(made.0.ct_eq(&record.fingerprint.0)))
}

/// The masked view of a payment method, made of the record, its opened details and the
/// fingerprint to show (`None` where the profile does not expose them).
pub(crate) fn masked(
    record: Box<PaymentMethodRecord>,
    details: Box<CardDetails>,
    now: Timestamp,
    card_fingerprint: Option<String>,
) -> PaymentMethod {
    let cvc_live = record.cvc_expires_at.filter(|t| *t > now);
    let network_token = crate::vault::network_tokens::info(&record);
    PaymentMethod {
        id: record.id,
        customer_id: record.customer_id,
        payment_method_type: record.payment_method_type,
        payment_method_subtype: record.payment_method_subtype,
        storage_type: record.storage_type,
        status: record.status,
        recurring_enabled: record.recurring_enabled,
        created: record.created_at,
        modified_at: record.modified_at,
        last_used_at: record.last_used_at,
        expires_at: record.expires_at,
        billing: details.billing,
        metadata: details.metadata,
        card: MaskedCard {
            last4_digits: record.last4,
            card_isin: record.isin,
            expiry_month: details.exp_month,
            expiry_year: details.exp_year,
            card_holder_name: details.holder_name,
            nick_name: details.nick_name,
            card_network: record.network,
            card_issuer: details.issuer,
            card_type: details.card_type,
            issuer_country: details.issuing_country,
            card_fingerprint,
            saved_to_locker: true,
        },
        card_cvc_token_storage: CvcStorage { is_stored: cvc_live.is_some(), expires_at: cvc_live },
        network_token,
    }
}
