//! A plain-Rust data model for the crate's unit tests.

use crate::data::DataModel;

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
    fn encode_value(v: &i64, out: &mut Vec<u8>) -> Result<(), crate::error::BoxError> {
        out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn decode_value(bytes: &[u8]) -> Result<i64, crate::error::BoxError> {
        Ok(i64::from_le_bytes(bytes.try_into().map_err(|_| crate::error::message("not an i64"))?))
    }
    fn encode_key(k: &i64, out: &mut Vec<u8>) -> Result<(), crate::error::BoxError> {
        Self::encode_value(k, out)
    }
    fn decode_key(bytes: &[u8]) -> Result<i64, crate::error::BoxError> {
        Self::decode_value(bytes)
    }
    fn hash_key(k: &i64) -> Result<u64, crate::error::BoxError> {
        Ok(*k as u64)
    }
}

/// The task of a lone operator instance (subtask 0 of 1) whose processing time is `clock`.
pub fn task_info(operator_name: &str, clock: &crate::time::ManualClock) -> crate::operator::TaskInfo {
    crate::operator::TaskInfo {
        task_name: "test".into(),
        operator_name: operator_name.into(),
        uid: String::new(),
        subtask_index: 0,
        parallelism: 1,
        max_parallelism: 128,
        attempt_number: 0,
        checkpointing: false,
        state_backend: None,
        clock: std::sync::Arc::new(clock.clone()),
    }
}
