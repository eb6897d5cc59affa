//! A network token service in process, for demos and tests: token numbers deterministic
//! per card and profile, references per payment method, Luhn-valid token numbers from a test range of the card's own network, a
//! plausible expiry, and faults on demand (fail the next calls, fail a share of calls,
//! add latency).

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use parking_lot::Mutex;
use sha2::Sha256;

use crate::card::luhn;
use crate::model::card::{CardNetwork, CardNumber};
use crate::model::network_token::{
    CryptogramRequest, NetworkCryptogram, NetworkToken, NetworkTokenStatus, ProviderError, ProviderErrorKind,
    ProvisionRequest,
};
use crate::model::time::Timestamp;
use crate::network_token::NetworkTokenProvider;

/// Faults to inject.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimulatorFaults {
    /// The next this many calls fail with `Unavailable`.
    pub fail_next: u32,
    /// This share of calls (0–100 %) fails with `Unavailable`, chosen deterministically.
    pub fail_percent: u8,
    /// Every call sleeps this long first.
    pub latency: Duration,
}

#[derive(Debug, Default)]
struct State {
    faults: SimulatorFaults,
    calls: u64,
    tokens: HashMap<String, (NetworkTokenStatus, Option<CardNetwork>)>,
    deleted: Vec<String>,
    cryptograms: u64,
}

/// The simulator. Token numbers come from these test ranges (the network's own leading
/// digits, then a range no issuer uses for cards in tests): Visa `4895 37`, Mastercard
/// `5204 74`, American Express `3742 45`, Discover `6011 00`, JCB `3569 99`, UnionPay
/// `6200 00`; other networks are declined like an ineligible card.
#[derive(Debug)]
pub struct SimulatedNetworkTokenProvider {
    seed: [u8; 32],
    state: Mutex<State>,
}

fn range(network: Option<CardNetwork>) -> Option<(&'static str, usize)> {
    Some(match network? {
        CardNetwork::Visa => ("489537", 16),
        CardNetwork::Mastercard => ("520474", 16),
        CardNetwork::AmericanExpress => ("374245", 15),
        CardNetwork::Discover => ("601100", 16),
        CardNetwork::Jcb => ("356999", 16),
        CardNetwork::UnionPay => ("620000", 16),
        _ => return None,
    })
}

impl SimulatedNetworkTokenProvider {
    pub fn new(seed: [u8; 32]) -> Self {
        Self { seed, state: Mutex::new(State::default()) }
    }

    pub fn set_faults(&self, faults: SimulatorFaults) {
        self.state.lock().faults = faults;
    }

    pub fn faults(&self) -> SimulatorFaults {
        self.state.lock().faults
    }

    /// Token references deleted so far, in order.
    pub fn deleted(&self) -> Vec<String> {
        self.state.lock().deleted.clone()
    }

    /// How many calls the simulator has answered (failed ones included).
    pub fn calls(&self) -> u64 {
        self.state.lock().calls
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.seed).expect("HMAC takes any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Counts the call, waits the latency, and decides whether it fails.
    fn enter(&self) -> Result<(), ProviderError> {
        let (latency, fail) = {
            let mut state = self.state.lock();
            state.calls += 1;
            let faults = &mut state.faults;
            let fail = if faults.fail_next > 0 {
                faults.fail_next -= 1;
                true
            } else {
                let roll = self.mac(&[b"roll", &state.calls.to_be_bytes()])[0];
                u32::from(roll) * 100 < u32::from(state.faults.fail_percent) * 256
            };
            (state.faults.latency, fail)
        };
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        if fail {
            Err(ProviderError::new(ProviderErrorKind::Unavailable, "token service unavailable (simulated)"))
        } else {
            Ok(())
        }
    }
}

impl NetworkTokenProvider for SimulatedNetworkTokenProvider {
    fn provision(&self, request: &ProvisionRequest<'_>) -> Result<NetworkToken, ProviderError> {
        self.enter()?;
        let Some((prefix, len)) = range(request.card_network) else {
            return Err(ProviderError::new(ProviderErrorKind::Declined, "network does not offer tokens (simulated)"));
        };
        let digest = self.mac(&[b"token", request.profile_id.as_bytes(), request.card_number.expose().as_bytes()]);
        let mut body = String::from(prefix);
        for byte in digest.iter().take(len - 1 - prefix.len()) {
            body.push(char::from(b'0' + byte % 10));
        }
        let check = luhn::check_digit(&body);
        body.push(char::from(b'0' + check));
        // The number follows the card (as a network's token for one requestor); the
        // reference is the payment method's own (the provider contract).
        let reference = self.mac(&[b"ref", request.profile_id.as_bytes(), request.payment_method_id.as_bytes()]);
        let token_ref = format!("ntr_{}", crate::crypto::hex::encode(&reference[..16]));
        // Three years from the card's own expiry year at most, never past it by more.
        let (year, month) = Timestamp::from_system_time(std::time::SystemTime::now()).year_month();
        let expiry_year = u16::try_from(year + 3).unwrap_or(u16::MAX).min(request.expiry_year.saturating_add(3));
        let status = NetworkTokenStatus::Active;
        self.state.lock().tokens.insert(token_ref.clone(), (status, request.card_network));
        Ok(NetworkToken {
            token_number: CardNumber::from_checked_digits(body),
            expiry_month: u8::try_from(month).unwrap_or(12),
            expiry_year,
            token_ref,
            status,
        })
    }

    fn status(&self, token_ref: &str) -> Result<NetworkTokenStatus, ProviderError> {
        self.enter()?;
        self.state
            .lock()
            .tokens
            .get(token_ref)
            .map(|(status, _)| *status)
            .ok_or_else(|| ProviderError::new(ProviderErrorKind::NotFound, "unknown token reference"))
    }

    fn delete(&self, token_ref: &str) -> Result<(), ProviderError> {
        self.enter()?;
        let mut state = self.state.lock();
        match state.tokens.get_mut(token_ref) {
            Some((status, _)) => {
                *status = NetworkTokenStatus::Deleted;
                state.deleted.push(token_ref.to_owned());
                Ok(())
            }
            None => Err(ProviderError::new(ProviderErrorKind::NotFound, "unknown token reference")),
        }
    }

    fn cryptogram(&self, token_ref: &str, request: &CryptogramRequest) -> Result<NetworkCryptogram, ProviderError> {
        self.enter()?;
        let (counter, network) = {
            let mut state = self.state.lock();
            let network = match state.tokens.get(token_ref) {
                Some((NetworkTokenStatus::Active, network)) => *network,
                Some(_) => return Err(ProviderError::new(ProviderErrorKind::Declined, "token is not active")),
                None => return Err(ProviderError::new(ProviderErrorKind::NotFound, "unknown token reference")),
            };
            state.cryptograms += 1;
            (state.cryptograms, network)
        };
        let digest = self.mac(&[
            b"cryptogram",
            token_ref.as_bytes(),
            &request.amount_minor.to_be_bytes(),
            request.currency.as_bytes(),
            &counter.to_be_bytes(),
        ]);
        let eci = if network == Some(CardNetwork::Mastercard) { "02" } else { "05" };
        Ok(NetworkCryptogram { cryptogram: crate::crypto::hex::encode(&digest[..20]).into(), eci: eci.to_owned() })
    }
}
