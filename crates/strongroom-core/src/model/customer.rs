//! Customers (Hyperswitch v2 `customers`): the owner of saved payment methods.

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
#[derive(Clone, Debug, Default)]
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
#[derive(Clone, Debug, Default)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
