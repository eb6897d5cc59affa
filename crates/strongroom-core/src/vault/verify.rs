//! `verify`: reads the whole vault and checks that every stored value opens, every index
//! entry points to a live record that agrees with it, every record has its index entries,
//! and every audit chain is intact.

use std::collections::HashMap;

use crate::error::Result;
use crate::model::ids::ProfileId;
use crate::model::reports::{ProblemKind, VerifyProblem, VerifyProgress, VerifyReport};
use crate::store::codec;
use crate::store::records::{CustomerRecord, CvcRecord, PaymentMethodRecord, StoredCustomerStatus, StoredNetworkToken};
use crate::store::{Cf, KeyRange, keys, stored_id};
use crate::vault::scope::Op;
use crate::vault::{Vault, views};
use crate::vault::{card_binding, cvc_binding};

/// A key's readable tail (the part after the profile), for problem locations.
fn location(cf: Cf, key: &[u8]) -> String {
    let tail = match key.iter().position(|b| *b == 0) {
        Some(i) => &key[i + 1..],
        None => key,
    };
    let printable: String = tail.iter().map(|b| if b.is_ascii_graphic() { char::from(*b) } else { '.' }).collect();
    format!("{}/{printable}", cf.name())
}

/// The id a damaged profile record is reported under: the key it is stored under, which
/// is the profile's id unless the key itself was altered (then every byte outside the id
/// alphabet becomes `_`, as no call can name that profile anyway).
fn reported_profile_id(key: &str) -> Result<ProfileId> {
    let mut cleaned: String =
        key.chars().take(64).map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if cleaned.is_empty() {
        cleaned.push('_');
    }
    ProfileId::parse(&cleaned)
}

struct Checker<'a> {
    op: &'a Op,
    report: &'a mut VerifyReport,
    progress: &'a mut dyn FnMut(&VerifyProgress),
    profiles_done: u64,
    profiles_total: u64,
}

/// Records between progress reports inside a profile.
const PROGRESS_EVERY: u64 = 512;

impl Checker<'_> {
    /// Counts one checked record, reporting progress every few hundred.
    fn checked(&mut self) {
        self.report.records_checked += 1;
        if self.report.records_checked.is_multiple_of(PROGRESS_EVERY) {
            (self.progress)(&VerifyProgress {
                profiles_done: self.profiles_done,
                profiles_total: self.profiles_total,
                records_checked: self.report.records_checked,
            });
        }
    }

    fn problem(&mut self, kind: ProblemKind, cf: Cf, key: &[u8], detail: impl Into<String>) {
        self.report.problems.push(VerifyProblem {
            profile_id: self.op.state.record.id.clone(),
            kind,
            location: location(cf, key),
            detail: detail.into(),
        });
    }

    fn run(&mut self) -> Result<()> {
        let op = self.op;
        let (engine, state, profile) = (&op.engine, &op.state, op.profile());
        let all = KeyRange::prefix(keys::profile_prefix(profile));

        // Customers: each opens; references agree both ways.
        let mut customers: HashMap<Vec<u8>, CustomerRecord> = HashMap::new();
        let mut entries = Vec::new();
        engine.scan_all(Cf::Customers, &all, |k, v| {
            entries.push((k.to_vec(), v.to_vec()));
            Ok(())
        })?;
        for (key, value) in entries {
            self.checked();
            let Ok(record) = codec::decode::<CustomerRecord>(&value) else {
                self.problem(ProblemKind::UnreadableValue, Cf::Customers, &key, "record does not decode");
                continue;
            };
            if keys::record(profile, record.id.as_str()) != key {
                self.problem(ProblemKind::UnreadableValue, Cf::Customers, &key, "record stored under another id");
                continue;
            }
            if record.status == StoredCustomerStatus::Active {
                match views::open_customer_pii(state, &record) {
                    Ok(_) => self.report.values_opened += 1,
                    Err(_) => {
                        self.problem(ProblemKind::UnreadableValue, Cf::Customers, &key, "personal data does not open")
                    }
                }
            }
            if let Some(reference) = &record.merchant_reference_id {
                let ref_key = keys::record(profile, reference);
                if engine.store.get(Cf::CustomerRefs, &ref_key)?.as_deref() != Some(record.id.as_str().as_bytes()) {
                    self.problem(
                        ProblemKind::MissingIndexEntry,
                        Cf::Customers,
                        &key,
                        "merchant reference entry missing",
                    );
                }
            }
            customers.insert(key, record);
        }
        engine.scan_all(Cf::CustomerRefs, &all, |key, value| {
            self.report.index_entries_checked += 1;
            let target = keys::record_raw(profile, value);
            let ok = customers.get(&target).is_some_and(|c| {
                c.merchant_reference_id.as_deref().map(|r| keys::record(profile, r)) == Some(key.to_vec())
            });
            if !ok {
                self.problem(
                    ProblemKind::OrphanIndexEntry,
                    Cf::CustomerRefs,
                    key,
                    "points to no customer with this reference",
                );
            }
            Ok(())
        })?;

        // Payment methods: each opens; indexes agree both ways.
        let mut methods: HashMap<Vec<u8>, PaymentMethodRecord> = HashMap::new();
        let mut entries = Vec::new();
        // Ids of records that do not decode: their index entries are not reported again
        // as orphans (the record is the problem, not the index).
        let mut undecodable: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
        engine.scan_all(Cf::PaymentMethods, &all, |k, v| {
            entries.push((k.to_vec(), v.to_vec()));
            Ok(())
        })?;
        for (key, value) in entries {
            self.checked();
            let Ok(record) = codec::decode::<PaymentMethodRecord>(&value) else {
                self.problem(ProblemKind::UnreadableValue, Cf::PaymentMethods, &key, "record does not decode");
                undecodable.insert(keys::last_part(&key).to_vec());
                continue;
            };
            let id = record.id.as_str();
            if keys::record(profile, id) != key {
                self.problem(ProblemKind::UnreadableValue, Cf::PaymentMethods, &key, "record stored under another id");
                continue;
            }
            match card_binding::open_details(state, &record) {
                Ok(_) => self.report.values_opened += 1,
                Err(_) => {
                    let detail = "card details do not open (damaged, or the record's clear fields were changed)";
                    self.problem(ProblemKind::UnreadableValue, Cf::PaymentMethods, &key, detail)
                }
            }
            match views::open_card_number(state, &record) {
                Ok(number) => {
                    self.report.values_opened += 1;
                    // The fingerprint is in clear and not bound to the sealed values: checked
                    // here against the number it was made of.
                    if !views::fingerprint_is_the_numbers(state, &record, &number).unwrap_or(false) {
                        let detail = "card fingerprint is not its card number's (or its key version is unknown)";
                        self.problem(ProblemKind::UnreadableValue, Cf::PaymentMethods, &key, detail);
                    }
                }
                Err(_) => {
                    self.problem(ProblemKind::UnreadableValue, Cf::PaymentMethods, &key, "card number does not open")
                }
            }
            if let Some(StoredNetworkToken::Active { .. }) = &record.network_token {
                match card_binding::open_token_number(state, &record) {
                    Ok(_) => self.report.values_opened += 1,
                    Err(_) => self.problem(
                        ProblemKind::UnreadableValue,
                        Cf::PaymentMethods,
                        &key,
                        "network token number does not open",
                    ),
                }
            }
            let customer = record.customer_id.as_str();
            let owner = customers.get(&keys::record(profile, customer));
            if !owner.is_some_and(|c| c.status == StoredCustomerStatus::Active) {
                self.problem(
                    ProblemKind::OrphanIndexEntry,
                    Cf::PaymentMethods,
                    &key,
                    "its customer is missing or deleted",
                );
            }
            if engine.store.get(Cf::PmByCustomer, &keys::pm_by_customer(profile, customer, id))?.is_none() {
                self.problem(ProblemKind::MissingIndexEntry, Cf::PaymentMethods, &key, "customer index entry missing");
            }
            let fp_key = keys::fingerprint(profile, customer, &record.fingerprint);
            let indexed = engine.store.get(Cf::Fingerprints, &fp_key)?;
            let names_this = indexed
                .is_some_and(|v| stored_id::from_index_value(&v, "fingerprint index").ok().as_deref() == Some(id));
            if !names_this {
                self.problem(
                    ProblemKind::MissingIndexEntry,
                    Cf::PaymentMethods,
                    &key,
                    "fingerprint index entry missing",
                );
            }
            if let Some(expires_at) = record.expires_at
                && engine.store.get(Cf::PmExpiry, &keys::pm_expiry(profile, expires_at, id))?.is_none()
            {
                self.problem(ProblemKind::MissingIndexEntry, Cf::PaymentMethods, &key, "expiry index entry missing");
            }
            methods.insert(key, record);
        }
        let pm_of = |id: &[u8]| methods.get(&keys::record_raw(profile, id));
        let unreadable = |id: &[u8]| undecodable.contains(id);
        let mut orphans: Vec<(Cf, Vec<u8>, &'static str)> = Vec::new();
        let mut index_entries = 0u64;
        engine.scan_all(Cf::PmByCustomer, &all, |key, _| {
            index_entries += 1;
            let ok = pm_of(keys::last_part(key))
                .is_some_and(|pm| keys::pm_by_customer(profile, pm.customer_id.as_str(), pm.id.as_str()) == key);
            if !ok && !unreadable(keys::last_part(key)) {
                orphans.push((Cf::PmByCustomer, key.to_vec(), "points to no payment method of this customer"));
            }
            Ok(())
        })?;
        engine.scan_all(Cf::Fingerprints, &all, |key, value| {
            index_entries += 1;
            let id = stored_id::from_index_value(value, "fingerprint index").ok();
            let id = id.as_deref().map(str::as_bytes).unwrap_or_default();
            let ok =
                pm_of(id).is_some_and(|pm| keys::fingerprint(profile, pm.customer_id.as_str(), &pm.fingerprint) == key);
            if !ok && !unreadable(id) {
                orphans.push((Cf::Fingerprints, key.to_vec(), "points to no payment method with this fingerprint"));
            }
            Ok(())
        })?;
        engine.scan_all(Cf::PmExpiry, &all, |key, _| {
            index_entries += 1;
            let ok = pm_of(keys::last_part(key))
                .is_some_and(|pm| pm.expires_at.is_some_and(|t| keys::pm_expiry(profile, t, pm.id.as_str()) == key));
            if !ok && !unreadable(keys::last_part(key)) {
                orphans.push((Cf::PmExpiry, key.to_vec(), "points to no volatile payment method expiring then"));
            }
            Ok(())
        })?;
        let mut cvc_entries = Vec::new();
        engine.scan_all(Cf::Cvc, &all, |k, v| {
            cvc_entries.push((k.to_vec(), v.to_vec()));
            Ok(())
        })?;
        self.report.index_entries_checked += index_entries;
        for (cf, key, detail) in orphans {
            self.problem(ProblemKind::OrphanIndexEntry, cf, &key, detail);
        }
        for (key, value) in cvc_entries {
            self.checked();
            let pm = keys::last_part(&key);
            let stored = codec::decode::<CvcRecord>(&value).ok();
            let opened = stored.as_ref().and_then(|c| {
                let pm = std::str::from_utf8(pm).ok()?;
                cvc_binding::open_cvc(state, pm, c, engine.now()).ok()
            });
            match opened {
                Some(_) => self.report.values_opened += 1,
                None => self.problem(ProblemKind::UnreadableValue, Cf::Cvc, &key, "stored CVC does not open"),
            }
            match (pm_of(pm), &stored) {
                (None, _) if !unreadable(pm) => {
                    self.problem(ProblemKind::OrphanIndexEntry, Cf::Cvc, &key, "CVC of no payment method");
                }
                (Some(card), Some(cvc)) if card.customer_id != cvc.customer_id => {
                    self.problem(ProblemKind::OrphanIndexEntry, Cf::Cvc, &key, "CVC of another customer than its card");
                }
                _ => {}
            }
        }

        let chain = engine.verify_chain(state)?;
        self.report.audit_events_checked += chain.events;
        if let (Some(at), Some(problem)) = (chain.first_bad, chain.problem) {
            let key = keys::audit_event(profile, at);
            self.problem(ProblemKind::AuditChain, Cf::Audit, &key, format!("position {at}: {problem}"));
        }
        Ok(())
    }
}

impl Vault {
    /// Reads the whole vault and reports every problem found (see [`VerifyReport`]).
    /// `progress` is called every few hundred records and after each profile.
    pub fn verify(&self, progress: &mut dyn FnMut(&VerifyProgress)) -> Result<VerifyReport> {
        let engine = self.engine()?;
        let profiles = engine.stored_profiles()?;
        let total = (profiles.readable.len() + profiles.damaged.len()) as u64;
        let mut report = VerifyReport::default();
        for id in &profiles.damaged {
            report.records_checked += 1;
            let profile_id = reported_profile_id(id)?;
            let mut detail = "profile record does not decode or names another profile; none of the profile's \
                              records can be opened"
                .to_owned();
            if profile_id.as_str() != id {
                detail.push_str(
                    "; it is stored under a key that is no profile id, reported here with `_` for the bytes outside \
                     the id alphabet (another profile may have that id)",
                );
            }
            report.problems.push(VerifyProblem {
                profile_id,
                kind: ProblemKind::UnreadableValue,
                location: location(Cf::Profiles, id.as_bytes()),
                detail,
            });
            report.profiles += 1;
        }
        let damaged = profiles.damaged.len();
        for (done, record) in profiles.readable.into_iter().enumerate() {
            let done = done + damaged;
            let op = Op::enter(engine.clone(), record.id.as_str())?;
            Checker {
                op: &op,
                report: &mut report,
                progress: &mut *progress,
                profiles_done: done as u64,
                profiles_total: total,
            }
            .run()?;
            report.profiles += 1;
            progress(&VerifyProgress {
                profiles_done: done as u64 + 1,
                profiles_total: total,
                records_checked: report.records_checked,
            });
        }
        Ok(report)
    }
}
