//! The encryption hot path: the vault's envelope next to the raw AEAD call on the same
//! bytes, key derivation, fingerprints, nonces, the record codec and the audit chain.
//!
//! `cargo bench -p strongroom-benches --bench crypto`

use std::hint::black_box;
use std::time::Duration;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use strongroom_core::MasterKey;
use strongroom_core::crypto::{Fingerprint, KeyPurpose, SealContext, derive, envelope};
use strongroom_core::internals::{self, SampleRecord};

const SIZES: [usize; 4] = [64, 128, 256, 1024];

fn ctx() -> SealContext<'static> {
    SealContext {
        profile_id: "pro_bench",
        record_kind: "payment_method",
        record_id: "pm_01a2106bd55a7776a1d13e182257709d",
        field: "pan",
        bound: &[],
    }
}

fn seal_and_open(c: &mut Criterion) {
    let key = internals::key([7; 32]);
    let raw = XChaCha20Poly1305::new((&[7u8; 32]).into());
    let nonce = XNonce::from([9u8; 24]);
    let mut group = c.benchmark_group("seal");
    for size in SIZES {
        let plaintext = vec![0xA5u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("envelope", size), &plaintext, |b, p| {
            b.iter(|| envelope::seal(&key, 1, &ctx(), black_box(p)).expect("seal"))
        });
        group.bench_with_input(BenchmarkId::new("raw_aead", size), &plaintext, |b, p| {
            // The bare AEAD call the envelope makes, on a copy of the bytes: no header, no
            // associated data, no fresh nonce.
            b.iter(|| {
                let mut out = black_box(p).clone();
                let tag = raw.encrypt_inout_detached(&nonce, b"", out.as_mut_slice().into()).expect("encrypt");
                (out, tag)
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("open");
    for size in SIZES {
        let plaintext = vec![0xA5u8; size];
        let sealed = envelope::seal(&key, 1, &ctx(), &plaintext).expect("seal");
        let mut raw_sealed = plaintext.clone();
        let raw_tag: Tag = raw.encrypt_inout_detached(&nonce, b"", raw_sealed.as_mut_slice().into()).expect("encrypt");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("envelope", size), &sealed, |b, s| {
            b.iter(|| envelope::open(&key, &ctx(), black_box(s)).expect("open"))
        });
        group.bench_with_input(BenchmarkId::new("raw_aead", size), &raw_sealed, |b, s| {
            b.iter(|| {
                let mut out = black_box(s).clone();
                raw.decrypt_inout_detached(&nonce, b"", out.as_mut_slice().into(), &raw_tag).expect("decrypt");
                out
            })
        });
    }
    group.finish();
}

fn keys_and_hashes(c: &mut Criterion) {
    let master = MasterKey::from_slice(&[3; 32]).expect("32 bytes");
    let salt = [5u8; 32];
    c.bench_function("hkdf_derive_profile_key", |b| {
        b.iter(|| derive::derive_key(black_box(&master), &salt, "pro_bench", KeyPurpose::Pan, 1))
    });
    let key = internals::key([7; 32]);
    let (number, _) = strongroom_core::card::number::parse("4111111111111111").expect("valid");
    c.bench_function("fingerprint_hmac_sha256", |b| b.iter(|| Fingerprint::of(&key, black_box(&number))));
    c.bench_function("nonce_24_bytes", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            internals::fill_random(&mut nonce).expect("random");
            nonce
        })
    });
}

fn codec(c: &mut Criterion) {
    let record = SampleRecord::payment_method().expect("sample record");
    let bytes = record.encode().expect("encode");
    let mut group = c.benchmark_group("record_codec");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode_payment_method", |b| b.iter(|| black_box(&record).encode().expect("encode")));
    group.bench_function("decode_payment_method", |b| {
        b.iter(|| SampleRecord::decode(black_box(&bytes)).expect("decode"))
    });
    group.finish();
}

/// The crypto of appending one audit event and moving the chain head, as each vault format
/// does it, on an event of the size a card create writes (~75 bytes encoded). Format 2
/// sealed the event and the head and hashed the event; format 3 macs both (the event in
/// clear).
fn audit_append(c: &mut Criterion) {
    let key = internals::key([7; 32]);
    let macs = internals::ChainMacs::new(&key);
    let event = vec![0x5Au8; 75];
    let head = vec![0x3Cu8; 42];
    let event_ctx =
        SealContext { profile_id: "pro_bench", record_kind: "audit", record_id: "1234567", field: "event", bound: &[] };
    let head_ctx =
        SealContext { profile_id: "pro_bench", record_kind: "audit", record_id: "head", field: "head", bound: &[] };
    let mut group = c.benchmark_group("audit_append");
    group.bench_function("format_2_seal_event_hash_seal_head", |b| {
        b.iter(|| {
            let sealed_event = envelope::seal(&key, 1, &event_ctx, black_box(&event)).expect("seal");
            let mut hash = Sha256::new();
            hash.update(b"strongroom/v1/audit");
            hash.update(black_box(&event));
            let hash: [u8; 32] = hash.finalize().into();
            let sealed_head = envelope::seal(&key, 1, &head_ctx, black_box(&head)).expect("seal");
            (sealed_event, hash, sealed_head)
        })
    });
    group.bench_function("format_3_mac_event_mac_head", |b| {
        b.iter(|| {
            let mac = macs.event(1_234_567, &[7; 32], black_box(&event));
            (mac, macs.head(1_234_568, &mac))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500))
}

criterion_group! { name = benches; config = config(); targets = seal_and_open, keys_and_hashes, codec, audit_append }
criterion_main!(benches);
