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
}
