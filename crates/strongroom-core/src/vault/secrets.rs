//! The two operations that hand out card data: `reveal` and `take_cvc`. Both need the
//! `reveal` right. Other paths open a value under a PAN key only to check it, never
//! handing it out: an update's names (against the number), a duplicate create (its
//! number), provisioning (the number sent to the provider), and cryptograms and token
//! deletion (the token number's binding, `vault/card_binding.rs`).

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::audit::AuditAction;
use crate::model::card::Cvc;
use crate::model::ids::PaymentMethodId;
use crate::model::payment_method::RevealedCard;
use crate::model::scope::Scope;
use crate::store::records::CvcRecord;
use crate::store::{Batch, Cf, keys};
use crate::vault::payment_methods::{lock_live, put_record};
use crate::vault::scope::ProfileScope;
use crate::vault::{card_binding, cvc_binding, views};

/// Turns opened bytes into a string without leaving an unzeroized copy behind.
fn into_secret_string(bytes: Zeroizing<Vec<u8>>, what: &'static str) -> Result<String> {
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(Error::integrity(what)),
    }
}

impl ProfileScope {
    /// The full card (number, expiry, holder) of a payment method; marks it used.
    pub fn reveal_payment_method(&self, id: &PaymentMethodId) -> Result<RevealedCard> {
        let op = self.begin(Scope::Reveal, AuditAction::CardRevealed)?;
        let state = &op.state;
        let (_guard, mut record) = lock_live(&op, id)?;
        let card_number = views::open_card_number(state, &record)?;
        let details = card_binding::open_details(state, &record)?;
        let network_token = crate::vault::network_tokens::reveal(state, &record)?;
        record.last_used_at = op.engine.now();
        let mut batch = Batch::default();
        put_record(&mut batch, state.id(), &record)?;
        op.commit(batch, vec![self.event(AuditAction::CardRevealed, id)])?;
        Ok(RevealedCard {
            payment_method_id: id.clone(),
            card_number,
            expiry_month: details.exp_month,
            expiry_year: details.exp_year,
            card_holder_name: details.holder_name,
            card_network: record.network,
            network_token,
        })
    }

    /// The stored CVC, once: it is deleted by this call (PCI DSS 3.3.1: no CVC after
    /// authorization). `None` when no CVC is held or it has expired.
    pub fn take_cvc(&self, id: &PaymentMethodId) -> Result<Option<Cvc>> {
        let op = self.begin(Scope::Reveal, AuditAction::CvcTaken)?;
        let (engine, state) = (&op.engine, &op.state);
        let (_guard, mut record) = lock_live(&op, id)?;
        let cvc_key = keys::record(state.id(), id.as_str());
        let Some(stored) = engine.get_record::<CvcRecord>(Cf::Cvc, &cvc_key)? else {
            return Ok(None);
        };
        // The lock held is the card's customer's; the purge and re-encryption take the
        // CVC record's. Records edited to differ would not exclude each other.
        if stored.customer_id != record.customer_id {
            return Err(Error::integrity("cvc owner"));
        }
        let now = engine.now();
        let cvc = if stored.expires_at > now {
            let plain = cvc_binding::open_cvc(state, id.as_str(), &stored, now)?;
            Some(Cvc::from_checked_digits(into_secret_string(plain, "cvc")?))
        } else {
            None
        };
        let mut batch = Batch::default();
        batch.delete(Cf::Cvc, cvc_key);
        record.cvc_expires_at = None;
        put_record(&mut batch, state.id(), &record)?;
        // An expired CVC is removed as the purge removes it, unaudited: nothing was handed out.
        let events = if cvc.is_some() { vec![self.event(AuditAction::CvcTaken, id)] } else { Vec::new() };
        op.commit(batch, events)?;
        Ok(cvc)
    }
}
