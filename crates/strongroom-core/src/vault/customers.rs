//! Customers: create, retrieve, update, list, delete (redaction with cascade).

use crate::error::{Error, ObjectKind, Result};
use crate::model::audit::AuditAction;
use crate::model::customer::{
    Customer, CustomerCreate, CustomerDeleted, CustomerPage, CustomerUpdate, MAX_REFERENCE_CHARS,
};
use crate::model::ids::CustomerId;
use crate::model::page::PageRequest;
use crate::model::scope::Scope;
use crate::model::text;
use crate::store::codec;
use crate::store::records::{CustomerPii, CustomerRecord, PaymentMethodRecord, StoredCustomerStatus};
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::engine::Engine;
use crate::vault::payment_methods::delete_payment_method_writes;
use crate::vault::profiles::ProfileState;
use crate::vault::scope::ProfileScope;
use crate::vault::{card_binding, customer_binding, views};

/// The lock a customer's read-modify-write sequences (and its cards') take.
pub(crate) fn lock_customer<'e>(engine: &'e Engine, profile: &str, customer: &str) -> parking_lot::MutexGuard<'e, ()> {
    engine.locks.lock(&customer_lock_key(profile, customer))
}

/// The lock key of a customer (for [`crate::vault::locks::LockTable::lock_many`]).
pub(crate) fn customer_lock_key<'a>(profile: &'a str, customer: &'a str) -> [&'a [u8]; 3] {
    [profile.as_bytes(), b"customer", customer.as_bytes()]
}

/// The customer's record; `HE_02` when the profile has no such customer.
/// A record whose own id differs from its key (moved at the storage level) is an integrity
/// error, never another customer's data.
pub(crate) fn load_customer(engine: &Engine, state: &ProfileState, id: &CustomerId) -> Result<CustomerRecord> {
    let record: CustomerRecord = engine
        .get_record(Cf::Customers, &keys::record(state.id(), id.as_str()))?
        .ok_or_else(|| Error::not_found(ObjectKind::Customer, "customer_id"))?;
    if record.id != *id {
        return Err(Error::integrity("customer (stored under another id)"));
    }
    Ok(record)
}

/// The customer's record if it is live; `IR_11` once redacted.
pub(crate) fn load_active_customer(engine: &Engine, state: &ProfileState, id: &CustomerId) -> Result<CustomerRecord> {
    let record = load_customer(engine, state, id)?;
    if record.status == StoredCustomerStatus::Redacted {
        return Err(Error::Redacted { object: ObjectKind::Customer, field: "customer_id".into() });
    }
    Ok(record)
}

impl ProfileScope {
    /// Creates a customer. `IR_12` if `merchant_reference_id` is taken in the profile.
    pub fn create_customer(&self, request: CustomerCreate) -> Result<Customer> {
        let op = self.begin(Scope::Write, AuditAction::CustomerCreated)?;
        let (engine, state) = (&op.engine, &op.state);
        request.validate()?;
        let id = CustomerId::generate(engine.cell.as_ref())?;
        let now = engine.now();
        let pii = CustomerPii {
            name: request.name,
            email: request.email,
            phone: request.phone,
            phone_country_code: request.phone_country_code,
            description: request.description,
            default_billing_address: request.default_billing_address,
            default_shipping_address: request.default_shipping_address,
            metadata: request.metadata,
        };
        let reference = request.merchant_reference_id.as_deref();
        let sealed = customer_binding::seal_pii(state, id.as_str(), reference, &pii)?;
        let record = CustomerRecord {
            id: id.clone(),
            merchant_reference_id: request.merchant_reference_id,
            status: StoredCustomerStatus::Active,
            created_at: now,
            modified_at: now,
            pii: Some(sealed),
        };
        let mut batch = Batch::default();
        batch.put(Cf::Customers, keys::record(state.id(), id.as_str()), codec::encode(&record)?);
        match &record.merchant_reference_id {
            Some(reference) => {
                let _guard = engine.locks.lock(&[state.id().as_bytes(), b"reference", reference.as_bytes()]);
                let ref_key = keys::record(state.id(), reference);
                if engine.store.get(Cf::CustomerRefs, &ref_key)?.is_some() {
                    return Err(Error::DuplicateMerchantReference);
                }
                batch.put(Cf::CustomerRefs, ref_key, id.as_str().as_bytes().to_vec());
                op.commit(batch, vec![self.event(AuditAction::CustomerCreated, &id)])?;
            }
            None => op.commit(batch, vec![self.event(AuditAction::CustomerCreated, &id)])?,
        }
        Ok(views::customer(&record, pii))
    }

    /// `HE_02` if unknown, `IR_11` if deleted.
    pub fn retrieve_customer(&self, id: &CustomerId) -> Result<Customer> {
        let op = self.begin(Scope::Read, AuditAction::CustomerRetrieved)?;
        let record = load_customer(&op.engine, &op.state, id)?;
        let pii = views::open_customer_pii(&op.state, &record)?;
        Ok(views::customer(&record, pii))
    }

    /// The live customer holding `merchant_reference_id` in this profile; `HE_02` (field
    /// `merchant_reference_id`) when none does, `IR_05` when it is not one a customer could
    /// hold (blank, longer than 64 characters, control characters).
    pub fn find_customer_by_reference(&self, merchant_reference_id: &str) -> Result<Customer> {
        let op = self.begin(Scope::Read, AuditAction::CustomerRetrieved)?;
        text::check("merchant_reference_id", merchant_reference_id, MAX_REFERENCE_CHARS)?;
        let (engine, state) = (&op.engine, &op.state);
        let not_found = || Error::not_found(ObjectKind::Customer, "merchant_reference_id");
        let stored = engine
            .store
            .get(Cf::CustomerRefs, &keys::record(state.id(), merchant_reference_id))?
            .ok_or_else(not_found)?;
        let id = std::str::from_utf8(&stored)
            .ok()
            .and_then(|s| CustomerId::parse(s).ok())
            .ok_or_else(|| Error::integrity("customer reference index"))?;
        let record = load_active_customer(engine, state, &id)?;
        if record.merchant_reference_id.as_deref() != Some(merchant_reference_id) {
            return Err(Error::integrity("customer reference index (points at another customer)"));
        }
        let pii = views::open_customer_pii(state, &record)?;
        Ok(views::customer(&record, pii))
    }

    /// Replaces each field present in `update`; an empty update changes nothing and
    /// returns the customer.
    pub fn update_customer(&self, id: &CustomerId, update: CustomerUpdate) -> Result<Customer> {
        let op = self.begin(Scope::Write, AuditAction::CustomerUpdated)?;
        let (engine, state) = (&op.engine, &op.state);
        update.validate()?;
        let _guard = lock_customer(engine, state.id(), id.as_str());
        let mut record = load_customer(engine, state, id)?;
        let mut pii = views::open_customer_pii(state, &record)?;
        if update.is_empty() {
            return Ok(views::customer(&record, pii));
        }
        macro_rules! replace {
            ($($field:ident),*) => { $( if let Some(v) = update.$field { pii.$field = Some(v); } )* };
        }
        replace!(
            name,
            email,
            phone,
            phone_country_code,
            description,
            default_billing_address,
            default_shipping_address,
            metadata
        );
        let reference = record.merchant_reference_id.as_deref();
        record.pii = Some(customer_binding::seal_pii(state, id.as_str(), reference, &pii)?);
        record.modified_at = engine.now();
        let mut batch = Batch::default();
        batch.put(Cf::Customers, keys::record(state.id(), id.as_str()), codec::encode(&record)?);
        op.commit(batch, vec![self.event(AuditAction::CustomerUpdated, id)])?;
        Ok(views::customer(&record, pii))
    }

    /// Live customers, oldest first; deleted customers are left out.
    pub fn list_customers(&self, page: &PageRequest<CustomerId>) -> Result<CustomerPage> {
        let op = self.begin(Scope::Read, AuditAction::CustomersListed)?;
        let (engine, state) = (&op.engine, &op.state);
        let limit = page.checked_limit()?;
        let prefix = keys::profile_prefix(state.id());
        let mut cursor = page.starting_after.as_ref().map(|c| keys::record(state.id(), c.as_str()));
        let mut customers = Vec::new();
        loop {
            let want = limit + 1 - customers.len();
            let range = KeyRange::prefix_after(prefix.clone(), cursor.as_deref());
            let entries = engine.store.scan(Cf::Customers, &range, want)?;
            let exhausted = entries.len() < want;
            for (key, value) in entries {
                let record: CustomerRecord = codec::decode(&value)?;
                if keys::record(state.id(), record.id.as_str()) != key {
                    return Err(Error::integrity("customer (stored under another id)"));
                }
                cursor = Some(key);
                if record.status == StoredCustomerStatus::Active {
                    let pii = views::open_customer_pii(state, &record)?;
                    customers.push(views::customer(&record, pii));
                }
            }
            if exhausted || customers.len() > limit {
                break;
            }
        }
        let has_more = customers.len() > limit;
        customers.truncate(limit);
        let next_starting_after = if has_more { customers.last().map(|c| c.id.clone()) } else { None };
        Ok(CustomerPage { customers, next_starting_after })
    }

    /// Deletes a customer: its personal data is erased (the record keeps only id, times and
    /// status, so later access answers `IR_11`), its merchant reference is released, and
    /// every payment method it owns is deleted — all in one atomic batch. A card of its that
    /// cannot be read (`verify` reports it) makes this `HE_00` `integrity`, writing nothing:
    /// `delete_payment_method` removes that card, then this deletes the rest.
    pub fn delete_customer(&self, id: &CustomerId) -> Result<CustomerDeleted> {
        let op = self.begin(Scope::Write, AuditAction::CustomerDeleted)?;
        let (engine, state) = (&op.engine, &op.state);
        let _guard = lock_customer(engine, state.id(), id.as_str());
        let mut record = load_active_customer(engine, state, id)?;
        let mut batch = Batch::default();
        let customer_prefix = KeyRange::prefix(keys::customer_prefix(state.id(), id.as_str()));
        let index = engine.store.scan(Cf::PmByCustomer, &customer_prefix, usize::MAX)?;
        let pm_keys: Vec<Vec<u8>> =
            index.iter().map(|(key, _)| keys::record_raw(state.id(), keys::last_part(key))).collect();
        let mut events = Vec::new();
        let mut removed = Vec::new();
        let stored = engine.store.multi_get(Cf::PaymentMethods, &pm_keys)?;
        for (key, value) in pm_keys.iter().zip(stored) {
            let Some(value) = value else { continue };
            // The clear fields name the index entries and the token to delete, so they are
            // trusted only once the card's details open with them (as `delete_payment_method`
            // does): an edited or copied record could name another card's. Such a card is
            // deleted alone first (`delete_payment_method` removes unreadable ones).
            let pm: PaymentMethodRecord = codec::decode(&value)?;
            if pm.customer_id != *id || keys::record(state.id(), pm.id.as_str()) != *key {
                return Err(Error::integrity("payment method index"));
            }
            card_binding::open_details(state, &pm)?;
            delete_payment_method_writes(engine, &mut batch, state.id(), &pm)?;
            events.push(self.event(AuditAction::PaymentMethodDeleted, &pm.id));
            removed.push(pm);
        }
        let deleted = u32::try_from(events.len()).unwrap_or(u32::MAX);
        // Index entries whose record is already gone are removed too, and every fingerprint
        // entry of the customer: one left by an earlier delete of a card whose clear
        // fingerprint was edited (`delete_fingerprint_entry` keeps what it cannot tie to the
        // card) would otherwise stay for good, as no card is saved again for this customer.
        for (key, _) in index {
            batch.delete(Cf::PmByCustomer, key);
        }
        for (key, _) in engine.store.scan(Cf::Fingerprints, &customer_prefix, usize::MAX)? {
            batch.delete(Cf::Fingerprints, key);
        }
        if let Some(reference) = record.merchant_reference_id.take() {
            batch.delete(Cf::CustomerRefs, keys::record(state.id(), &reference));
        }
        record.status = StoredCustomerStatus::Redacted;
        record.pii = None;
        record.modified_at = engine.now();
        batch.put(Cf::Customers, keys::record(state.id(), id.as_str()), codec::encode(&record)?);
        events.push(self.event(AuditAction::CustomerDeleted, id));
        op.commit(batch, events)?;
        drop(_guard);
        self.delete_network_tokens(&op, &removed);
        Ok(CustomerDeleted { id: id.clone(), customer_deleted: true, payment_methods_deleted: deleted })
    }
}
