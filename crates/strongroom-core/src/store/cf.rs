//! Column families: one per record kind, so each has its own key space and tuning.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
pub(crate) enum Cf {
    /// Vault-wide facts: format version, master key check values.
    Meta,
    /// Profile records (settings, salt, key versions), keyed by profile id.
    Profiles,
    Customers,
    /// `merchant_reference_id` → customer id, unique per profile.
    CustomerRefs,
    PaymentMethods,
    /// (customer, payment method) → nothing: a customer's cards in creation order.
    PmByCustomer,
    /// (customer, card fingerprint) → payment method id: the dedup index.
    Fingerprints,
    /// Sealed CVCs with their expiry.
    Cvc,
    /// (expiry time, payment method) for volatile payment methods, so purging reads only
    /// what is due instead of every record.
    PmExpiry,
    ApiKeys,
    Audit,
}

// Without RocksDB nothing creates column families by name.
#[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
impl Cf {
    pub(crate) const ALL: [Cf; 11] = [
        Cf::Meta,
        Cf::Profiles,
        Cf::Customers,
        Cf::CustomerRefs,
        Cf::PaymentMethods,
        Cf::PmByCustomer,
        Cf::Fingerprints,
        Cf::Cvc,
        Cf::PmExpiry,
        Cf::ApiKeys,
        Cf::Audit,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Cf::Meta => "meta",
            Cf::Profiles => "profiles",
            Cf::Customers => "customers",
            Cf::CustomerRefs => "customer_refs",
            Cf::PaymentMethods => "payment_methods",
            Cf::PmByCustomer => "pm_by_customer",
            Cf::Fingerprints => "fingerprints",
            Cf::Cvc => "cvc",
            Cf::PmExpiry => "pm_expiry",
            Cf::ApiKeys => "api_keys",
            Cf::Audit => "audit",
        }
    }
}
