//! The envelope's seal and open next to the bare AEAD call on the same bytes, as the
//! criterion `seal/` and `open/` groups run them, in functions callgrind can count
//! (instructions repeat from run to run where this machine's times do not):
//!
//! ```sh
//! cargo build --release -p strongroom-benches --example envelope_instructions
//! for f in envelope_seals raw_seals envelope_opens raw_opens; do
//!   valgrind --tool=callgrind --toggle-collect="*envelope_instructions*$f" \
//!     target/release/examples/envelope_instructions 10000 128
//! done
//! ```
//!
//! Each function runs `n` operations; divide the collected count by `n`.

use std::hint::black_box;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use strongroom_core::crypto::{Key32, SealContext, envelope};
use strongroom_core::internals;

const CTX: SealContext<'static> = SealContext {
    profile_id: "pro_bench",
    record_kind: "payment_method",
    record_id: "pm_01a2106bd55a7776a1d13e182257709d",
    field: "pan",
    bound: &[],
};

#[inline(never)]
fn envelope_seals(key: &Key32, plaintext: &[u8], n: u64) {
    for _ in 0..n {
        black_box(envelope::seal(key, 1, &CTX, black_box(plaintext)).expect("seal"));
    }
}

#[inline(never)]
fn raw_seals(raw: &XChaCha20Poly1305, nonce: &XNonce, plaintext: &[u8], n: u64) {
    for _ in 0..n {
        let mut out = black_box(plaintext).to_vec();
        let tag = raw.encrypt_inout_detached(nonce, b"", out.as_mut_slice().into()).expect("encrypt");
        black_box((out, tag));
    }
}

#[inline(never)]
fn envelope_opens(key: &Key32, sealed: &[u8], n: u64) {
    for _ in 0..n {
        black_box(envelope::open(key, &CTX, black_box(sealed)).expect("open"));
    }
}

#[inline(never)]
fn raw_opens(raw: &XChaCha20Poly1305, nonce: &XNonce, sealed: &[u8], tag: &Tag, n: u64) {
    for _ in 0..n {
        let mut out = black_box(sealed).to_vec();
        raw.decrypt_inout_detached(nonce, b"", out.as_mut_slice().into(), tag).expect("decrypt");
        black_box(out);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let size: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(128);
    let key = internals::key([7; 32]);
    let raw = XChaCha20Poly1305::new((&[7u8; 32]).into());
    let nonce = XNonce::from([9u8; 24]);
    let plaintext = vec![0xA5u8; size];
    let sealed = envelope::seal(&key, 1, &CTX, &plaintext).expect("seal");
    let mut raw_sealed = plaintext.clone();
    let tag = raw.encrypt_inout_detached(&nonce, b"", raw_sealed.as_mut_slice().into()).expect("encrypt");
    envelope_seals(&key, &plaintext, n);
    raw_seals(&raw, &nonce, &plaintext, n);
    envelope_opens(&key, &sealed, n);
    raw_opens(&raw, &nonce, &raw_sealed, &tag, n);
    println!("{n} seals and opens of {size} bytes, each through the envelope and the bare AEAD call");
}
