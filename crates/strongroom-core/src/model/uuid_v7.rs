//! Version 7 UUIDs (RFC 9562) for generated ids, without a system call per id.
//!
//! `uuid::Uuid::now_v7` asks the operating system for its random bits on every call: a
//! `getrandom` system call per id, so one per create (~0.4 µs here, and a create in a
//! durable loop runs it cold after the previous create's `fdatasync`). This builds the same
//! layout from the thread's generator (`crypto::random`: seeded from the OS, reseeded after
//! 1 MiB and in a forked child):
//!
//! - 48 bits of Unix milliseconds;
//! - a 42-bit counter, which starts at a random value with its top bit clear in every new
//!   millisecond and counts up within one (past its end, the next millisecond is taken
//!   early), so the ids of one process sort in the order they were made, also when the
//!   system clock steps back;
//! - 32 random bits.
//!
//! The counter is the one `now_v7` keeps (42 bits, 12 under the version nibble and 30
//! under the variant), so the ids look as before: what the codec stores and the id
//! parser checks do not change.
//!
//! Ids are not secrets, here as with `now_v7`: someone holding one id could find another
//! made in the same millisecond in about 2^32 tries per step of the counter between them.
//! What guards a payment method is the profile scope and the API key a caller needs to
//! reach it, not the id's randomness. After a fork, parent and child continue from the
//! same clock; their ids differ in the 32 random bits (the child's generator reseeds).
//! (A child forked while another thread held the clock's lock would wait on it for good,
//! as with `now_v7`'s own lock; a forked child cannot use the parent's open vault anyway,
//! since RocksDB's background threads do not survive a fork.)

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::crypto::random;
use crate::error::Result;

const COUNTER_BITS: u32 = 42;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;
/// A new millisecond's counter starts below half its range, leaving at least 2^41 ids.
const SEED_MASK: u64 = COUNTER_MAX >> 1;
/// The counter bits under the variant field (the other 12 sit under the version nibble).
const LOW_BITS: u32 = 30;

/// The last (millisecond, counter) pair handed out by this process.
struct Clock {
    millis: u64,
    counter: u64,
}

/// `None` until the first id, which seeds the counter whatever the time reads.
static CLOCK: Mutex<Option<Clock>> = Mutex::new(None);

/// A new version 7 UUID, later than every one this process made before.
pub(crate) fn next() -> Result<uuid::Uuid> {
    let mut random_bytes = [0u8; 12];
    random::fill(&mut random_bytes)?;
    let [s0, s1, s2, s3, s4, s5, s6, s7, r0, r1, r2, r3] = random_bytes;
    let seed = u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]);
    let (millis, counter) = {
        // A poisoned lock only means another thread panicked between two plain stores.
        let mut clock = CLOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        advance(&mut clock, unix_millis(), seed)
    };
    Ok(layout(millis, counter, [r0, r1, r2, r3]))
}

fn unix_millis() -> u64 {
    // Before 1970 counts as 0; the counter keeps the ids ordered either way.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Moves the clock to the next (millisecond, counter) pair after `now_millis` arrives.
fn advance(clock: &mut Option<Clock>, now_millis: u64, seed: u64) -> (u64, u64) {
    let next = match clock.as_ref() {
        Some(last) if now_millis <= last.millis && last.counter < COUNTER_MAX => {
            Clock { millis: last.millis, counter: last.counter + 1 }
        }
        Some(last) if now_millis <= last.millis => {
            Clock { millis: last.millis.saturating_add(1), counter: seed & SEED_MASK }
        }
        _ => Clock { millis: now_millis, counter: seed & SEED_MASK },
    };
    let pair = (next.millis, next.counter);
    *clock = Some(next);
    pair
}

/// The UUID's bytes: `uuid` sets the version nibble over `tail[0]`'s top bits and the
/// variant over `tail[2]`'s, so the counter goes into the bits below each.
fn layout(millis: u64, counter: u64, random_tail: [u8; 4]) -> uuid::Uuid {
    let high = counter >> LOW_BITS;
    let low = counter & ((1 << LOW_BITS) - 1);
    let [.., h1, h0] = high.to_be_bytes();
    let [.., l3, l2, l1, l0] = low.to_be_bytes();
    let [t0, t1, t2, t3] = random_tail;
    let tail = [h1 & 0x0f, h0, l3 & 0x3f, l2, l1, l0, t0, t1, t2, t3];
    uuid::Builder::from_unix_timestamp_millis(millis, &tail).into_uuid()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The counter back out of a UUID `layout` made.
    fn counter_of(uuid: &uuid::Uuid) -> u64 {
        let b = uuid.as_bytes();
        let high = (u64::from(b[6] & 0x0f) << 8) | u64::from(b[7]);
        let low = (u64::from(b[8] & 0x3f) << 24) | (u64::from(b[9]) << 16) | (u64::from(b[10]) << 8) | u64::from(b[11]);
        (high << LOW_BITS) | low
    }

    proptest! {
        #[test]
        fn layout_keeps_time_counter_and_random_bits(
            millis in 0u64..(1 << 48),
            counter in 0u64..=COUNTER_MAX,
            tail in any::<[u8; 4]>(),
        ) {
            let uuid = layout(millis, counter, tail);
            prop_assert_eq!(uuid.get_version_num(), 7);
            prop_assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = uuid.get_timestamp().expect("a v7 uuid has a timestamp").to_unix();
            prop_assert_eq!(secs * 1000 + u64::from(nanos) / 1_000_000, millis);
            prop_assert_eq!(counter_of(&uuid), counter);
            prop_assert_eq!(&uuid.as_bytes()[12..], &tail[..]);
        }

        #[test]
        fn a_larger_counter_sorts_later_in_the_same_millisecond(
            millis in 0u64..(1 << 48),
            counter in 0u64..COUNTER_MAX,
            a in any::<[u8; 4]>(),
            b in any::<[u8; 4]>(),
        ) {
            prop_assert!(layout(millis, counter, a) < layout(millis, counter + 1, b));
        }
    }

    #[test]
    fn the_clock_moves_forward_whatever_the_system_clock_does() {
        // The first id seeds the counter, even at millisecond 0 (a clock before 1970).
        assert_eq!(advance(&mut None, 0, 0x77), (0, 0x77));
        let mut clock = None;
        assert_eq!(advance(&mut clock, 1_000, u64::MAX), (1_000, SEED_MASK));
        // The same millisecond and an earlier one (the clock stepped back) count up.
        assert_eq!(advance(&mut clock, 1_000, 7), (1_000, SEED_MASK + 1));
        assert_eq!(advance(&mut clock, 400, 7), (1_000, SEED_MASK + 2));
        // A new millisecond reseeds, below half the range.
        assert_eq!(advance(&mut clock, 1_001, 0x1234), (1_001, 0x1234));
        // A full counter takes the next millisecond early.
        clock = Some(Clock { millis: 1_001, counter: COUNTER_MAX });
        assert_eq!(advance(&mut clock, 1_001, 5), (1_002, 5));
    }

    #[test]
    fn ids_from_many_threads_are_distinct_and_each_thread_sees_them_ascend() {
        let per_thread = 5_000;
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(move || (0..per_thread).map(|_| next().expect("random")).collect::<Vec<_>>()))
            .collect();
        let mut all = std::collections::HashSet::new();
        for thread in threads {
            let ids = thread.join().expect("thread");
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "one thread's ids ascend");
            for id in ids {
                assert_eq!(id.get_version_num(), 7);
                assert!(all.insert(id), "ids are unique");
            }
        }
        assert_eq!(all.len(), 4 * per_thread);
    }
}
