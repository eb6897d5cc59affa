//! Decoding arbitrary bytes as every stored record kind: never a panic, never an unbounded
//! allocation; whatever decodes re-encodes to bytes that decode to the same thing. The
//! input is tried as is and with a valid checksum appended, so the fuzzer reaches the
//! bincode decoder behind the checksum. The hand-written decoders (payment methods, card
//! details) must read every input as serde's derive does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strongroom_core::internals::{self, RecordKind};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let kind = RecordKind::ALL[usize::from(selector) % RecordKind::ALL.len()];
    if let Some(record) = body.get(1..) {
        assert!(internals::hand_decoder_agrees_with_serde(kind, record), "the hand-written decoder disagrees with serde");
    }
    for bytes in [body.to_vec(), internals::with_checksum(body)] {
        if let Ok(encoded) = internals::decode_record(kind, &bytes) {
            let again = internals::decode_record(kind, &encoded).expect("a re-encoded record decodes");
            assert_eq!(again, encoded, "re-encoding is not stable");
        }
    }
});
