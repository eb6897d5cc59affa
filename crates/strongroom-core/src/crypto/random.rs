//! Randomness: nonces from a fast per-thread generator, salts and secrets from the OS.
//!
//! Nonces are 24 random bytes per seal.
//! A `getrandom` call per nonce costs ~370 ns here, more than the AEAD itself on a
//! 128-byte value, so each thread draws from its own ChaCha20 generator seeded from the OS.
//! The generator is reseeded from the OS after 1 MiB of output and in every forked child
//! (detected through `strongroom-forkguard`): parent and child never share a stream.

use std::cell::RefCell;

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

use crate::error::{InternalError, Result};

const RESEED_AFTER_BYTES: usize = 1 << 20;

struct ThreadGenerator {
    rng: ChaCha20Rng,
    fork_generation: u64,
    bytes_since_seed: usize,
}

thread_local! {
    static GENERATOR: RefCell<Option<ThreadGenerator>> = const { RefCell::new(None) };
}

fn seeded(fork_generation: u64) -> Result<ThreadGenerator> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|_| InternalError::Random)?;
    Ok(ThreadGenerator { rng: ChaCha20Rng::from_seed(*seed), fork_generation, bytes_since_seed: 0 })
}

/// `N` bytes straight from the operating system, for salts and secrets (rare, so the
/// syscall does not matter).
pub(crate) fn os_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| InternalError::Random)?;
    Ok(out)
}

/// Fills `out` with cryptographically secure random bytes from this thread's generator.
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    let fork_generation = strongroom_forkguard::generation();
    GENERATOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let stale = match slot.as_ref() {
            Some(g) => g.fork_generation != fork_generation || g.bytes_since_seed >= RESEED_AFTER_BYTES,
            None => true,
        };
        if stale {
            *slot = Some(seeded(fork_generation)?);
        }
        let generator = slot.as_mut().ok_or(InternalError::Random)?;
        generator.rng.fill_bytes(out);
        generator.bytes_since_seed += out.len();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let mut n = [0u8; 24];
            fill(&mut n).unwrap();
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn threads_have_their_own_streams() {
        let draw = || {
            let mut n = [0u8; 24];
            fill(&mut n).unwrap();
            n
        };
        let a = std::thread::spawn(draw).join().unwrap();
        let b = std::thread::spawn(draw).join().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn reseeds_after_the_byte_budget() {
        let mut big = vec![0u8; RESEED_AFTER_BYTES];
        fill(&mut big).unwrap();
        let mut n = [0u8; 24];
        fill(&mut n).unwrap();
        GENERATOR.with(|cell| assert_eq!(cell.borrow().as_ref().unwrap().bytes_since_seed, 24));
    }
}
