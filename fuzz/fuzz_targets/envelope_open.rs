//! Opening arbitrary bytes, and opening a sealed value after arbitrary changes: never a
//! panic, never plaintext unless the value is exactly what was sealed.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strongroom_core::crypto::{SealContext, envelope};
use strongroom_core::internals;

#[derive(Arbitrary, Debug)]
enum Change {
    Flip { position: u16, mask: u8 },
    Truncate(u16),
    Extend(Vec<u8>),
    KeyVersion(u32),
}

#[derive(Arbitrary, Debug)]
struct Input {
    raw: Vec<u8>,
    plaintext: Vec<u8>,
    changes: Vec<Change>,
}

const CTX: SealContext<'static> =
    SealContext { profile_id: "pro_fuzz", record_kind: "payment_method", record_id: "pm_fuzz", field: "pan", bound: &[] };

fuzz_target!(|input: Input| {
    let key = internals::key([0x42; 32]);
    // Bytes nobody sealed under this key never open.
    assert!(envelope::open(&key, &CTX, &input.raw).is_err());

    let sealed = envelope::seal(&key, 1, &CTX, &input.plaintext).expect("seal");
    let mut changed = sealed.clone();
    for change in &input.changes {
        match change {
            Change::Flip { position, mask } if !changed.is_empty() => {
                let i = usize::from(*position) % changed.len();
                changed[i] ^= mask;
            }
            Change::Flip { .. } => {}
            Change::Truncate(n) => changed.truncate(changed.len().saturating_sub(usize::from(*n))),
            Change::Extend(bytes) => changed.extend_from_slice(bytes),
            Change::KeyVersion(v) if changed.len() >= 8 => changed[4..8].copy_from_slice(&v.to_be_bytes()),
            Change::KeyVersion(_) => {}
        }
    }
    match envelope::open(&key, &CTX, &changed) {
        Ok(plaintext) => {
            assert_eq!(changed, sealed, "a modified value opened");
            assert_eq!(plaintext.as_slice(), input.plaintext.as_slice());
        }
        Err(_) => assert_ne!(changed, sealed, "an intact value did not open"),
    }
});
