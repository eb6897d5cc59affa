//! API keys: per-profile credentials with scopes, shown once, stored as keyed digests.

use std::fmt;

use zeroize::Zeroizing;

use crate::model::ids::ApiKeyId;
use crate::model::scope::Scopes;
use crate::model::time::Timestamp;

/// A new API key.
#[derive(Clone, Debug)]
pub struct ApiKeyCreate {
    /// What the key is for (`checkout service`); 1–64 characters.
    pub name: String,
    pub scopes: Scopes,
    /// After this instant the key no longer authenticates.
    pub expires_at: Option<Timestamp>,
}

/// An API key as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// The full API key string (`key_….<secret>`), shown once at creation. Zeroized on drop;
/// `Debug` shows only the key id.
#[derive(Clone)]
pub struct ApiKeySecret(Zeroizing<String>);

impl ApiKeySecret {
    pub(crate) fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The key to hand to the caller that will authenticate with it. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.0.split_once('.').map_or("?", |(id, _)| id);
        write!(f, "ApiKeySecret({id}.***)")
    }
}

/// A created key: its description and, this once, its secret.
#[derive(Clone, Debug)]
pub struct ApiKeyCreated {
    pub key: ApiKey,
    pub secret: ApiKeySecret,
}
