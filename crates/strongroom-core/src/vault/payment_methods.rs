//! Card payment methods: create (validated, deduplicated per customer and card), retrieve
//! and list (masked), update, delete.

use parking_lot::MutexGuard;
use subtle::ConstantTimeEq;

use crate::card::{self, CheckedCard, Expiry, mask};
use crate::crypto::{Fingerprint, KeyPurpose};
use crate::error::{Error, InternalError, ObjectKind, Result};
use crate::model::address::Address;
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::card::{CardInput, Cvc};
use crate::model::ids::{CustomerId, PaymentMethodId};
use crate::model::metadata::Metadata;
use crate::model::network_token::NetworkTokenInfo;
use crate::model::page::PageRequest;
use crate::model::payment_method::{
    PaymentMethod, PaymentMethodCreate, PaymentMethodCreated, PaymentMethodDeleted, PaymentMethodPage,
    PaymentMethodStatus, PaymentMethodUpdate, StorageType,
};
use crate::model::scope::Scope;
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;
use crate::store::codec;
use crate::store::records::{CardDetails, CvcRecord, PaymentMethodRecord};
use crate::store::{Batch, Cf, KeyRange, keys, stored_id};
use crate::vault::audit::PendingEvent;
use crate::vault::customers::{customer_lock_key, load_active_customer, lock_customer};
use crate::vault::engine::Engine;
use crate::vault::network_tokens::{self, TokenRequest};
use crate::vault::profiles::ProfileState;
use crate::vault::scope::{Op, ProfileScope};
use crate::vault::{card_binding, cvc_binding};
use crate::vault::{contexts, unreadable, views};

/// Every check of a create request that needs no stored record.
fn check_card_input(
    card: &CardInput,
    billing: Option<&Address>,
    metadata: Option<&Metadata>,
    now: Timestamp,
) -> Result<CheckedCard> {
    let checked = card::check(card, now)?;
    if let Some(billing) = billing {
        billing.validate("billing")?;
    }
    if let Some(metadata) = metadata {
        metadata.validate("metadata")?;
    }
    card::refuse_number_in_extras(billing, metadata, &checked.number)?;
    Ok(checked)
}

fn not_found() -> Error {
    Error::not_found(ObjectKind::PaymentMethod, "payment_method_id")
}

fn is_expired(record: &PaymentMethodRecord, now: Timestamp) -> bool {
    record.expires_at.is_some_and(|t| t <= now)
}

/// Adds to `batch` the removal of a payment method and everything that points to it.
pub(crate) fn delete_payment_method_writes(
    engine: &Engine,
    batch: &mut Batch,
    profile: &str,
    record: &PaymentMethodRecord,
) -> Result<()> {
    let (pm, customer) = (record.id.as_str(), record.customer_id.as_str());
    batch.delete(Cf::PaymentMethods, keys::record(profile, pm));
    batch.delete(Cf::PmByCustomer, keys::pm_by_customer(profile, customer, pm));
    delete_fingerprint_entry(engine, batch, profile, record)?;
    batch.delete(Cf::Cvc, keys::record(profile, pm));
    if let Some(expires_at) = record.expires_at {
        batch.delete(Cf::PmExpiry, keys::pm_expiry(profile, expires_at, pm));
    }
    Ok(())
}

/// Adds to `batch` the removal of the fingerprint index entry `record`'s fingerprint names,
/// if that entry names `record`. The fingerprint is kept in clear and is not bound to the
/// sealed details (a retrieve would pay for it), so an edited one can name the entry of
/// another card of the same customer, which must stay: that card's duplicates are found by
/// it. An entry left behind names a payment method that is gone, which the next create of
/// its card removes, as does a delete of its customer (every fingerprint entry of the
/// customer), and `verify` reports.
pub(crate) fn delete_fingerprint_entry(
    engine: &Engine,
    batch: &mut Batch,
    profile: &str,
    record: &PaymentMethodRecord,
) -> Result<()> {
    let key = keys::fingerprint(profile, record.customer_id.as_str(), &record.fingerprint);
    let Some(value) = engine.store.get(Cf::Fingerprints, &key)? else {
        return Ok(());
    };
    // An entry that does not decode names no card this delete may speak for: it stays for
    // `verify` to report.
    if stored_id::from_index_value(&value, "fingerprint index").ok().as_deref() == Some(record.id.as_str()) {
        batch.delete(Cf::Fingerprints, key);
    }
    Ok(())
}

pub(crate) fn put_record(batch: &mut Batch, profile: &str, record: &PaymentMethodRecord) -> Result<()> {
    batch.put(Cf::PaymentMethods, keys::record(profile, record.id.as_str()), codec::encode(record)?);
    Ok(())
}

/// Reads a payment method record. A record whose own id differs from the key it was found
/// under (moved at the storage level) is an integrity error, never another card's data.
fn load(engine: &Engine, state: &ProfileState, id: &str) -> Result<Option<Box<PaymentMethodRecord>>> {
    let record: Option<Box<PaymentMethodRecord>> =
        engine.get_record(Cf::PaymentMethods, &keys::record(state.id(), id))?;
    match record {
        Some(r) if r.id.as_str() != id => Err(Error::integrity("payment method (stored under another id)")),
        other => Ok(other),
    }
}

/// The writes and audit event that remove an expired payment method.
fn expire(engine: &Engine, batch: &mut Batch, profile: &str, record: &PaymentMethodRecord) -> Result<PendingEvent> {
    delete_payment_method_writes(engine, batch, profile, record)?;
    Ok(PendingEvent::success(AuditActor::Internal, AuditAction::PaymentMethodExpired, Some(record.id.to_string())))
}

/// Deletes a payment method found expired, unless someone changed it meanwhile.
pub(crate) fn purge_if_expired(op: &Op, id: &str, customer: &CustomerId) -> Result<bool> {
    let guard = lock_customer(&op.engine, op.profile(), customer.as_str());
    match load(&op.engine, &op.state, id)? {
        Some(record) if is_expired(&record, op.engine.now()) => {
            expire_now(op, guard, &record)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Removes an expired payment method (its customer's lock held in `guard`), then its
/// network token at the provider, outside the lock. Its clear fields name the index
/// entries to delete, so they are trusted only once its details open with them: an
/// edited record (its owner or expiry changed in the files) is an integrity error, which
/// the purge sweep counts as unreadable and `delete_payment_method` handles.
fn expire_now(op: &Op, guard: MutexGuard<'_, ()>, record: &PaymentMethodRecord) -> Result<()> {
    card_binding::open_details(&op.state, record)?;
    let mut batch = Batch::default();
    let event = expire(&op.engine, &mut batch, op.profile(), record)?;
    op.commit(batch, vec![event])?;
    drop(guard);
    network_tokens::delete_at_provider(op, &AuditActor::Internal, std::slice::from_ref(record));
    Ok(())
}

/// A live payment method for reading, as of `now`; an expired volatile one is purged and
/// not found.
fn load_live(op: &Op, id: &PaymentMethodId, now: Timestamp) -> Result<Box<PaymentMethodRecord>> {
    let record = load(&op.engine, &op.state, id.as_str())?.ok_or_else(not_found)?;
    if is_expired(&record, now) {
        purge_if_expired(op, id.as_str(), &record.customer_id)?;
        return Err(not_found());
    }
    Ok(record)
}

/// A live payment method under its customer's lock, for a read-modify-write.
pub(crate) fn lock_live<'o>(
    op: &'o Op,
    id: &PaymentMethodId,
) -> Result<(MutexGuard<'o, ()>, Box<PaymentMethodRecord>)> {
    let customer = load_live(op, id, op.engine.now())?.customer_id;
    let guard = lock_customer(&op.engine, op.profile(), customer.as_str());
    let record = load(&op.engine, &op.state, id.as_str())?.ok_or_else(not_found)?;
    if is_expired(&record, op.engine.now()) {
        expire_now(op, guard, &record)?;
        return Err(not_found());
    }
    Ok((guard, record))
}

/// Stores `cvc` for the payment method, replacing any earlier one, until the profile's
/// CVC TTL runs out.
fn store_cvc(
    batch: &mut Batch,
    state: &ProfileState,
    record: &mut PaymentMethodRecord,
    cvc: &Cvc,
    now: Timestamp,
) -> Result<()> {
    let expires_at = now.saturating_add(state.settings.cvc_ttl);
    let sealed =
        cvc_binding::seal_cvc(state, record.id.as_str(), &record.customer_id, expires_at, cvc.expose().as_bytes())?;
    let cvc_record = CvcRecord { customer_id: record.customer_id.clone(), expires_at, sealed };
    batch.put(Cf::Cvc, keys::record(state.id(), record.id.as_str()), codec::encode(&cvc_record)?);
    record.cvc_expires_at = Some(expires_at);
    Ok(())
}

impl ProfileScope {
    /// Saves a card for a customer and returns its payment method (the token).
    ///
    /// Every field is validated first. If the customer already has an active payment
    /// method for the same card (same keyed fingerprint), that one is returned with
    /// `duplicate: true`: its CVC is replaced when one is given, its expiry and holder name
    /// are updated when they changed, and a volatile one becomes persistent if asked.
    ///
    /// With `network_tokenization`, a network token is then asked of the provider (when
    /// the payment method has none yet); if that fails the payment method is still saved
    /// and `network_token` says why the token is missing.
    pub fn create_payment_method(&self, request: PaymentMethodCreate) -> Result<PaymentMethodCreated> {
        let tokenize = request.network_tokenization;
        let (created, card) = self.save_card(request)?;
        let wants_token = match &created.payment_method.network_token {
            None | Some(NetworkTokenInfo::Missing { .. }) => tokenize,
            Some(NetworkTokenInfo::Active(_)) => false,
        };
        if !wants_token {
            return Ok(created);
        }
        let request = TokenRequest {
            number: card.number,
            expiry_month: card.expiry.month,
            expiry_year: card.expiry.year,
            network: card.network,
        };
        let payment_method = self.attach_network_token(&created.payment_method.id, request)?;
        Ok(PaymentMethodCreated { payment_method, duplicate: created.duplicate })
    }

    /// Checks a card, its billing address and metadata as `create_payment_method` does
    /// before it reads or writes anything (expiry by the vault's clock), and writes
    /// nothing: the same typed error create would give, for a caller that must create
    /// something else first only if the card will be accepted (the CLI's import creates a
    /// line's customer only then). The customer, a duplicate and the network token provider
    /// are create's to check.
    pub fn check_card(&self, card: &CardInput, billing: Option<&Address>, metadata: Option<&Metadata>) -> Result<()> {
        check_card_input(card, billing, metadata, self.now()?).map(drop)
    }

    /// The create itself: validation, dedup, the atomic write. Returns the checked card
    /// for the network token request that may follow.
    fn save_card(&self, request: PaymentMethodCreate) -> Result<(PaymentMethodCreated, CheckedCard)> {
        let op = self.begin(Scope::Write, AuditAction::PaymentMethodCreated)?;
        let (engine, state) = (&op.engine, &op.state);
        let now = engine.now();
        if request.network_tokenization {
            network_tokens::provider(&op)?;
        }
        let card = check_card_input(&request.card, request.billing.as_ref(), request.metadata.as_ref(), now)?;
        let guard = lock_customer(engine, state.id(), request.customer_id.as_str());
        load_active_customer(engine, state, &request.customer_id)?;
        // Expiry is decided by the time under the lock: the wait for it can outlast a
        // volatile duplicate, which must not then be refreshed (made persistent, given a CVC).
        let now = engine.now();

        let mut batch = Batch::default();
        let mut events = Vec::new();
        // Earlier copies found expired on the way: removed in the same write, their network
        // tokens at the provider after it.
        let mut expired = Vec::new();
        let active_version = state.keys.active_version();
        let mut active_fingerprint = None;
        for version in state.keys.versions() {
            let fingerprint = state.keys.fingerprint(version, &card.number)?;
            if version == active_version {
                active_fingerprint = Some(fingerprint);
            }
            let index_key = keys::fingerprint(state.id(), request.customer_id.as_str(), &fingerprint);
            let Some(pm_id) = engine.store.get(Cf::Fingerprints, &index_key)? else {
                continue;
            };
            let pm_id = stored_id::from_index_value(&pm_id, "fingerprint index")?;
            match load(engine, state, &pm_id)? {
                Some(existing) if existing.customer_id != request.customer_id => {
                    return Err(Error::integrity("fingerprint index"));
                }
                Some(existing) if !is_expired(&existing, now) => {
                    // The index is in clear: the card it names must hold this very number,
                    // or the refresh would update (and return) another card.
                    let stored = views::open_card_number(state, &existing)?;
                    if !bool::from(stored.expose().as_bytes().ct_eq(card.number.expose().as_bytes())) {
                        return Err(Error::integrity("fingerprint index"));
                    }
                    let created = self.refresh_duplicate(&op, existing, &request, &card, batch, events)?;
                    drop(guard);
                    network_tokens::delete_at_provider(&op, &AuditActor::Internal, &expired);
                    return Ok((created, card));
                }
                Some(found) => {
                    // Its clear fields say it expired, and name the entries to delete: they
                    // are trusted once its details open with them, as any expiry's are
                    // (`expire_now`). An edited card is left to `delete_payment_method`.
                    card_binding::open_details(state, &found)?;
                    events.push(expire(engine, &mut batch, state.id(), &found)?);
                    expired.push(*found);
                }
                None => batch.delete(Cf::Fingerprints, index_key),
            }
        }
        let fingerprint = active_fingerprint.ok_or_else(|| Error::integrity("profile key versions"))?;
        let created = self.insert_new(engine, state, request, &card, fingerprint, &mut batch, now)?;
        events.push(self.event(AuditAction::PaymentMethodCreated, &created.id));
        op.commit(batch, events)?;
        drop(guard);
        network_tokens::delete_at_provider(&op, &AuditActor::Internal, &expired);
        Ok((PaymentMethodCreated { payment_method: created, duplicate: false }, card))
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_new(
        &self,
        engine: &Engine,
        state: &ProfileState,
        request: PaymentMethodCreate,
        card: &CheckedCard,
        fingerprint: Fingerprint,
        batch: &mut Batch,
        now: Timestamp,
    ) -> Result<PaymentMethod> {
        let id = PaymentMethodId::generate(engine.cell.as_ref())?;
        let details = CardDetails {
            exp_month: card.expiry.month,
            exp_year: card.expiry.year,
            holder_name: card.holder_name.clone(),
            nick_name: card.nick_name.clone(),
            issuer: card.issuer.clone(),
            card_type: card.card_type.clone(),
            issuing_country: card.issuing_country.clone(),
            billing: request.billing,
            metadata: request.metadata,
        };
        let pan_ctx = contexts::card_number(state.id(), id.as_str());
        let expires_at =
            (request.storage_type == StorageType::Volatile).then(|| now.saturating_add(state.settings.volatile_ttl));
        let mut record = PaymentMethodRecord {
            id: id.clone(),
            customer_id: request.customer_id.clone(),
            payment_method_type: request.payment_method_type,
            payment_method_subtype: request.payment_method_subtype,
            storage_type: request.storage_type,
            status: PaymentMethodStatus::Active,
            recurring_enabled: request.recurring_enabled,
            created_at: now,
            modified_at: now,
            last_used_at: now,
            expires_at,
            last4: card.number.last4().to_owned(),
            isin: mask::isin(&card.number, card.network),
            network: card.network,
            fingerprint,
            fingerprint_version: state.keys.active_version(),
            cvc_expires_at: None,
            details: Vec::new(),
            pan: state.keys.seal(KeyPurpose::Pan, &pan_ctx, card.number.expose().as_bytes())?,
            network_token: None,
        };
        record.details = card_binding::seal_details(state, &record, &details)?;
        let (profile, customer, pm) = (state.id(), request.customer_id.as_str(), id.as_str());
        if let Some(cvc) = &card.cvc {
            store_cvc(batch, state, &mut record, cvc, now)?;
        }
        put_record(batch, profile, &record)?;
        batch.put(Cf::PmByCustomer, keys::pm_by_customer(profile, customer, pm), Vec::new());
        batch.put(Cf::Fingerprints, keys::fingerprint(profile, customer, &fingerprint), stored_id::to_index_value(pm));
        if let Some(expires_at) = expires_at {
            batch.put(Cf::PmExpiry, keys::pm_expiry(profile, expires_at, pm), Vec::new());
        }
        // The fingerprint was made from the card number just now: nothing to check.
        let card_fingerprint = state.settings.expose_card_fingerprint.then(|| fingerprint.to_hex());
        Ok(views::masked(Box::new(record), Box::new(details), now, card_fingerprint))
    }

    fn refresh_duplicate(
        &self,
        op: &Op,
        mut existing: Box<PaymentMethodRecord>,
        request: &PaymentMethodCreate,
        card: &CheckedCard,
        mut batch: Batch,
        mut events: Vec<PendingEvent>,
    ) -> Result<PaymentMethodCreated> {
        let (state, now) = (&op.state, op.engine.now());
        let mut details = card_binding::open_details(state, &existing)?;
        let mut details_changed = false;
        if (details.exp_month, details.exp_year) != (card.expiry.month, card.expiry.year) {
            (details.exp_month, details.exp_year) = (card.expiry.month, card.expiry.year);
            details_changed = true;
        }
        if card.holder_name.is_some() && details.holder_name != card.holder_name {
            details.holder_name = card.holder_name.clone();
            details_changed = true;
        }
        let mut changed = details_changed;
        if existing.storage_type == StorageType::Volatile && request.storage_type == StorageType::Persistent {
            if let Some(expires_at) = existing.expires_at.take() {
                batch.delete(Cf::PmExpiry, keys::pm_expiry(state.id(), expires_at, existing.id.as_str()));
            }
            existing.storage_type = StorageType::Persistent;
            // The details are bound to the storage type and expiry.
            details_changed = true;
            changed = true;
        }
        if let Some(cvc) = &card.cvc {
            store_cvc(&mut batch, state, &mut existing, cvc, now)?;
            changed = true;
        }
        if details_changed {
            existing.details = card_binding::seal_details(state, &existing, &details)?;
        }
        if changed {
            existing.modified_at = now;
            put_record(&mut batch, state.id(), &existing)?;
            events.push(self.event(AuditAction::PaymentMethodRefreshed, &existing.id));
        }
        // Checked before the write: an edited fingerprint fails the create, writing nothing.
        let card_fingerprint = views::exposed_fingerprint(state, &existing)?;
        if !batch.is_empty() {
            op.commit(batch, events)?;
        }
        Ok(PaymentMethodCreated {
            payment_method: views::masked(existing, details, now, card_fingerprint),
            duplicate: true,
        })
    }

    /// The masked payment method. `HE_02` if unknown (or expired, or of another profile).
    pub fn retrieve_payment_method(&self, id: &PaymentMethodId) -> Result<PaymentMethod> {
        let op = self.begin(Scope::Read, AuditAction::PaymentMethodRetrieved)?;
        // One instant for the expiry check and the view (the CVC's liveness).
        let now = op.engine.now();
        let record = load_live(&op, id, now)?;
        let details = card_binding::open_details(&op.state, &record)?;
        views::payment_method(&op.state, record, details, now)
    }

    /// A customer's payment methods, oldest first, masked. Opens only data keys, and the
    /// card numbers too where the profile exposes fingerprints (each checked against its
    /// card's number before it is shown).
    pub fn list_payment_methods(
        &self,
        customer_id: &CustomerId,
        page: &PageRequest<PaymentMethodId>,
    ) -> Result<PaymentMethodPage> {
        let op = self.begin(Scope::Read, AuditAction::PaymentMethodsListed)?;
        let (engine, state) = (&op.engine, &op.state);
        let limit = page.checked_limit()?;
        load_active_customer(engine, state, customer_id)?;
        let now = engine.now();
        let prefix = keys::customer_prefix(state.id(), customer_id.as_str());
        let mut cursor =
            page.starting_after.as_ref().map(|c| keys::pm_by_customer(state.id(), customer_id.as_str(), c.as_str()));
        let mut methods = Vec::new();
        let mut expired = Vec::new();
        loop {
            let want = limit + 1 - methods.len();
            let index = engine.store.scan(
                Cf::PmByCustomer,
                &KeyRange::prefix_after(prefix.clone(), cursor.as_deref()),
                want,
            )?;
            let exhausted = index.len() < want;
            let record_keys: Vec<Vec<u8>> =
                index.iter().map(|(key, _)| keys::record_raw(state.id(), keys::last_part(key))).collect();
            cursor = index.into_iter().last().map(|(key, _)| key);
            for (key, value) in record_keys.iter().zip(engine.store.multi_get(Cf::PaymentMethods, &record_keys)?) {
                let Some(value) = value else { continue };
                let record: Box<PaymentMethodRecord> = codec::decode(&value)?;
                if keys::record(state.id(), record.id.as_str()) != *key || record.customer_id != *customer_id {
                    return Err(Error::integrity("payment method (stored under another id)"));
                }
                if is_expired(&record, now) {
                    expired.push(record.id);
                    continue;
                }
                let details = card_binding::open_details(state, &record)?;
                methods.push(views::payment_method(state, record, details, now)?);
            }
            if exhausted || methods.len() > limit {
                break;
            }
        }
        for id in expired {
            purge_if_expired(&op, id.as_str(), customer_id)?;
        }
        let has_more = methods.len() > limit;
        methods.truncate(limit);
        let next_starting_after = if has_more { methods.last().map(|m| m.id.clone()) } else { None };
        Ok(PaymentMethodPage { payment_methods: methods, next_starting_after })
    }

    /// Updates holder name, nick name, CVC and expiry (month and year together). Absent
    /// fields are kept; an empty update changes nothing.
    pub fn update_payment_method(&self, id: &PaymentMethodId, update: PaymentMethodUpdate) -> Result<PaymentMethod> {
        let op = self.begin(Scope::Write, AuditAction::PaymentMethodUpdated)?;
        let state = &op.state;
        let now = op.engine.now();
        card::check_holder_name(update.card_holder_name.as_ref())?;
        card::check_nick_name(update.nick_name.as_deref())?;
        let expiry = match (&update.card_exp_month, &update.card_exp_year) {
            (Some(month), Some(year)) => Some(Expiry::parse(month, year, now)?),
            (Some(_), None) => return Err(Error::missing("card_exp_year")),
            (None, Some(_)) => return Err(Error::missing("card_exp_month")),
            (None, None) => None,
        };
        let (_guard, mut record) = lock_live(&op, id)?;
        let cvc = update.card_cvc.as_ref().map(|c| card::cvc::parse(c.expose(), record.network)).transpose()?;
        let names = [update.card_holder_name.as_ref().map(SecretString::expose), update.nick_name.as_deref()];
        if names.into_iter().flatten().any(|name| card::may_hold_number(name, &record.last4)) {
            // As on create: the names are shown in masked views, so neither may hold the
            // number. Opened only for a name with enough digits, ending in the card's last four.
            let number = views::open_card_number(state, &record)?;
            card::refuse_number(
                "card_holder_name",
                update.card_holder_name.as_ref().map(SecretString::expose),
                &number,
            )?;
            card::refuse_number("nick_name", update.nick_name.as_deref(), &number)?;
        }
        let mut details = card_binding::open_details(state, &record)?;
        if update.card_holder_name.is_none() && update.nick_name.is_none() && cvc.is_none() && expiry.is_none() {
            return views::payment_method(state, record, details, now);
        }
        let details_changed = update.card_holder_name.is_some() || update.nick_name.is_some() || expiry.is_some();
        if let Some(name) = update.card_holder_name {
            details.holder_name = Some(name);
        }
        if let Some(nick) = update.nick_name {
            details.nick_name = Some(nick);
        }
        if let Some(expiry) = expiry {
            (details.exp_month, details.exp_year) = (expiry.month, expiry.year);
        }
        let mut batch = Batch::default();
        if let Some(cvc) = &cvc {
            store_cvc(&mut batch, state, &mut record, cvc, now)?;
        }
        if details_changed {
            record.details = card_binding::seal_details(state, &record, &details)?;
        }
        record.modified_at = now;
        put_record(&mut batch, state.id(), &record)?;
        // Checked before the write: an edited fingerprint fails the update, writing nothing.
        let card_fingerprint = views::exposed_fingerprint(state, &record)?;
        op.commit(batch, vec![self.event(AuditAction::PaymentMethodUpdated, id)])?;
        Ok(views::masked(record, details, now, card_fingerprint))
    }

    /// Deletes the payment method, its stored CVC and its index entries. A second delete
    /// is `HE_02`.
    ///
    /// A payment method whose record cannot be read (`verify` reports it unreadable: it does
    /// not decode, or its clear fields were edited so that its details no longer open;
    /// other calls on it fail with `HE_00` `integrity`) is deleted too, with every index
    /// entry that names it, found by looking through the profile's indexes rather than by
    /// its clear fields, which cannot be trusted. Then it no longer keeps
    /// `reencrypt_profile` from finishing. Its network token, if it had one, is not deleted
    /// at the provider, as no reference of such a record can be checked: with a provider
    /// configured, that is recorded as a failed token deletion.
    pub fn delete_payment_method(&self, id: &PaymentMethodId) -> Result<PaymentMethodDeleted> {
        let op = self.begin(Scope::Write, AuditAction::PaymentMethodDeleted)?;
        let (guard, record) = match lock_live(&op, id) {
            Err(e @ Error::Internal(InternalError::Integrity { .. })) => return self.delete_unreadable(&op, id, e),
            found => found?,
        };
        // The clear fields name the index entries to delete; an edited one could name
        // another card's, so they are trusted only once the details open with them.
        if let Err(e @ Error::Internal(InternalError::Integrity { .. })) =
            card_binding::open_details(&op.state, &record)
        {
            drop(guard);
            return self.delete_unreadable(&op, id, e);
        }
        let mut batch = Batch::default();
        delete_payment_method_writes(&op.engine, &mut batch, op.profile(), &record)?;
        op.commit(batch, vec![self.event(AuditAction::PaymentMethodDeleted, id)])?;
        drop(guard);
        self.delete_network_tokens(&op, std::slice::from_ref(&record));
        Ok(PaymentMethodDeleted { id: id.clone() })
    }

    /// Deletes payment method `id`, whose record failed to load or open with `error`.
    fn delete_unreadable(&self, op: &Op, id: &PaymentMethodId, error: Error) -> Result<PaymentMethodDeleted> {
        let (engine, profile, pm) = (&op.engine, op.profile(), id.as_str());
        // The customers its index entries name are locked, as its writers (re-encryption's
        // CVC pass among them) lock them; and a key of its own, for two such deletes.
        let customers = unreadable::customers_naming(engine, profile, pm)?;
        let own = [profile.as_bytes(), b"unreadable payment method", pm.as_bytes()];
        let lock_keys = customers.iter().map(|c| customer_lock_key(profile, c)).chain([own]);
        let _guards = engine.locks.lock_many(lock_keys);
        match load(engine, &op.state, pm) {
            Ok(None) => return Err(not_found()),
            // Readable after all (repaired meanwhile): the caller tries again.
            Ok(Some(record)) if card_binding::open_details(&op.state, &record).is_ok() => return Err(error),
            Ok(Some(_)) | Err(Error::Internal(InternalError::Integrity { .. })) => {}
            Err(e) => return Err(e),
        }
        let batch = unreadable::removal_writes(engine, profile, pm)?;
        let mut events = vec![self.event(AuditAction::PaymentMethodDeleted, id)];
        if engine.network_tokens.is_some() {
            let actor = self.actor().clone();
            events.push(PendingEvent::failure(actor, AuditAction::NetworkTokenDeleted, Some(pm.to_owned()), &error));
        }
        op.commit(batch, events)?;
        tracing::warn!(
            code = "HE_00",
            "deleted a payment method whose record could not be read; a network token it had stays at the provider"
        );
        Ok(PaymentMethodDeleted { id: id.clone() })
    }
}
