//! Network tokens of payment methods: provisioning (on create and later), masked views,
//! reveal, cryptograms, and deletion at the provider. Provider calls are made without
//! holding a customer lock; their failures are recorded, never fatal to the card.

use std::sync::Arc;

use crate::card::{self, Expiry};
use crate::error::{Error, ObjectKind, Result};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::card::{CardNetwork, CardNumber};
use crate::model::ids::PaymentMethodId;
use crate::model::network_token::{
    CryptogramRequest, NetworkCryptogram, NetworkToken, NetworkTokenInfo, NetworkTokenView, ProviderError,
    ProvisionRequest, RevealedNetworkToken, clean_reason,
};
use crate::model::payment_method::PaymentMethod;
use crate::model::scope::Scope;
use crate::network_token::NetworkTokenProvider;
use crate::store::records::{PaymentMethodRecord, StoredNetworkToken};
use crate::store::{Batch, Cf, KeyRange, codec, keys};
use crate::vault::audit::PendingEvent;
use crate::vault::card_binding::{self, TokenFields};
use crate::vault::engine::Engine;
use crate::vault::payment_methods::{lock_live, put_record};
use crate::vault::profiles::ProfileState;
use crate::vault::scope::{Op, ProfileScope};
use crate::vault::views;

/// A provider's error as the vault reports it, its reason cleaned again: the fields of a
/// `ProviderError` are public, so it may not have come through `ProviderError::new`.
fn provider_error(e: ProviderError) -> Error {
    Error::NetworkTokenProvider { kind: e.kind, reason: clean_reason(&e.reason) }
}

/// The configured provider, or `IR_05` on `network_tokenization`.
pub(crate) fn provider(op: &Op) -> Result<Arc<dyn NetworkTokenProvider>> {
    op.engine
        .network_tokens
        .clone()
        .ok_or_else(|| Error::invalid("network_tokenization", "no network token provider is configured"))
}

/// The masked view of a stored token (no key is opened).
pub(crate) fn info(record: &PaymentMethodRecord) -> Option<NetworkTokenInfo> {
    record.network_token.as_ref().map(|token| match token {
        StoredNetworkToken::Active { last4, expiry_month, expiry_year, token_ref, status, provisioned_at, .. } => {
            NetworkTokenInfo::Active(NetworkTokenView {
                last4_digits: last4.clone(),
                expiry_month: *expiry_month,
                expiry_year: *expiry_year,
                card_network: record.network,
                status: *status,
                token_ref: token_ref.clone(),
                provisioned_at: *provisioned_at,
            })
        }
        StoredNetworkToken::Missing { kind, reason, at } => {
            NetworkTokenInfo::Missing { kind: *kind, reason: reason.clone(), at: *at }
        }
    })
}

/// A provider's token reference as the vault accepts it: 1 to 128 characters of
/// letters, digits and `_-.:`.
pub(crate) fn valid_ref(token_ref: &str) -> bool {
    (1..=128).contains(&token_ref.len())
        && token_ref.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

fn active_ref(record: &PaymentMethodRecord) -> Option<&str> {
    match &record.network_token {
        Some(StoredNetworkToken::Active { token_ref, .. }) => Some(token_ref),
        _ => None,
    }
}

/// Opens the token number for `reveal` (PAN key).
pub(crate) fn reveal(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Option<RevealedNetworkToken>> {
    let Some(StoredNetworkToken::Active { expiry_month, expiry_year, token_ref, .. }) = &record.network_token else {
        return Ok(None);
    };
    let Some(plain) = card_binding::open_token_number(state, record)? else { return Ok(None) };
    let digits = std::str::from_utf8(&plain).map_err(|_| Error::integrity("network token"))?;
    Ok(Some(RevealedNetworkToken {
        token_number: CardNumber::from_checked_digits(digits.to_owned()),
        expiry_month: *expiry_month,
        expiry_year: *expiry_year,
        token_ref: token_ref.clone(),
    }))
}

/// The card data a provider needs, gathered before its call.
pub(crate) struct TokenRequest {
    pub number: CardNumber,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub network: Option<CardNetwork>,
}

impl ProfileScope {
    /// Asks the provider for a token for the payment method (outside every lock), then
    /// stores it, or why it is missing. Returns the payment method as it now is. A token
    /// the vault does not keep (the payment method went away or was refused meanwhile, the
    /// token was malformed, the write failed) is deleted at the provider again: none is
    /// left live there with nothing pointing to it.
    pub(crate) fn attach_network_token(&self, id: &PaymentMethodId, card: TokenRequest) -> Result<PaymentMethod> {
        let provider = provider(&self.begin(Scope::Write, AuditAction::NetworkTokenProvisioned)?)?;
        let profile = self.profile_id().as_str();
        let outcome = provider.provision(&ProvisionRequest {
            profile_id: profile,
            payment_method_id: id.as_str(),
            card_number: &card.number,
            expiry_month: card.expiry_month,
            expiry_year: card.expiry_year,
            card_network: card.network,
        });
        // A reference is kept in clear and shown in masked views: it may hold neither number.
        let ref_holds_a_number = outcome.as_ref().is_ok_and(|token| {
            card::holds_number(&token.token_ref, &card.number)
                || card::holds_number(&token.token_ref, &token.token_number)
        });
        drop(card);
        let mut kept = false;
        let result = self.store_token_outcome(id, &outcome, ref_holds_a_number, &mut kept);
        if let Ok(token) = &outcome
            && !kept
        {
            delete_unheld(provider.as_ref(), std::slice::from_ref(&token.token_ref));
        }
        result
    }

    /// Stores the provider's answer on the payment method; `kept` says whether the token
    /// it issued (if any) is now held by it.
    fn store_token_outcome(
        &self,
        id: &PaymentMethodId,
        outcome: &std::result::Result<NetworkToken, ProviderError>,
        ref_holds_a_number: bool,
        kept: &mut bool,
    ) -> Result<PaymentMethod> {
        let op = self.begin(Scope::Write, AuditAction::NetworkTokenProvisioned)?;
        let (state, now) = (&op.state, op.engine.now());
        let (_guard, mut record) = lock_live(&op, id)?;
        let details = card_binding::open_details(state, &record)?;
        if let Some(existing) = active_ref(&record) {
            // Someone else's call stored one meanwhile: keep it (ours, if the provider
            // issued the same reference again, is that one).
            *kept = outcome.as_ref().is_ok_and(|token| token.token_ref == existing);
            return views::payment_method(state, record, details, now);
        }
        let mut stored = false;
        let event = match outcome {
            Ok(token) => {
                let digits = token.token_number.expose();
                let well_formed = (12..=19).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && valid_ref(&token.token_ref)
                    && Expiry { month: token.expiry_month, year: token.expiry_year }.is_valid_at(now)
                    && !ref_holds_a_number;
                if !well_formed {
                    let e = Error::NetworkTokenProvider {
                        kind: crate::model::network_token::ProviderErrorKind::Failed,
                        reason: "the provider returned a malformed token".into(),
                    };
                    record.network_token = Some(StoredNetworkToken::Missing {
                        kind: crate::model::network_token::ProviderErrorKind::Failed,
                        reason: "the provider returned a malformed token".into(),
                        at: now,
                    });
                    PendingEvent::failure(
                        self.actor().clone(),
                        AuditAction::NetworkTokenProvisioned,
                        Some(id.to_string()),
                        &e,
                    )
                } else {
                    let fields = TokenFields {
                        token_ref: &token.token_ref,
                        last4: token.token_number.last4(),
                        expiry_month: token.expiry_month,
                        expiry_year: token.expiry_year,
                    };
                    record.network_token = Some(StoredNetworkToken::Active {
                        sealed_number: card_binding::seal_token_number(state, id.as_str(), &fields, digits.as_bytes())?,
                        last4: token.token_number.last4().to_owned(),
                        expiry_month: token.expiry_month,
                        expiry_year: token.expiry_year,
                        token_ref: token.token_ref.clone(),
                        status: token.status,
                        provisioned_at: now,
                    });
                    stored = true;
                    self.event(AuditAction::NetworkTokenProvisioned, id)
                }
            }
            Err(e) => {
                let (kind, reason) = (e.kind, clean_reason(&e.reason));
                record.network_token = Some(StoredNetworkToken::Missing { kind, reason: reason.clone(), at: now });
                let error = Error::NetworkTokenProvider { kind, reason };
                PendingEvent::failure(
                    self.actor().clone(),
                    AuditAction::NetworkTokenProvisioned,
                    Some(id.to_string()),
                    &error,
                )
            }
        };
        record.modified_at = now;
        let mut batch = Batch::default();
        put_record(&mut batch, state.id(), &record)?;
        op.commit(batch, vec![event])?;
        *kept = stored;
        views::payment_method(state, record, details, now)
    }

    /// Provisions a network token for a payment method that has none (or whose earlier
    /// attempt failed). A payment method that already has one is returned unchanged.
    /// A provider failure is recorded on the payment method and returned as `NT_01`.
    pub fn provision_network_token(&self, id: &PaymentMethodId) -> Result<PaymentMethod> {
        let card = {
            let op = self.begin(Scope::Write, AuditAction::NetworkTokenProvisioned)?;
            provider(&op)?;
            let state = &op.state;
            let (_guard, record) = lock_live(&op, id)?;
            let details = card_binding::open_details(state, &record)?;
            if active_ref(&record).is_some() {
                return views::payment_method(state, record, details, op.engine.now());
            }
            TokenRequest {
                number: views::open_card_number(state, &record)?,
                expiry_month: details.exp_month,
                expiry_year: details.exp_year,
                network: record.network,
            }
        };
        let pm = self.attach_network_token(id, card)?;
        match &pm.network_token {
            Some(NetworkTokenInfo::Missing { kind, reason, .. }) => {
                Err(Error::NetworkTokenProvider { kind: *kind, reason: reason.clone() })
            }
            _ => Ok(pm),
        }
    }

    /// A one-time cryptogram from the provider for a payment with the card's network
    /// token; needs the `reveal` right and is audited.
    pub fn network_cryptogram(&self, id: &PaymentMethodId, request: &CryptogramRequest) -> Result<NetworkCryptogram> {
        let op = self.begin(Scope::Reveal, AuditAction::NetworkCryptogramIssued)?;
        if request.amount_minor == 0 {
            return Err(Error::invalid("amount_minor", "must be greater than zero"));
        }
        if request.currency.len() != 3 || !request.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::invalid("currency", "must be an ISO 4217 code of three upper-case letters"));
        }
        let provider = provider(&op)?;
        let token_ref = {
            let (_guard, record) = lock_live(&op, id)?;
            // Both open only with the record's clear fields as they were sealed: the card's
            // storage type and expiry, and the token's reference.
            card_binding::open_details(&op.state, &record)?;
            card_binding::open_token_number(&op.state, &record)?;
            active_ref(&record)
                .map(str::to_owned)
                .ok_or(Error::NotFound { object: ObjectKind::NetworkToken, field: "network_token".into() })?
        };
        // The provider is called outside the profile's gate too (a slow one holds up no
        // rotation or destroy); the outcome is recorded by entering the profile again, and
        // a cryptogram whose issue cannot be recorded is not handed out.
        let engine = op.engine.clone();
        drop(op);
        let (event, outcome) = match provider.cryptogram(&token_ref, request) {
            Ok(cryptogram) => (self.event(AuditAction::NetworkCryptogramIssued, id), Ok(cryptogram)),
            Err(e) => {
                let error = provider_error(e);
                let event = PendingEvent::failure(
                    self.actor().clone(),
                    AuditAction::NetworkCryptogramIssued,
                    Some(id.to_string()),
                    &error,
                );
                (event, Err(error))
            }
        };
        Op::enter(engine, self.profile_id().as_str())?.commit(Batch::default(), vec![event])?;
        outcome
    }

    /// Deletes tokens at the provider after their payment methods were deleted by this
    /// scope's caller (`delete_at_provider`).
    pub(crate) fn delete_network_tokens(&self, op: &Op, deleted: &[PaymentMethodRecord]) {
        delete_at_provider(op, self.actor(), deleted);
    }
}

/// Deletes tokens at the provider after their payment methods were removed (deleted, or
/// expired by `actor`): best effort, each outcome recorded in the audit chain, never an
/// error for the caller. A reference is sent only when the token's number opens with it
/// (it is bound to it): an edited reference, which could name another card's token, is
/// recorded as a failed deletion instead. The check is made now, under the operation's
/// gate (it needs the profile's keys); the provider is called when the operation ends.
pub(crate) fn delete_at_provider(op: &Op, actor: &AuditActor, removed: &[PaymentMethodRecord]) {
    if op.engine.network_tokens.is_none() {
        return;
    }
    let mut queued = op.token_deletes.0.lock();
    for record in removed {
        let Some(token_ref) = active_ref(record) else { continue };
        let checked = card_binding::open_token_number(&op.state, record).map(|_| token_ref.to_owned());
        queued.push(TokenDelete { actor: actor.clone(), object: record.id.to_string(), token_ref: checked });
    }
}

/// A removed payment method's token to delete at the provider: its reference, or why it
/// cannot be trusted.
struct TokenDelete {
    actor: AuditActor,
    object: String,
    token_ref: Result<String>,
}

/// The tokens an operation removed, deleted at the provider when it ends (`Op`'s drop),
/// once its gate is released.
#[derive(Default)]
pub(crate) struct TokenDeletes(parking_lot::Mutex<Vec<TokenDelete>>);

impl TokenDeletes {
    pub(crate) fn is_empty(&mut self) -> bool {
        self.0.get_mut().is_empty()
    }

    /// Calls the provider for each (`Op`'s drop calls it only when some are queued), then records the outcomes in the profile's audit chain
    /// (briefly entering the profile again; if it is gone meanwhile, they are logged lost).
    pub(crate) fn send(&mut self, engine: &Arc<Engine>, profile: &str) {
        let deletes = std::mem::take(self.0.get_mut());
        // Only queued when a provider is configured (`delete_at_provider`).
        let Some(provider) = engine.network_tokens.clone() else { return };
        if std::thread::panicking() {
            tracing::warn!(
                tokens = deletes.len(),
                "an operation failed: its removed cards' tokens stay at the provider"
            );
            return;
        }
        let events: Vec<PendingEvent> = deletes
            .into_iter()
            .map(|TokenDelete { actor, object, token_ref }| {
                let outcome = token_ref.and_then(|token_ref| provider.delete(&token_ref).map_err(provider_error));
                match outcome {
                    Ok(()) => PendingEvent::success(actor, AuditAction::NetworkTokenDeleted, Some(object)),
                    Err(e) => PendingEvent::failure(actor, AuditAction::NetworkTokenDeleted, Some(object), &e),
                }
            })
            .collect();
        let recorded = Op::enter(engine.clone(), profile).and_then(|op| op.commit(Batch::default(), events));
        if let Err(e) = recorded {
            // The removal itself is committed; only the record of the provider's answer is
            // lost, which must not turn a done delete into an error.
            tracing::warn!(code = e.code(), "could not record the outcome of deleting network tokens");
        }
    }
}

/// The active token references of every payment method of a profile about to be destroyed,
/// so that they can be deleted at the provider afterwards (`delete_refs_at_provider`). Only
/// references the token's number opens with count (see `delete_at_provider`).
pub(crate) fn active_refs_of_profile(engine: &Engine, state: &ProfileState) -> Result<Vec<String>> {
    if engine.network_tokens.is_none() {
        return Ok(Vec::new());
    }
    let mut refs = Vec::new();
    let mut unreadable = 0u64;
    engine.scan_all(Cf::PaymentMethods, &KeyRange::prefix(keys::profile_prefix(state.id())), |_, value| {
        // A damaged record must not keep its profile from being destroyed.
        match codec::decode::<PaymentMethodRecord>(value) {
            Ok(record) => match active_ref(&record) {
                Some(token_ref) if card_binding::open_token_number(state, &record).is_ok() => {
                    refs.push(token_ref.to_owned());
                }
                Some(_) => unreadable += 1,
                None => {}
            },
            Err(_) => unreadable += 1,
        }
        Ok(())
    })?;
    if unreadable > 0 {
        tracing::warn!(unreadable, "some payment methods of a destroyed profile could not be read for their tokens");
    }
    Ok(refs)
}

/// Deletes tokens of a destroyed profile at the provider (`delete_unheld`).
pub(crate) fn delete_refs_at_provider(engine: &Engine, refs: &[String]) {
    if let Some(provider) = &engine.network_tokens {
        delete_unheld(provider.as_ref(), refs);
    }
}

/// Deletes at the provider tokens no payment method holds (any more): best effort, with no
/// audit chain to record them in (a destroyed profile's is gone, a token never stored has
/// no event), so a failure is only counted in the log, without the references.
fn delete_unheld(provider: &dyn NetworkTokenProvider, refs: &[String]) {
    let failed = refs.iter().filter(|token_ref| provider.delete(token_ref).is_err()).count();
    if failed > 0 {
        tracing::warn!(failed, "could not delete network tokens the vault no longer holds at the provider");
    }
}
