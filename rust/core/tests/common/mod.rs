//! What the runtime's integration tests share: a data model of plain `i64` values and keys.

use oxflow_core::data::DataModel;
use oxflow_core::error::{message, BoxError};

/// `i64` values keyed by `i64` keys (a key hashes to itself). They encode as 8 little-endian
/// bytes, so keyed state can live in a state engine and in snapshots; `-1` stands for a value
/// that cannot be encoded (a checkpoint of it fails).
pub struct Ints;

impl DataModel for Ints {
    type Value = i64;
    type Key = i64;
    fn key_eq(a: &i64, b: &i64) -> bool {
        a == b
    }
    fn duplicate(v: &i64) -> i64 {
        *v
    }
    fn duplicate_key(k: &i64) -> i64 {
        *k
    }
    fn encode_value(v: &i64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        if *v == -1 {
            return Err(message("-1 cannot be encoded"));
        }
        out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn decode_value(b: &[u8]) -> Result<i64, BoxError> {
        Ok(i64::from_le_bytes(b.try_into().map_err(|_| message("not an i64"))?))
    }
    fn encode_key(k: &i64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        out.extend_from_slice(&k.to_le_bytes());
        Ok(())
    }
    fn decode_key(b: &[u8]) -> Result<i64, BoxError> {
        Self::decode_value(b)
    }
    fn hash_key(k: &i64) -> Result<u64, BoxError> {
        Ok(*k as u64)
    }
}
