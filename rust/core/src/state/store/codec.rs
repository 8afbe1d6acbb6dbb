//! How the engine mode lays entries out as bytes.
//!
//! Key: `key group (u16 BE) | key length (u32 BE) | encoded key | state id (u32 BE) | namespace`.
//! The key group comes first so that one group's entries are contiguous (a later rescaling or
//! incremental snapshot can scan a group range); the length prefix keeps parsing unambiguous.
//! Namespaces are `tag | i64 BE with the sign bit flipped`, so windows sort by start.
//!
//! Value: `key hash (u64 LE) | touched (i64 LE) | 0, encoded value` or
//! `| 1, count (u32 LE), (length (u32 LE), encoded element)*` or, with time-to-live stamps,
//! `| 2, count (u32 LE), (time (i64 LE), length (u32 LE), encoded element)*` for a list and
//! `| 3, count (u32 LE), (time (i64 LE), key length (u32 LE), encoded key, length (u32 LE),
//! encoded value)*` for a map (in insertion order).
//! The key hash is kept because it is process-local (Python hashes strings with a per-process
//! seed) and the engine lives exactly as long as the process's job.

use super::super::{Namespace, StateId};
use super::super::map::{EncodedEntry, MapSlot};
use super::{Slot, SlotSnapshot};
use crate::data::{DataModel, Keyed};
use crate::error::{message, BoxError};
use crate::key_group::key_group_of;

fn corrupt(what: &str) -> BoxError {
    message(format!("corrupt state entry in the state backend: {what}"))
}

fn ordered(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

fn unordered(b: &[u8]) -> i64 {
    (u64::from_be_bytes(b.try_into().expect("8 bytes")) ^ (1 << 63)) as i64
}

/// Writes the engine key of (`key`, `state`, `namespace`) into `out` (cleared first).
pub(super) fn entry_key<D: DataModel>(
    out: &mut Vec<u8>,
    key: &Keyed<D::Key>,
    state: StateId,
    namespace: &Namespace,
    max_parallelism: usize,
) -> Result<(), BoxError> {
    out.clear();
    out.extend_from_slice(&(key_group_of(key.hash, max_parallelism) as u16).to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    D::encode_key(&key.key, out)?;
    let len = u32::try_from(out.len() - 6).map_err(|_| message("a key of more than 4 GiB cannot be kept in state"))?;
    out[2..6].copy_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&state.0.to_be_bytes());
    match *namespace {
        Namespace::Void => out.push(0),
        Namespace::Window { start, end } => {
            out.push(1);
            out.extend_from_slice(&ordered(start));
            out.extend_from_slice(&ordered(end));
        }
        Namespace::Global => out.push(2),
        Namespace::Count(id) => {
            out.push(3);
            out.extend_from_slice(&ordered(id));
        }
    }
    Ok(())
}

/// The encoded key, state and namespace of an engine key.
pub(super) fn parse_key(bytes: &[u8]) -> Result<(&[u8], StateId, Namespace), BoxError> {
    let len = bytes.get(2..6).ok_or_else(|| corrupt("short key"))?;
    let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    let key = bytes.get(6..6 + len).ok_or_else(|| corrupt("short key"))?;
    let rest = &bytes[6 + len..];
    let state = rest.get(..4).ok_or_else(|| corrupt("no state id"))?;
    let state = StateId(u32::from_be_bytes(state.try_into().expect("4 bytes")));
    let ns = &rest[4..];
    let namespace = match (ns.first(), ns.len()) {
        (Some(0), 1) => Namespace::Void,
        (Some(1), 17) => Namespace::Window { start: unordered(&ns[1..9]), end: unordered(&ns[9..17]) },
        (Some(2), 1) => Namespace::Global,
        (Some(3), 9) => Namespace::Count(unordered(&ns[1..9])),
        _ => return Err(corrupt("bad namespace")),
    };
    Ok((key, state, namespace))
}

fn push_len(out: &mut Vec<u8>, len: usize) -> Result<(), BoxError> {
    let len = u32::try_from(len).map_err(|_| message("a state value of more than 4 GiB cannot be kept"))?;
    out.extend_from_slice(&len.to_le_bytes());
    Ok(())
}

fn push_bytes(out: &mut Vec<u8>, encode: impl FnOnce(&mut Vec<u8>) -> Result<(), BoxError>) -> Result<(), BoxError> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    encode(out)?;
    let len = u32::try_from(out.len() - at - 4).map_err(|_| message("a state value of more than 4 GiB cannot be kept"))?;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Appends the engine value of a slot.
pub(super) fn encode_slot<D: DataModel>(out: &mut Vec<u8>, key_hash: u64, touched: i64, slot: &Slot<D>) -> Result<(), BoxError> {
    out.extend_from_slice(&key_hash.to_le_bytes());
    out.extend_from_slice(&touched.to_le_bytes());
    match slot {
        Slot::Value(v) => {
            out.push(0);
            D::encode_value(v, out)?;
        }
        Slot::List(items) => {
            out.push(1);
            push_len(out, items.len())?;
            for item in items {
                push_bytes(out, |out| D::encode_value(item, out))?;
            }
        }
        Slot::StampedList(items) => {
            out.push(2);
            push_len(out, items.len())?;
            for (item, stamp) in items {
                out.extend_from_slice(&stamp.to_le_bytes());
                push_bytes(out, |out| D::encode_value(item, out))?;
            }
        }
        Slot::Map(map) => {
            out.push(3);
            let entries = map.encode(|_| true)?;
            push_len(out, entries.len())?;
            for (key, value, stamp) in &entries {
                out.extend_from_slice(&stamp.to_le_bytes());
                push_len(out, key.len())?;
                out.extend_from_slice(key);
                push_len(out, value.len())?;
                out.extend_from_slice(value);
            }
        }
    }
    Ok(())
}

/// What an engine value holds, its encoded values borrowed.
pub(super) enum StoredBody<'a> {
    Value(&'a [u8]),
    List(Vec<&'a [u8]>),
    /// Elements with their times.
    StampedList(Vec<(&'a [u8], i64)>),
    /// Map entries as (encoded key, encoded value, time), in insertion order.
    Map(Vec<(&'a [u8], &'a [u8], i64)>),
}

/// An engine value.
pub(super) struct StoredSlot<'a> {
    pub key_hash: u64,
    pub touched: i64,
    pub body: StoredBody<'a>,
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], BoxError> {
    if bytes.len() < n {
        return Err(corrupt("short value"));
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

fn take_u32(bytes: &mut &[u8]) -> Result<usize, BoxError> {
    Ok(u32::from_le_bytes(take(bytes, 4)?.try_into().expect("4 bytes")) as usize)
}

fn take_i64(bytes: &mut &[u8]) -> Result<i64, BoxError> {
    Ok(i64::from_le_bytes(take(bytes, 8)?.try_into().expect("8 bytes")))
}

fn take_bytes<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], BoxError> {
    let len = take_u32(bytes)?;
    take(bytes, len)
}

/// `count` items that `item` parses (each at least 4 bytes: a corrupt count cannot allocate much).
fn take_items<'a, T>(bytes: &mut &'a [u8], mut item: impl FnMut(&mut &'a [u8]) -> Result<T, BoxError>) -> Result<Vec<T>, BoxError> {
    let count = take_u32(bytes)?;
    let mut items = Vec::with_capacity(count.min(bytes.len() / 4));
    for _ in 0..count {
        items.push(item(bytes)?);
    }
    if !bytes.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(items)
}

pub(super) fn parse_slot(mut bytes: &[u8]) -> Result<StoredSlot<'_>, BoxError> {
    let key_hash = u64::from_le_bytes(take(&mut bytes, 8)?.try_into().expect("8 bytes"));
    let touched = take_i64(&mut bytes)?;
    let body = match take(&mut bytes, 1)?[0] {
        0 => StoredBody::Value(bytes),
        1 => StoredBody::List(take_items(&mut bytes, take_bytes)?),
        2 => StoredBody::StampedList(take_items(&mut bytes, |b| {
            let stamp = take_i64(b)?;
            Ok((take_bytes(b)?, stamp))
        })?),
        3 => StoredBody::Map(take_items(&mut bytes, |b| {
            let stamp = take_i64(b)?;
            Ok((take_bytes(b)?, take_bytes(b)?, stamp))
        })?),
        _ => return Err(corrupt("unknown slot kind")),
    };
    Ok(StoredSlot { key_hash, touched, body })
}

impl StoredSlot<'_> {
    pub(super) fn decode<D: DataModel>(&self) -> Result<Slot<D>, BoxError> {
        Ok(match &self.body {
            StoredBody::Value(v) => Slot::Value(D::decode_value(v)?),
            StoredBody::List(l) => Slot::List(l.iter().map(|v| D::decode_value(v)).collect::<Result<_, _>>()?),
            StoredBody::StampedList(l) => Slot::StampedList(l.iter().map(|(v, t)| Ok((D::decode_value(v)?, *t))).collect::<Result<_, BoxError>>()?),
            StoredBody::Map(_) => Slot::Map(Box::new(MapSlot::decode(&self.map_entries())?)),
        })
    }

    /// The slot as a snapshot holds it, copied from the engine's bytes (nothing decoded).
    pub(super) fn to_snapshot(&self) -> SlotSnapshot {
        match &self.body {
            StoredBody::Value(v) => SlotSnapshot::Value(v.to_vec()),
            StoredBody::List(l) => SlotSnapshot::List(l.iter().map(|v| v.to_vec()).collect()),
            StoredBody::StampedList(l) => SlotSnapshot::StampedList(l.iter().map(|(v, t)| (v.to_vec(), *t)).collect()),
            StoredBody::Map(_) => SlotSnapshot::Map(self.map_entries()),
        }
    }

    fn map_entries(&self) -> Vec<EncodedEntry> {
        match &self.body {
            StoredBody::Map(m) => m.iter().map(|(k, v, t)| (k.to_vec(), v.to_vec(), *t)).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Ints;

    #[test]
    fn keys_and_slots_round_trip() {
        let mut buf = Vec::new();
        for ns in [Namespace::Void, Namespace::Global, Namespace::Window { start: -5, end: 7 }, Namespace::Count(-3)] {
            entry_key::<Ints>(&mut buf, &Keyed { key: -42, hash: 9 }, StateId(3), &ns, 128).unwrap();
            let (key, state, parsed) = parse_key(&buf).unwrap();
            assert_eq!((Ints::decode_key(key).unwrap(), state, parsed), (-42, StateId(3), ns));
        }
        let mut out = Vec::new();
        encode_slot::<Ints>(&mut out, 77, -1, &Slot::List(vec![1, 2, 3])).unwrap();
        let stored = parse_slot(&out).unwrap();
        assert_eq!((stored.key_hash, stored.touched), (77, -1));
        assert!(matches!(stored.decode::<Ints>().unwrap(), Slot::List(l) if l == vec![1, 2, 3]));
        out.clear();
        encode_slot::<Ints>(&mut out, 1, 2, &Slot::Value(5)).unwrap();
        assert!(matches!(parse_slot(&out).unwrap().decode::<Ints>().unwrap(), Slot::Value(5)));
        assert!(parse_slot(&out[..10]).is_err());
    }

    #[test]
    fn windows_sort_by_start_within_a_key() {
        let key = |start| {
            let mut buf = Vec::new();
            entry_key::<Ints>(&mut buf, &Keyed { key: 1, hash: 1 }, StateId(0), &Namespace::Window { start, end: start + 10 }, 128).unwrap();
            buf
        };
        assert!(key(-10) < key(0) && key(0) < key(10));
    }
}
