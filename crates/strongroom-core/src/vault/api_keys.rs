//! API keys: created per profile with scopes, shown once, stored only as an HMAC-SHA256
//! digest, checked in constant time, revocable, optionally expiring. `authenticate` turns
//! a key into a [`ProfileScope`] limited to its scopes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::crypto::Key32;
use crate::crypto::random::os_bytes;
use crate::error::{Error, ObjectKind, Result};
use crate::model::api_key::{ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeySecret};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::ids::{ApiKeyId, ProfileId};
use crate::model::scope::Scopes;
use crate::model::text;
use crate::model::time::Timestamp;
use crate::store::codec;
use crate::store::records::ApiKeyRecord;
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;
use crate::vault::audit::PendingEvent;
use crate::vault::scope::{KeyCredential, Op, ProfileScope};

/// Bytes of randomness in a key's secret.
const SECRET_BYTES: usize = 32;

/// 10000-01-01T00:00:00Z: an API key expires before it.
const LATEST_EXPIRY: Timestamp = Timestamp::from_millis(253_402_300_800_000);

/// What a revoked key's record holds instead of its digest: derived from it, so that the
/// key's holder is still told it was revoked (and nobody else), while no secret's digest
/// is it, so clearing `revoked_at` in the files does not bring the key back.
fn revoked_digest(key: &Key32, digest: &[u8; 32]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"strongroom api key revoked\0");
    mac.update(digest);
    mac.finalize().into_bytes().into()
}

/// The digest of keys made before it was bound (an HMAC of the secret alone). Still
/// accepted, and replaced by [`bound_digest`] at the key's first authentication.
fn unbound_digest(key: &Key32, secret: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(secret);
    mac.finalize().into_bytes().into()
}

/// The stored digest: an HMAC of the secret bound to the profile, the key's id, its scopes
/// and its expiry, which the record holds in clear under a checksum anyone can compute
/// again. Edited in the files (a read key given `reveal`, an expiry moved or removed, the
/// record copied under another id), the key no longer authenticates. Each part is
/// length-prefixed; the layout is pinned by a golden value (tests below).
fn bound_digest(
    key: &Key32,
    profile: &str,
    key_id: &str,
    scopes: Scopes,
    expires_at: Option<Timestamp>,
    secret: &[u8],
) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"strongroom api key v2\0");
    for part in [profile.as_bytes(), key_id.as_bytes()] {
        mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        mac.update(part);
    }
    mac.update(&[u8::from(scopes.read) | u8::from(scopes.write) << 1 | u8::from(scopes.reveal) << 2]);
    match expires_at {
        None => mac.update(&[0]),
        Some(t) => {
            mac.update(&[1]);
            mac.update(&t.as_millis().to_be_bytes());
        }
    }
    mac.update(secret);
    mac.finalize().into_bytes().into()
}

fn view(record: ApiKeyRecord) -> ApiKey {
    ApiKey {
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        created_at: record.created_at,
        expires_at: record.expires_at,
        revoked_at: record.revoked_at,
    }
}

/// Splits `key_….<64 hex>` into the key id and the secret's bytes.
fn parse(api_key: &str) -> Option<(ApiKeyId, [u8; SECRET_BYTES])> {
    let (id, secret) = api_key.split_once('.')?;
    let id = ApiKeyId::parse(id).ok()?;
    let secret = crate::crypto::hex::decode::<SECRET_BYTES>(secret)?;
    Some((id, secret))
}

impl Vault {
    /// Creates an API key for a profile. The returned secret is shown this once; the vault
    /// keeps only its keyed digest.
    pub fn create_api_key(&self, profile_id: &ProfileId, request: ApiKeyCreate) -> Result<ApiKeyCreated> {
        let op = Op::enter(self.engine()?, profile_id.as_str())?;
        text::check("name", &request.name, 64)?;
        if request.scopes.is_empty() {
            return Err(Error::invalid("scopes", "must grant at least one of read, write, reveal"));
        }
        let now = op.engine.now();
        if request.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::invalid("expires_at", "must be in the future"));
        }
        // Every host's date types reach the year 9999 (Python's `datetime` no further).
        if request.expires_at.is_some_and(|t| t >= LATEST_EXPIRY) {
            return Err(Error::invalid("expires_at", "must be before the year 10000"));
        }
        let id = ApiKeyId::generate(op.engine.cell.as_ref())?;
        let secret = zeroize::Zeroizing::new(os_bytes::<SECRET_BYTES>()?);
        let record = ApiKeyRecord {
            id: id.clone(),
            name: request.name,
            scopes: request.scopes,
            created_at: now,
            expires_at: request.expires_at,
            revoked_at: None,
            digest: bound_digest(
                op.state.api_key_hmac_key()?,
                op.profile(),
                id.as_str(),
                request.scopes,
                request.expires_at,
                secret.as_slice(),
            ),
        };
        let mut full = String::with_capacity(id.as_str().len() + 1 + SECRET_BYTES * 2);
        full.push_str(id.as_str());
        full.push('.');
        crate::crypto::hex::encode_into(&mut full, secret.as_slice());
        let mut batch = Batch::default();
        batch.put(Cf::ApiKeys, keys::record(op.profile(), id.as_str()), codec::encode(&record)?);
        let event = PendingEvent::success(AuditActor::Internal, AuditAction::ApiKeyCreated, Some(id.to_string()));
        op.commit(batch, vec![event])?;
        Ok(ApiKeyCreated { key: view(record), secret: ApiKeySecret::new(full) })
    }

    /// The profile's API keys (never their secrets), oldest first.
    pub fn list_api_keys(&self, profile_id: &ProfileId) -> Result<Vec<ApiKey>> {
        let op = Op::enter(self.engine()?, profile_id.as_str())?;
        let range = KeyRange::prefix(keys::profile_prefix(op.profile()));
        op.engine
            .store
            .scan(Cf::ApiKeys, &range, usize::MAX)?
            .into_iter()
            .map(|(_, value)| Ok(view(codec::decode(&value)?)))
            .collect()
    }

    /// Revokes a key: it no longer authenticates, and scopes already made from it are
    /// refused (`IR_01`) from their next operation. Revoking again changes nothing.
    pub fn revoke_api_key(&self, profile_id: &ProfileId, key_id: &ApiKeyId) -> Result<ApiKey> {
        let op = Op::enter(self.engine()?, profile_id.as_str())?;
        let key = keys::record(op.profile(), key_id.as_str());
        let _guard = op.engine.locks.lock(&[op.profile().as_bytes(), b"api_key", key_id.as_str().as_bytes()]);
        let mut record: ApiKeyRecord = op
            .engine
            .get_record(Cf::ApiKeys, &key)?
            .ok_or_else(|| Error::not_found(ObjectKind::ApiKey, "api_key_id"))?;
        if record.revoked_at.is_none() {
            record.revoked_at = Some(op.engine.now());
            record.digest = revoked_digest(op.state.api_key_hmac_key()?, &record.digest);
            let mut batch = Batch::default();
            batch.put(Cf::ApiKeys, key, codec::encode(&record)?);
            let event =
                PendingEvent::success(AuditActor::Internal, AuditAction::ApiKeyRevoked, Some(key_id.to_string()));
            op.commit(batch, vec![event])?;
            // Scopes already made from the key see this and re-read it (`KeyCredential`).
            op.runtime.revocations.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        Ok(view(record))
    }

    /// The profile as an API key may use it: limited to the key's scopes, and recorded in
    /// the audit chain as that key.
    ///
    /// A malformed, unknown, wrong, revoked or expired key, a key of another profile, or an
    /// unknown profile, is `IR_01`; the failure is recorded in the profile's audit chain
    /// (when the profile exists). A damaged profile record is `HE_00` `integrity`.
    pub fn authenticate(&self, api_key: &str, profile_id: &ProfileId) -> Result<ProfileScope> {
        let engine = self.engine()?;
        // An unknown profile says no more than a wrong key would; a damaged profile record
        // or a storage failure is what it is (`HE_00`), not a caller's wrong key.
        let op = match Op::enter(engine, profile_id.as_str()) {
            Ok(op) => op,
            Err(Error::NotFound { object: ObjectKind::Profile, .. }) => {
                return Err(Error::Unauthorized { reason: "invalid API key" });
            }
            Err(e) => return Err(e),
        };
        let refuse = |key_id: Option<&ApiKeyId>, reason: &'static str| -> Error {
            let error = Error::Unauthorized { reason };
            let event = PendingEvent::failure(
                AuditActor::Internal,
                AuditAction::AuthenticationFailed,
                key_id.map(ToString::to_string),
                &error,
            );
            match op.commit(Batch::default(), vec![event]) {
                Ok(()) => error,
                Err(audit_failure) => audit_failure,
            }
        };
        let Some((key_id, secret)) = parse(api_key) else { return Err(refuse(None, "invalid API key")) };
        let secret = zeroize::Zeroizing::new(secret);
        let revocations = op.runtime.revocations.load(std::sync::atomic::Ordering::Acquire);
        let record: Option<ApiKeyRecord> =
            op.engine.get_record(Cf::ApiKeys, &keys::record(op.profile(), key_id.as_str()))?;
        let Some(mut record) = record else { return Err(refuse(Some(&key_id), "invalid API key")) };
        let hmac_key = op.state.api_key_hmac_key()?;
        let revoked = record.revoked_at.is_some();
        // The secret is checked first: only its holder learns that the key was revoked.
        let stored_as = |digest: [u8; 32]| if revoked { revoked_digest(hmac_key, &digest) } else { digest };
        let bound =
            bound_digest(hmac_key, op.profile(), key_id.as_str(), record.scopes, record.expires_at, secret.as_slice());
        let unbound = !bool::from(stored_as(bound).ct_eq(&record.digest));
        if unbound && !bool::from(stored_as(unbound_digest(hmac_key, secret.as_slice())).ct_eq(&record.digest)) {
            return Err(refuse(Some(&key_id), "invalid API key"));
        }
        if revoked {
            return Err(refuse(Some(&key_id), "the API key was revoked"));
        }
        if record.expires_at.is_some_and(|t| t <= op.engine.now()) {
            return Err(refuse(Some(&key_id), "the API key has expired"));
        }
        if unbound {
            self.bind_digest(&op, &key_id, &record, bound)?;
            record.digest = bound;
        }
        let credential = KeyCredential::new(&record, &op, revocations);
        Ok(ProfileScope::for_key(self.clone(), profile_id.clone(), record.scopes, credential))
    }

    /// What builds before bound digests stored for `api_key` (`internals`, tests only).
    #[cfg(feature = "internals")]
    pub(crate) fn store_unbound_digest(&self, profile_id: &ProfileId, api_key: &str) -> Result<()> {
        let op = Op::enter(self.engine()?, profile_id.as_str())?;
        let (key_id, secret) = parse(api_key).ok_or_else(|| Error::invalid("api_key", "malformed"))?;
        let key = keys::record(op.profile(), key_id.as_str());
        let record: ApiKeyRecord = op
            .engine
            .get_record(Cf::ApiKeys, &key)?
            .ok_or_else(|| Error::not_found(ObjectKind::ApiKey, "api_key_id"))?;
        let digest = unbound_digest(op.state.api_key_hmac_key()?, &secret);
        let mut batch = Batch::default();
        batch.put(Cf::ApiKeys, key, codec::encode(&ApiKeyRecord { digest, ..record })?);
        op.commit(batch, Vec::new())
    }

    /// Replaces the unbound digest of a key made before digests were bound with `bound`,
    /// unless its record changed since `read` (revoked meanwhile: it stays revoked).
    fn bind_digest(&self, op: &Op, key_id: &ApiKeyId, read: &ApiKeyRecord, bound: [u8; 32]) -> Result<()> {
        let key = keys::record(op.profile(), key_id.as_str());
        let _guard = op.engine.locks.lock(&[op.profile().as_bytes(), b"api_key", key_id.as_str().as_bytes()]);
        if op.engine.get_record::<ApiKeyRecord>(Cf::ApiKeys, &key)?.as_ref() != Some(read) {
            return Ok(());
        }
        let mut batch = Batch::default();
        batch.put(Cf::ApiKeys, key, codec::encode(&ApiKeyRecord { digest: bound, ..read.clone() })?);
        op.commit(batch, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(scopes: Scopes, expires_at: Option<Timestamp>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: ApiKeyId::parse("key_0190000000007000800000000000000c").unwrap(),
            name: "checkout".into(),
            scopes,
            created_at: Timestamp::from_millis(1_795_478_400_000),
            expires_at,
            revoked_at: None,
            digest: [0; 32],
        }
    }

    /// The stored digests' layouts, pinned (each value checked with Python's `hmac`).
    #[test]
    fn digest_golden_values() {
        let key = Key32::from_bytes([0x42; 32]);
        let rw = Scopes { read: true, write: true, reveal: false };
        let r = record(rw, Some(Timestamp::from_millis(1_795_478_441_000)));
        let bound = bound_digest(&key, "pro_test", r.id.as_str(), r.scopes, r.expires_at, &[0x5a; 32]);
        assert_eq!(
            crate::crypto::hex::encode(&bound),
            "290546bd5c286d3bcede4e27b7e036b2b9c72380f92e139f9634c3e571a00c47"
        );
        let revoked = revoked_digest(&key, &bound);
        assert_eq!(
            crate::crypto::hex::encode(&revoked),
            "9b7cbdff5a3792fbdec4ec7dc04c8240b890d04776a82dfa0fba8a0415961f32"
        );
        let unbound = unbound_digest(&key, &[0x5a; 32]);
        assert_eq!(
            crate::crypto::hex::encode(&unbound),
            "d8cf2aadbc0e9e55c9a75e6719d0c5e405ee2b794f4f74ed111d9e1dec0ab61c"
        );
    }

    #[test]
    fn every_bound_field_changes_the_digest() {
        let key = Key32::from_bytes([0x42; 32]);
        let read = Scopes { read: true, write: false, reveal: false };
        let expiry = Some(Timestamp::from_millis(1_795_478_441_000));
        let base = record(read, expiry);
        let of = |profile: &str, id: &str, r: &ApiKeyRecord| {
            bound_digest(&key, profile, id, r.scopes, r.expires_at, &[0x5a; 32])
        };
        let id = base.id.as_str();
        let reference = of("pro_test", id, &base);
        let variants = [
            of("pro_tes", id, &base),
            of("pro_test", "key_0190000000007000800000000000000d", &base),
            of("pro_test", id, &record(Scopes::ALL, expiry)),
            of("pro_test", id, &record(read, None)),
            of("pro_test", id, &record(read, Some(Timestamp::from_millis(1_795_478_441_001)))),
            bound_digest(&key, "pro_test", id, base.scopes, base.expires_at, &[0x5b; 32]),
        ];
        for variant in variants {
            assert_ne!(variant, reference);
        }
        // What does not authenticate a key (its name, creation time) is left out.
        let renamed = ApiKeyRecord { name: "other".into(), created_at: Timestamp::from_millis(0), ..base.clone() };
        assert_eq!(of("pro_test", id, &renamed), reference);
    }
}
