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

fn digest(key: &Key32, secret: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
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
            digest: digest(op.state.api_key_hmac_key()?, secret.as_slice()),
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
    /// A malformed, unknown, wrong, revoked or expired key, or a key of another profile, is
    /// `IR_01`; the failure is recorded in the profile's audit chain.
    pub fn authenticate(&self, api_key: &str, profile_id: &ProfileId) -> Result<ProfileScope> {
        let engine = self.engine()?;
        // An unknown profile says no more than a wrong key would.
        let Ok(op) = Op::enter(engine, profile_id.as_str()) else {
            return Err(Error::Unauthorized { reason: "invalid API key" });
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
        let Some(record) = record else { return Err(refuse(Some(&key_id), "invalid API key")) };
        let expected = digest(op.state.api_key_hmac_key()?, secret.as_slice());
        if !bool::from(expected.ct_eq(&record.digest)) {
            return Err(refuse(Some(&key_id), "invalid API key"));
        }
        if record.revoked_at.is_some() {
            return Err(refuse(Some(&key_id), "the API key was revoked"));
        }
        if record.expires_at.is_some_and(|t| t <= op.engine.now()) {
            return Err(refuse(Some(&key_id), "the API key has expired"));
        }
        let credential = KeyCredential::new(&record, &op, revocations);
        Ok(ProfileScope::for_key(self.clone(), profile_id.clone(), record.scopes, credential))
    }
}
