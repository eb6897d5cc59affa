//! Seal then open with arbitrary plaintext and context: the plaintext comes back; any
//! other context (profile, record, field, bound fields) refuses it.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strongroom_core::crypto::{SealContext, envelope};
use strongroom_core::internals;

const FIELDS: [&str; 4] = ["pan", "cvc", "details", "network_token"];

#[derive(Arbitrary, Debug)]
struct Input {
    plaintext: Vec<u8>,
    profile: String,
    record: String,
    field: u8,
    bound: Vec<u8>,
    other_profile: String,
    other_record: String,
    other_field: u8,
    other_bound: Vec<u8>,
    key_version: u32,
}

fuzz_target!(|input: Input| {
    let key = internals::key([7; 32]);
    let ctx = SealContext {
        profile_id: &input.profile,
        record_kind: "payment_method",
        record_id: &input.record,
        field: FIELDS[usize::from(input.field) % FIELDS.len()],
        bound: &input.bound,
    };
    let Ok(sealed) = envelope::seal(&key, input.key_version, &ctx, &input.plaintext) else {
        // Only a context part longer than the format allows (u16 length) is refused.
        let limit = usize::from(u16::MAX);
        assert!(input.profile.len() > limit || input.record.len() > limit || input.bound.len() > limit);
        return;
    };
    assert_eq!(envelope::key_version(&sealed).expect("header"), input.key_version);
    assert_eq!(envelope::open(&key, &ctx, &sealed).expect("open").as_slice(), input.plaintext.as_slice());
    let other = SealContext {
        profile_id: &input.other_profile,
        record_kind: "payment_method",
        record_id: &input.other_record,
        field: FIELDS[usize::from(input.other_field) % FIELDS.len()],
        bound: &input.other_bound,
    };
    let same = (other.profile_id, other.record_id, other.field, other.bound)
        == (ctx.profile_id, ctx.record_id, ctx.field, ctx.bound);
    assert_eq!(envelope::open(&key, &other, &sealed).is_ok(), same);
    assert!(envelope::open(&internals::key([8; 32]), &ctx, &sealed).is_err());
});
