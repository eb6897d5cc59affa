//! Customers (Hyperswitch v2 `customers`): the owner of saved payment methods.

use std::fmt;

use crate::error::Result;
use crate::model::address::Address;
use crate::model::ids::CustomerId;
use crate::model::metadata::Metadata;
use crate::model::sensitive::SecretString;
use crate::model::text;
use crate::model::time::Timestamp;

/// Limits on customer fields (characters).
pub const MAX_REFERENCE_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A new customer. Every field is optional; personal data is sealed at rest.
#[derive(Clone, Default)]
pub struct CustomerCreate {
    /// The merchant's own id for the customer; unique within the profile.
    pub merchant_reference_id: Option<String>,
    pub name: Option<SecretString>,
    pub email: Option<SecretString>,
    pub phone: Option<SecretString>,
    pub phone_country_code: Option<String>,
    pub description: Option<String>,
    pub default_billing_address: Option<Address>,
    pub default_shipping_address: Option<Address>,
    pub metadata: Option<Metadata>,
}

/// Changes to a customer: each present field replaces the stored one.
#[derive(Clone, Default)]
pub struct CustomerUpdate {
    pub name: Option<SecretString>,
    pub email: Option<SecretString>,
    pub phone: Option<SecretString>,
    pub phone_country_code: Option<String>,
    pub description: Option<String>,
    pub default_billing_address: Option<Address>,
    pub default_shipping_address: Option<Address>,
    pub metadata: Option<Metadata>,
}

/// Whether a customer is live or was deleted (its personal data redacted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    Active,
    Redacted,
}

/// A customer as retrieve and list return it.
#[derive(Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub merchant_reference_id: Option<String>,
    pub name: Option<SecretString>,
    pub email: Option<SecretString>,
    pub phone: Option<SecretString>,
    pub phone_country_code: Option<String>,
    pub description: Option<String>,
    pub default_billing_address: Option<Address>,
    pub default_shipping_address: Option<Address>,
    pub metadata: Option<Metadata>,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub status: CustomerStatus,
}

// Personal data prints hidden (`SecretString`, `Address`); the free-text description, the
// phone country code and the metadata, sealed at rest with it, are left out, as the
// bindings' printers leave them out.
fn personal_fields(
    s: &mut fmt::DebugStruct<'_, '_>,
    [name, email, phone]: [&Option<SecretString>; 3],
    [billing, shipping]: [&Option<Address>; 2],
) {
    s.field("name", name).field("email", email).field("phone", phone);
    s.field("default_billing_address", billing).field("default_shipping_address", shipping);
}

impl fmt::Debug for CustomerCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CustomerCreate");
        s.field("merchant_reference_id", &self.merchant_reference_id);
        let addresses = [&self.default_billing_address, &self.default_shipping_address];
        personal_fields(&mut s, [&self.name, &self.email, &self.phone], addresses);
        s.finish_non_exhaustive()
    }
}

impl fmt::Debug for CustomerUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("CustomerUpdate");
        let addresses = [&self.default_billing_address, &self.default_shipping_address];
        personal_fields(&mut s, [&self.name, &self.email, &self.phone], addresses);
        s.finish_non_exhaustive()
    }
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Customer");
        s.field("id", &self.id).field("merchant_reference_id", &self.merchant_reference_id);
        let addresses = [&self.default_billing_address, &self.default_shipping_address];
        personal_fields(&mut s, [&self.name, &self.email, &self.phone], addresses);
        s.field("created_at", &self.created_at).field("modified_at", &self.modified_at).field("status", &self.status);
        s.finish_non_exhaustive()
    }
}

/// One page of customers, oldest first.
#[derive(Clone, Debug)]
pub struct CustomerPage {
    pub customers: Vec<Customer>,
    /// Pass as `starting_after` to get the next page; `None` on the last page.
    pub next_starting_after: Option<CustomerId>,
}

/// The outcome of deleting (redacting) a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDeleted {
    pub id: CustomerId,
    pub customer_deleted: bool,
    pub payment_methods_deleted: u32,
}

/// The personal fields shared by create and update, checked one rule set.
pub(crate) struct PersonalFields<'a> {
    pub name: Option<&'a SecretString>,
    pub email: Option<&'a SecretString>,
    pub phone: Option<&'a SecretString>,
    pub phone_country_code: Option<&'a str>,
    pub description: Option<&'a str>,
    pub default_billing_address: Option<&'a Address>,
    pub default_shipping_address: Option<&'a Address>,
    pub metadata: Option<&'a Metadata>,
}

impl PersonalFields<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        text::check_opt("name", self.name.map(SecretString::expose), MAX_NAME_CHARS)?;
        if let Some(email) = self.email {
            text::check_email("email", email.expose())?;
        }
        if let Some(phone) = self.phone {
            text::check_phone("phone", phone.expose())?;
        }
        if let Some(code) = self.phone_country_code {
            text::check_phone_country_code("phone_country_code", code)?;
        }
        text::check_opt("description", self.description, MAX_DESCRIPTION_CHARS)?;
        if let Some(a) = self.default_billing_address {
            a.validate("default_billing_address")?;
        }
        if let Some(a) = self.default_shipping_address {
            a.validate("default_shipping_address")?;
        }
        if let Some(m) = self.metadata {
            m.validate("metadata")?;
        }
        Ok(())
    }
}

impl CustomerCreate {
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(reference) = &self.merchant_reference_id {
            text::check("merchant_reference_id", reference, MAX_REFERENCE_CHARS)?;
        }
        PersonalFields {
            name: self.name.as_ref(),
            email: self.email.as_ref(),
            phone: self.phone.as_ref(),
            phone_country_code: self.phone_country_code.as_deref(),
            description: self.description.as_deref(),
            default_billing_address: self.default_billing_address.as_ref(),
            default_shipping_address: self.default_shipping_address.as_ref(),
            metadata: self.metadata.as_ref(),
        }
        .validate()
    }
}

impl CustomerUpdate {
    pub(crate) fn validate(&self) -> Result<()> {
        PersonalFields {
            name: self.name.as_ref(),
            email: self.email.as_ref(),
            phone: self.phone.as_ref(),
            phone_country_code: self.phone_country_code.as_deref(),
            description: self.description.as_deref(),
            default_billing_address: self.default_billing_address.as_ref(),
            default_shipping_address: self.default_shipping_address.as_ref(),
            metadata: self.metadata.as_ref(),
        }
        .validate()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.phone_country_code.is_none()
            && self.description.is_none()
            && self.default_billing_address.is_none()
            && self.default_shipping_address.is_none()
            && self.metadata.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_personal_data() {
        let create = CustomerCreate {
            merchant_reference_id: Some("ref-7".into()),
            name: Some("Joseph Doe".into()),
            email: Some("joseph@example.com".into()),
            phone: Some("5551234567".into()),
            phone_country_code: Some("+44".into()),
            description: Some("allergic to peanuts".into()),
            default_billing_address: Some(Address { line1: Some("1 Hidden Lane".into()), ..Default::default() }),
            metadata: Some(Metadata([("vip".to_owned(), "yes".to_owned())].into())),
            ..Default::default()
        };
        let update = CustomerUpdate {
            name: create.name.clone(),
            email: create.email.clone(),
            phone: create.phone.clone(),
            phone_country_code: create.phone_country_code.clone(),
            description: create.description.clone(),
            default_billing_address: create.default_billing_address.clone(),
            default_shipping_address: None,
            metadata: create.metadata.clone(),
        };
        for shown in [format!("{create:?}"), format!("{update:?}")] {
            for secret in ["Joseph", "joseph@", "5551234567", "+44", "peanuts", "Hidden Lane", "vip"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        assert!(format!("{create:?}").contains("ref-7"));
    }
}
