//! The `ProfileScope` object: customers and payment methods inside one profile.

use std::sync::Arc;

use strongroom_core as core;

use std::collections::HashMap;

use crate::convert::{self, page};
use crate::error::Result;
use crate::revealed::RevealedCard;
use crate::types::*;
use crate::vault::Vault;

/// Operations inside one profile, with the rights of whoever obtained it.
#[derive(uniffi::Object)]
pub struct ProfileScope {
    inner: core::ProfileScope,
    /// Keeps the vault open while the scope is in use, though the host dropped the vault's
    /// own handle (`Vault`'s `Drop` closes it).
    _vault: Arc<Vault>,
}

impl ProfileScope {
    pub(crate) fn new(inner: core::ProfileScope, vault: Arc<Vault>) -> Self {
        Self { inner, _vault: vault }
    }
}

fn customer_id(id: &str) -> Result<core::CustomerId> {
    Ok(core::CustomerId::parse(id)?)
}

/// A list's `starting_after`, its errors naming that argument.
fn cursor<C>(parsed: core::Result<C>) -> Result<C> {
    Ok(parsed.map_err(|e| convert::named(e, "starting_after"))?)
}

fn pm_id(id: &str) -> Result<core::PaymentMethodId> {
    Ok(core::PaymentMethodId::parse(id)?)
}

#[uniffi::export]
impl ProfileScope {
    pub fn profile_id(&self) -> String {
        self.inner.profile_id().to_string()
    }

    pub fn scopes(&self) -> Scopes {
        self.inner.scopes().into()
    }

    pub fn create_customer(&self, request: CustomerCreate) -> Result<Customer> {
        Ok(self.inner.create_customer(request.into())?.into())
    }

    pub fn retrieve_customer(&self, customer_id: String) -> Result<Customer> {
        Ok(self.inner.retrieve_customer(&self::customer_id(&customer_id)?)?.into())
    }

    pub fn update_customer(&self, customer_id: String, update: CustomerUpdate) -> Result<Customer> {
        Ok(self.inner.update_customer(&self::customer_id(&customer_id)?, update.into())?.into())
    }

    /// Customers oldest first; `limit` 1 to 100 (default 20).
    pub fn list_customers(&self, limit: Option<i64>, starting_after: Option<String>) -> Result<CustomerPage> {
        let cursor = starting_after.as_deref().map(|c| cursor(core::CustomerId::parse(c))).transpose()?;
        Ok(self.inner.list_customers(&page(limit, cursor))?.into())
    }

    /// The live customer holding `merchant_reference_id`; `HE_02` when none does.
    pub fn find_customer_by_reference(&self, merchant_reference_id: String) -> Result<Customer> {
        Ok(self.inner.find_customer_by_reference(&merchant_reference_id)?.into())
    }

    pub fn delete_customer(&self, customer_id: String) -> Result<CustomerDeleted> {
        Ok(self.inner.delete_customer(&self::customer_id(&customer_id)?)?.into())
    }

    pub fn create_payment_method(&self, request: PaymentMethodCreate) -> Result<PaymentMethodCreated> {
        let created = self.inner.create_payment_method(request.try_into()?)?;
        Ok(PaymentMethodCreated { payment_method: created.payment_method.into(), duplicate: created.duplicate })
    }

    /// Checks a card (with its billing address and metadata) as `create_payment_method`
    /// would, writing nothing: the same error create would give.
    pub fn check_card(
        &self,
        card: CardInput,
        billing: Option<Address>,
        metadata: Option<HashMap<String, String>>,
    ) -> Result<()> {
        let (billing, metadata) = (billing.map(core::Address::from), convert::metadata_in(metadata));
        Ok(self.inner.check_card(&card.into(), billing.as_ref(), metadata.as_ref())?)
    }

    pub fn retrieve_payment_method(&self, payment_method_id: String) -> Result<PaymentMethod> {
        Ok(self.inner.retrieve_payment_method(&pm_id(&payment_method_id)?)?.into())
    }

    /// A customer's payment methods, oldest first; `limit` 1 to 100 (default 20).
    pub fn list_payment_methods(
        &self,
        customer_id: String,
        limit: Option<i64>,
        starting_after: Option<String>,
    ) -> Result<PaymentMethodPage> {
        let cursor = starting_after.as_deref().map(|c| cursor(core::PaymentMethodId::parse(c))).transpose()?;
        Ok(self.inner.list_payment_methods(&self::customer_id(&customer_id)?, &page(limit, cursor))?.into())
    }

    pub fn update_payment_method(
        &self,
        payment_method_id: String,
        update: PaymentMethodUpdate,
    ) -> Result<PaymentMethod> {
        Ok(self.inner.update_payment_method(&pm_id(&payment_method_id)?, update.into())?.into())
    }

    pub fn delete_payment_method(&self, payment_method_id: String) -> Result<String> {
        Ok(self.inner.delete_payment_method(&pm_id(&payment_method_id)?)?.id.to_string())
    }

    /// The full card; needs the `reveal` right.
    pub fn reveal_payment_method(&self, payment_method_id: String) -> Result<Arc<RevealedCard>> {
        Ok(Arc::new(self.inner.reveal_payment_method(&pm_id(&payment_method_id)?)?.into()))
    }

    /// Provisions a network token for a payment method without one (or whose earlier
    /// attempt failed); `NT_01` if the provider fails again.
    pub fn provision_network_token(&self, payment_method_id: String) -> Result<PaymentMethod> {
        Ok(self.inner.provision_network_token(&pm_id(&payment_method_id)?)?.into())
    }

    /// A one-time cryptogram for a payment of `amount_minor` (> 0) in `currency` (ISO
    /// 4217) with the card's network token; needs the `reveal` right.
    pub fn network_cryptogram(
        &self,
        payment_method_id: String,
        amount_minor: i64,
        currency: String,
    ) -> Result<NetworkCryptogram> {
        // A negative amount is refused by the core as zero is, after the caller's right is
        // checked (and a refusal audited), so the error does not depend on the amount's sign.
        let amount_minor = u64::try_from(amount_minor).unwrap_or(0);
        let request = core::CryptogramRequest { amount_minor, currency };
        let c = self.inner.network_cryptogram(&pm_id(&payment_method_id)?, &request)?;
        Ok(NetworkCryptogram { cryptogram: c.cryptogram.expose().to_owned(), eci: c.eci })
    }

    /// The stored CVC, once (then it is deleted); `None` when none is held.
    pub fn take_cvc(&self, payment_method_id: String) -> Result<Option<String>> {
        Ok(self.inner.take_cvc(&pm_id(&payment_method_id)?)?.map(|c| c.expose().to_owned()))
    }
}
