//! What flows through a job: records of a data model's values, optionally keyed and timestamped.

/// The value and key types a job carries, and the few operations the runtime needs on them.
///
/// The Python bridge implements this for Python objects (whose duplication and comparison need the
/// interpreter); Rust tests implement it for plain values.
pub trait DataModel: Sized + Send + Sync + 'static {
    /// One element of a stream.
    type Value: Send + Sync + 'static;
    /// What a key selector extracts from a value.
    type Key: Send + Sync + 'static;

    // The runtime calls `key_eq`, `duplicate` and `duplicate_key` only inside `scoped`.

    /// Key equality, consistent with the hash the key selector computed.
    fn key_eq(a: &Self::Key, b: &Self::Key) -> bool;
    /// A second handle to the same value (fan-out, broadcast, rolling state that is also emitted).
    fn duplicate(value: &Self::Value) -> Self::Value;
    /// A second handle to the same key.
    fn duplicate_key(key: &Self::Key) -> Self::Key;

    /// Runs `f` in the context user functions need. The Python bridge attaches the thread to the
    /// interpreter here, so a task takes the GIL once per batch, not once per record.
    fn scoped<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    // Checkpoints (called inside `scoped`). A data model that cannot encode its values cannot
    // be checkpointed; the defaults say so.

    /// Appends the encoding of `value` (for snapshots).
    fn encode_value(_value: &Self::Value, _out: &mut Vec<u8>) -> Result<(), crate::error::BoxError> {
        Err(crate::error::message("this data model cannot snapshot its values"))
    }
    /// The value [`DataModel::encode_value`] encoded.
    fn decode_value(_bytes: &[u8]) -> Result<Self::Value, crate::error::BoxError> {
        Err(crate::error::message("this data model cannot restore values"))
    }
    /// Appends the encoding of `key`.
    fn encode_key(_key: &Self::Key, _out: &mut Vec<u8>) -> Result<(), crate::error::BoxError> {
        Err(crate::error::message("this data model cannot snapshot its keys"))
    }
    /// The key [`DataModel::encode_key`] encoded.
    fn decode_key(_bytes: &[u8]) -> Result<Self::Key, crate::error::BoxError> {
        Err(crate::error::message("this data model cannot restore keys"))
    }
    /// The hash a key selector gives `key` in this process (restored keys are re-hashed, so the
    /// hash need not be stable across processes).
    fn hash_key(_key: &Self::Key) -> Result<u64, crate::error::BoxError> {
        Err(crate::error::message("this data model cannot hash restored keys"))
    }
    /// Whether [`DataModel::hash_key`] gives every key the same hash in every process, so that
    /// engine files written by another process can be opened as they are (their keys are placed
    /// by key group). Otherwise restored engine files are read and every key is hashed again.
    fn stable_key_hash() -> bool {
        false
    }
}

/// A key with the hash that places it in a key group.
pub struct Keyed<K> {
    pub key: K,
    pub hash: u64,
}

/// The main output of an operator; side outputs have other tags.
pub const MAIN_OUTPUT: u32 = 0;

/// One stream element with its event timestamp (if any) and, after a key selector ran, its key.
pub struct Record<D: DataModel> {
    pub value: D::Value,
    pub timestamp: Option<i64>,
    pub key: Option<Keyed<D::Key>>,
    /// Which output of the operator that emitted it ([`MAIN_OUTPUT`] or a side output's tag).
    pub output: u32,
}

impl<D: DataModel> Record<D> {
    pub fn new(value: D::Value) -> Self {
        Record { value, timestamp: None, key: None, output: MAIN_OUTPUT }
    }

    pub fn with_timestamp(value: D::Value, timestamp: Option<i64>) -> Self {
        Record { value, timestamp, key: None, output: MAIN_OUTPUT }
    }

    /// A copy of this record (value and key duplicated as the data model does it).
    pub fn duplicate(&self) -> Self {
        Record {
            value: D::duplicate(&self.value),
            timestamp: self.timestamp,
            key: self.key.as_ref().map(|k| Keyed { key: D::duplicate_key(&k.key), hash: k.hash }),
            output: self.output,
        }
    }
}
