//! How ids are stored inside records and index values (record format 2).
//!
//! An id of the vault's own shape without a cell prefix (`pm_`, `cus_` or `key_` followed
//! by 32 lowercase hex digits) is stored as a zero byte, its kind and the 16 bytes of its
//! UUID — 18 bytes in an index value, 19 in a record (where the kind and UUID are one
//! length-prefixed byte string, read and written in one call) — instead of 35 to 36
//! characters of text that no block compression shrinks (hex of random bits). Any other id
//! (a cell-prefixed one, a profile id) is stored as its text, as format 1 stored every id.
//!
//! The zero byte is what tells the forms apart, so records and index values written in
//! format 1 still decode: inside a record an id's text starts with its bincode length
//! prefix, which is at least 1 (no id is empty); an index value holds the text itself,
//! and no id starts with a zero byte. Both forms expand to the same id text.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};
use serde::{Deserializer, Serialize};

use crate::crypto::hex;
use crate::error::{Error, Result};
use crate::model::audit::AuditActor;
use crate::model::ids::{ApiKeyId, CustomerId, GeneratedId, PaymentMethodId};
use crate::store::wire::Reader;

const COMPACT: u8 = 0;
const UUID_LEN: usize = 16;
const HEX_LEN: usize = 2 * UUID_LEN;
/// Bytes of the compact form in an index value: the zero, the kind, the UUID.
pub(crate) const COMPACT_LEN: usize = 2 + UUID_LEN;
/// The kind and the UUID.
const BODY_LEN: usize = 1 + UUID_LEN;

/// The id kinds with a compact form, by their stored number. Numbers are never reused.
const KINDS: [(u8, &str); 3] = [(1, CustomerId::PREFIX), (2, PaymentMethodId::PREFIX), (3, ApiKeyId::PREFIX)];

fn kind_of(prefix: &str) -> Option<u8> {
    KINDS.iter().find(|(_, p)| *p == prefix).map(|(k, _)| *k)
}

fn prefix_of(kind: u8) -> Option<&'static str> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

/// The kind and UUID of an id that has a compact form.
fn compact(id: &str) -> Option<(u8, [u8; UUID_LEN])> {
    let (prefix, hex_digits) = id.split_once('_')?;
    let kind = kind_of(prefix)?;
    // Lowercase only: the compact form expands to lowercase, and must give back the same id.
    Some((kind, hex::decode_lowercase::<UUID_LEN>(hex_digits.as_bytes())?))
}

/// The id text of a compact form, `None` for an unknown kind.
fn expand(kind: u8, uuid: &[u8; UUID_LEN]) -> Option<String> {
    let prefix = prefix_of(kind)?;
    let mut digits = [0u8; HEX_LEN];
    hex::encode_to(&mut digits, uuid);
    let mut text = String::with_capacity(prefix.len() + 1 + HEX_LEN);
    text.push_str(prefix);
    text.push('_');
    text.push_str(std::str::from_utf8(&digits).ok()?);
    Some(text)
}

fn body(kind: u8, uuid: &[u8; UUID_LEN]) -> [u8; BODY_LEN] {
    let mut body = [0u8; BODY_LEN];
    body[0] = kind;
    body[1..].copy_from_slice(uuid);
    body
}

/// The bytes of an index value that names an id (the fingerprint index).
pub(crate) fn to_index_value(id: &str) -> Vec<u8> {
    match compact(id) {
        Some((kind, uuid)) => {
            let mut value = Vec::with_capacity(COMPACT_LEN);
            value.extend_from_slice(&[COMPACT, kind]);
            value.extend_from_slice(&uuid);
            value
        }
        None => id.as_bytes().to_vec(),
    }
}

/// The id an index value names, in either form.
pub(crate) fn from_index_value(value: &[u8], what: &'static str) -> Result<String> {
    match value {
        [COMPACT, compact @ ..] => {
            let (kind, uuid) = compact.split_first().ok_or_else(|| Error::integrity(what))?;
            let uuid: &[u8; UUID_LEN] = uuid.try_into().map_err(|_| Error::integrity(what))?;
            expand(*kind, uuid).ok_or_else(|| Error::integrity(what))
        }
        [] => Err(Error::integrity(what)),
        text => String::from_utf8(text.to_vec()).map_err(|_| Error::integrity(what)),
    }
}

/// The kind and UUID of a compact id, as one byte string.
struct Body([u8; BODY_LEN]);

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct BodyBytes;
        impl<'de> Visitor<'de> for BodyBytes {
            type Value = Body;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the kind and UUID of an id")
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> std::result::Result<Body, E> {
                bytes.try_into().map(Body).map_err(|_| E::custom("compact id of the wrong length"))
            }
        }
        d.deserialize_bytes(BodyBytes)
    }
}

fn serialize_str<S: Serializer>(id: &str, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    match compact(id) {
        Some((kind, uuid)) => {
            let mut tuple = serializer.serialize_tuple(2)?;
            tuple.serialize_element(&u64::from(COMPACT))?;
            tuple.serialize_element(&Body(body(kind, &uuid)))?;
            tuple.end()
        }
        None if id.is_empty() => Err(serde::ser::Error::custom("an empty id has no stored form")),
        None => serializer.serialize_str(id),
    }
}

/// An id as read back: from the compact form (well-formed by construction) or from text.
struct ReadId {
    text: String,
    compact: bool,
}

/// Reads one stored id from a tuple: the leading varint is either the compact marker or
/// the length of the id's text.
fn next_id<'de, A: SeqAccess<'de>>(seq: &mut A) -> std::result::Result<ReadId, A::Error> {
    let missing = || de::Error::custom("truncated id");
    let lead: u64 = seq.next_element()?.ok_or_else(missing)?;
    if lead == u64::from(COMPACT) {
        let Body(body) = seq.next_element()?.ok_or_else(missing)?;
        let (kind, uuid) = body.split_first().ok_or_else(missing)?;
        let uuid: &[u8; UUID_LEN] = uuid.try_into().map_err(|_| missing())?;
        let text = expand(*kind, uuid).ok_or_else(|| de::Error::custom("unknown id kind"))?;
        return Ok(ReadId { text, compact: true });
    }
    let len = usize::try_from(lead).map_err(|_| de::Error::custom("id too long"))?;
    // Ids are at most a few dozen bytes; a larger length is damage, refused before reading.
    if len > MAX_TEXT_LEN {
        return Err(de::Error::custom("id too long"));
    }
    let mut text = Vec::with_capacity(len);
    for _ in 0..len {
        text.push(seq.next_element::<u8>()?.ok_or_else(missing)?);
    }
    let text = String::from_utf8(text).map_err(|_| de::Error::custom("id is not UTF-8"))?;
    Ok(ReadId { text, compact: false })
}

/// Reads a generated id as [`generated`] stores it, in either form, off the hand-written
/// record reader (`store/record_reader.rs`); the same bytes and checks as [`next_id`].
pub(crate) fn read_generated<T: GeneratedId>(reader: &mut Reader) -> Option<T> {
    let lead = reader.u64()?;
    if lead == u64::from(COMPACT) {
        let body: &[u8; BODY_LEN] = reader.bytes()?.try_into().ok()?;
        let (kind, uuid) = body.split_first()?;
        return T::from_well_formed(expand(*kind, uuid.try_into().ok()?)?);
    }
    let len = usize::try_from(lead).ok().filter(|len| *len <= MAX_TEXT_LEN)?;
    let text = std::str::from_utf8(reader.byte_elements(len)?).ok()?;
    T::from_stored(text.to_owned())
}

/// Enough tuple elements for the longest stored id (bincode reads no count for a tuple).
const MAX_ELEMENTS: usize = 1 + MAX_TEXT_LEN;

/// The longest id text a record may hold.
const MAX_TEXT_LEN: usize = 128;

struct IdText;

impl<'de> Visitor<'de> for IdText {
    type Value = ReadId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a stored id")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<ReadId, A::Error> {
        next_id(&mut seq)
    }
}

fn deserialize_id<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<ReadId, D::Error> {
    deserializer.deserialize_tuple(MAX_ELEMENTS, IdText)
}

/// The typed id: a compact form only needs the right kind (its text is well-formed by
/// construction); a text form is shape-checked like any id from outside.
fn typed<T: GeneratedId, E: de::Error>(id: ReadId) -> std::result::Result<T, E> {
    let typed = if id.compact { T::from_well_formed(id.text) } else { T::from_stored(id.text) };
    typed.ok_or_else(|| E::custom("stored id has the wrong kind or shape"))
}

/// `#[serde(with = "stored_id::generated")]` for a generated id field.
pub(crate) mod generated {
    use super::*;

    pub(crate) fn serialize<T: GeneratedId, S: Serializer>(id: &T, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_str(id.as_str(), s)
    }

    pub(crate) fn deserialize<'de, T: GeneratedId, D: Deserializer<'de>>(d: D) -> std::result::Result<T, D::Error> {
        typed(deserialize_id(d)?)
    }
}

/// `#[serde(with = "stored_id::any_optional")]` for an optional id of any kind (the object
/// of an audit event).
pub(crate) mod any_optional {
    use super::*;

    struct AsStored<'a>(&'a str);

    impl Serialize for AsStored<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            serialize_str(self.0, s)
        }
    }

    pub(crate) fn serialize<S: Serializer>(id: &Option<String>, s: S) -> std::result::Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.serialize_some(&AsStored(id)),
            None => s.serialize_none(),
        }
    }

    struct OptionalId;

    impl<'de> Visitor<'de> for OptionalId {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional stored id")
        }

        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
            deserialize_id(d).map(|id| Some(id.text))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
        d.deserialize_option(OptionalId)
    }
}

/// `#[serde(with = "stored_id::actor")]` for the actor of an audit event: the variant
/// number as serde's derive writes it (0 internal, 1 API key), then the key's stored id.
pub(crate) mod actor {
    use super::*;

    const INTERNAL: u32 = 0;
    const API_KEY: u32 = 1;

    pub(crate) fn serialize<S: Serializer>(actor: &AuditActor, s: S) -> std::result::Result<S::Ok, S::Error> {
        match actor {
            AuditActor::Internal => s.serialize_u32(INTERNAL),
            AuditActor::ApiKey(id) => {
                struct Key<'a>(&'a ApiKeyId);
                impl Serialize for Key<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                        serialize_str(self.0.as_str(), s)
                    }
                }
                let mut tuple = s.serialize_tuple(2)?;
                tuple.serialize_element(&API_KEY)?;
                tuple.serialize_element(&Key(id))?;
                tuple.end()
            }
        }
    }

    struct Actor;

    impl<'de> Visitor<'de> for Actor {
        type Value = AuditActor;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a stored audit actor")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<AuditActor, A::Error> {
            match seq.next_element::<u32>()?.ok_or_else(|| de::Error::custom("truncated actor"))? {
                INTERNAL => Ok(AuditActor::Internal),
                API_KEY => Ok(AuditActor::ApiKey(typed(next_id(&mut seq)?)?)),
                _ => Err(de::Error::custom("unknown actor")),
            }
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<AuditActor, D::Error> {
        d.deserialize_tuple(1 + MAX_ELEMENTS, Actor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;
    use crate::model::ids::CellId;
    use crate::store::codec::{self, Record};

    /// Format 1 of a record with ids: every id as its text.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct AsText {
        pm: String,
        object: Option<String>,
        actor: AuditActor,
        after: u32,
    }

    #[derive(Debug, PartialEq, serde::Serialize, Deserialize)]
    struct AsStoredIds {
        #[serde(with = "generated")]
        pm: PaymentMethodId,
        #[serde(with = "any_optional")]
        object: Option<String>,
        #[serde(with = "actor")]
        actor: AuditActor,
        after: u32,
    }

    impl Record for AsText {
        const KIND: &'static str = "sample";
        const FORMAT: u8 = 1;
    }

    impl Record for AsStoredIds {
        const KIND: &'static str = "sample";
        const FORMAT: u8 = 1;
    }

    fn text_of(r: &AsStoredIds) -> AsText {
        AsText { pm: r.pm.as_str().to_owned(), object: r.object.clone(), actor: r.actor.clone(), after: r.after }
    }

    fn pm(hex: &str) -> PaymentMethodId {
        PaymentMethodId::parse(&format!("pm_{hex}")).unwrap()
    }

    #[test]
    fn generated_ids_without_a_cell_take_eighteen_bytes() {
        let id = "pm_0190000000007000800000000000000a";
        let value = to_index_value(id);
        assert_eq!(value.len(), COMPACT_LEN);
        assert_eq!(value[..2], [0, 2]);
        assert_eq!(from_index_value(&value, "test").unwrap(), id);
        for text in ["12345_pm_0190000000007000800000000000000a", "pro_golden", "pm_0190000000007000800000000000000A"] {
            assert_eq!(to_index_value(text), text.as_bytes(), "{text} has no compact form");
            assert_eq!(from_index_value(text.as_bytes(), "test").unwrap(), text);
        }
    }

    #[test]
    fn damaged_index_values_are_integrity_errors() {
        let mut unknown_kind = to_index_value("cus_0190000000007000800000000000000b");
        unknown_kind[1] = 9;
        for bad in [vec![], vec![0], vec![0, 2, 1], unknown_kind, vec![0xff, 0xfe]] {
            assert!(from_index_value(&bad, "test").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn records_written_with_text_ids_still_decode() {
        let record = AsStoredIds {
            pm: pm("0190000000007000800000000000000a"),
            object: Some("cus_0190000000007000800000000000000b".into()),
            actor: AuditActor::ApiKey(ApiKeyId::parse("key_0190000000007000800000000000000c").unwrap()),
            after: 7,
        };
        let old = codec::encode(&text_of(&record)).unwrap();
        let new = codec::encode(&record).unwrap();
        // Text takes a length byte and 35 (pm) or 36 (cus, key) characters.
        // Inside a record the compact form takes 19 bytes (the marker, a length, 17 bytes).
        let compact_in_record = 2 + BODY_LEN;
        assert_eq!(old.len() - new.len(), (36 - compact_in_record) + 2 * (37 - compact_in_record));
        assert_eq!(codec::decode::<AsStoredIds>(&old).unwrap(), record);
        assert_eq!(codec::decode::<AsStoredIds>(&new).unwrap(), record);
    }

    fn any_stored_ids() -> impl Strategy<Value = AsStoredIds> {
        let hex = "[0-9a-f]{32}";
        let object = prop_oneof![
            Just(None),
            hex.prop_map(|h| Some(format!("cus_{h}"))),
            hex.prop_map(|h| Some(format!("7_pm_{h}"))),
            "[A-Za-z0-9_-]{1,64}".prop_map(Some),
        ];
        let actor = prop_oneof![
            Just(AuditActor::Internal),
            hex.prop_map(|h| AuditActor::ApiKey(ApiKeyId::parse(&format!("key_{h}")).unwrap())),
        ];
        (hex, any::<bool>(), object, actor, any::<u32>()).prop_map(|(h, cell, object, actor, after)| {
            let pm = if cell {
                PaymentMethodId::parse(&format!("{}_pm_{h}", CellId::parse("cell9").unwrap().as_str())).unwrap()
            } else {
                pm(&h)
            };
            AsStoredIds { pm, object, actor, after }
        })
    }

    proptest! {
        /// Both forms decode to the same record, and the compact one is never longer.
        #[test]
        fn stored_ids_round_trip_in_both_forms(record in any_stored_ids()) {
            let new = codec::encode(&record).unwrap();
            let old = codec::encode(&text_of(&record)).unwrap();
            prop_assert!(new.len() <= old.len());
            prop_assert_eq!(&codec::decode::<AsStoredIds>(&new).unwrap(), &record);
            prop_assert_eq!(&codec::decode::<AsStoredIds>(&old).unwrap(), &record);
            let value = to_index_value(record.pm.as_str());
            prop_assert_eq!(from_index_value(&value, "test").unwrap(), record.pm.as_str());
        }

        /// Arbitrary bytes in a stored id's place are an error or some id, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = codec::decode::<AsStoredIds>(&codec::with_checksum(&[[1u8].as_slice(), &body].concat()));
            let _ = from_index_value(&body, "test");
        }
    }
}
