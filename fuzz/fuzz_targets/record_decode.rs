//! Decoding arbitrary bytes as every stored record kind: never a panic, never an unbounded
//! allocation; whatever decodes re-encodes to bytes that decode to the same thing. The
//! input is tried as is and with a valid checksum appended, so the fuzzer reaches the
//! bincode decoder behind the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strongroom_core::internals::{self, RecordKind};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let kind = RecordKind::ALL[usize::from(selector) % RecordKind::ALL.len()];
    for bytes in [body.to_vec(), internals::with_checksum(body)] {
        if let Ok(encoded) = internals::decode_record(kind, &bytes) {
            let again = internals::decode_record(kind, &encoded).expect("a re-encoded record decodes");
            assert_eq!(again, encoded, "re-encoding is not stable");
        }
    }
});
