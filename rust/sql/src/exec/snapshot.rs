//! The encoding of SQL operator state in snapshots, shared by every SQL operator.
//!
//! A keyed entry's key is the routing hash of its row key (`partition::hash_columns`), so the
//! runtime hands it, on restore, to the subtask owning that key group; its payload is written
//! with [`Encoder`]: integers, byte strings and Arrow columns. Columns are stored as their type
//! (`DataType`'s text form, which `DataType::from_str` reads back) and their rows in Arrow's row
//! format, which is lossless for every type SQL values take here.

use std::str::FromStr;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, SortField};
use datafusion_common::ScalarValue;
use oxflow_core::error::{message, BoxError};

use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};

use super::data::TableData;
use super::keys::KeyEncoder;
use super::partition::hash_columns;

/// Appends the parts of one payload.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    pub fn new() -> Self {
        Encoder::default()
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.u64(v as u64)
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u64(v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }

    /// Columns of equal length (none is fine).
    pub fn columns(&mut self, columns: &[ArrayRef]) -> Result<&mut Self, BoxError> {
        self.u64(columns.len() as u64);
        if columns.is_empty() {
            return Ok(self);
        }
        for c in columns {
            self.bytes(c.data_type().to_string().as_bytes());
        }
        let rows = converter(columns.iter().map(|c| c.data_type().clone()))?.convert_columns(columns)?;
        self.u64(rows.num_rows() as u64);
        for row in rows.iter() {
            self.bytes(row.as_ref());
        }
        Ok(self)
    }

    /// Scalars (one row of one column each).
    pub fn scalars(&mut self, values: &[ScalarValue]) -> Result<&mut Self, BoxError> {
        let columns = values.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
        self.columns(&columns)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Reads what [`Encoder`] wrote, in the same order; `what` names the state in errors.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    what: &'a str,
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8], what: &'a str) -> Self {
        Decoder { bytes, what }
    }

    fn corrupt(&self, detail: &str) -> BoxError {
        message(format!("corrupt {} state in the snapshot: {detail}", self.what))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], BoxError> {
        if self.bytes.len() < n {
            return Err(self.corrupt("it ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u64(&mut self) -> Result<u64, BoxError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    pub fn i64(&mut self) -> Result<i64, BoxError> {
        Ok(self.u64()? as i64)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], BoxError> {
        let n = self.u64()? as usize;
        self.take(n)
    }

    pub fn columns(&mut self) -> Result<Vec<ArrayRef>, BoxError> {
        let n = self.u64()? as usize;
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut types = Vec::with_capacity(n);
        for _ in 0..n {
            let text = std::str::from_utf8(self.bytes()?).map_err(|_| self.corrupt("a column type is not text"))?;
            types.push(DataType::from_str(text).map_err(|e| self.corrupt(&format!("column type '{text}': {e}")))?);
        }
        let converter = converter(types)?;
        let parser = converter.parser();
        let rows = self.u64()? as usize;
        let mut parsed = Vec::with_capacity(rows);
        for _ in 0..rows {
            parsed.push(parser.parse(self.bytes()?));
        }
        Ok(converter.convert_rows(parsed)?)
    }

    pub fn scalars(&mut self) -> Result<Vec<ScalarValue>, BoxError> {
        self.columns()?.iter().map(|c| ScalarValue::try_from_array(c, 0).map_err(BoxError::from)).collect()
    }

    /// Fails unless everything was read.
    pub fn end(&self) -> Result<(), BoxError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt("unexpected bytes at its end"))
        }
    }
}

fn converter(types: impl IntoIterator<Item = DataType>) -> Result<RowConverter, BoxError> {
    Ok(RowConverter::new(types.into_iter().map(SortField::new).collect())?)
}

/// The routing hash of each encoded key (as `KeyPartitioner` computed it for the key's rows).
pub fn key_hashes<'a>(encoder: &KeyEncoder, keys: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u64>, BoxError> {
    let keys: Vec<&[u8]> = keys.into_iter().collect();
    let columns = encoder.decode(keys.iter().copied())?;
    let mut hashes = vec![0; keys.len()];
    hash_columns(&columns, &mut hashes)?;
    Ok(hashes)
}

/// Writes `(encoded key, payload)` entries, each keyed by its key's routing hash.
pub fn write_keyed(state: &mut SnapshotWriter<'_, TableData>, encoder: &KeyEncoder, entries: Vec<(&[u8], Vec<u8>)>) -> Result<(), BoxError> {
    let hashes = key_hashes(encoder, entries.iter().map(|e| e.0))?;
    for ((_, payload), hash) in entries.into_iter().zip(hashes) {
        state.keyed(&hash, payload)?;
    }
    Ok(())
}

/// Writes keyed entries, and as list state the entries of rows whose key has a NULL (they
/// belong to no key group, so any subtask may take them back).
pub fn write_keyed_and_unkeyed(state: &mut SnapshotWriter<'_, TableData>, encoder: &KeyEncoder, entries: (Vec<(&[u8], Vec<u8>)>, Vec<Vec<u8>>)) -> Result<(), BoxError> {
    write_keyed(state, encoder, entries.0)?;
    entries.1.into_iter().for_each(|e| state.list(e));
    Ok(())
}

/// Refuses restored broadcast state, which operators that keep keyed and list state never wrote.
pub fn no_broadcast(state: &RestoredState<TableData>, what: &str) -> Result<(), BoxError> {
    match state.broadcast {
        None => Ok(()),
        Some(_) => Err(message(format!("the snapshot holds broadcast state for the {what} operator, which keeps none"))),
    }
}

/// Refuses restored list or broadcast state, which operators that keep only keyed state never
/// wrote (it would come from another operator under the same uid).
pub fn keyed_only(state: &RestoredState<TableData>, what: &str) -> Result<(), BoxError> {
    if state.list.is_empty() && state.broadcast.is_none() {
        Ok(())
    } else {
        Err(message(format!("the snapshot holds non-keyed state for the {what} operator, which keeps keyed state only")))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};

    use super::*;

    #[test]
    fn columns_and_scalars_round_trip() {
        let columns: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])), Arc::new(StringArray::from(vec![Some("a"), Some("b"), None]))];
        let scalars = vec![ScalarValue::Int64(Some(7)), ScalarValue::Utf8(None), ScalarValue::Float64(Some(0.5))];
        let bytes = Encoder::new().u64(9).columns(&columns).unwrap().scalars(&scalars).unwrap().bytes(b"key").finish();
        let mut d = Decoder::new(&bytes, "test");
        assert_eq!(d.u64().unwrap(), 9);
        let back = d.columns().unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].as_ref(), columns[0].as_ref());
        assert_eq!(back[1].as_ref(), columns[1].as_ref());
        assert_eq!(d.scalars().unwrap(), scalars);
        assert_eq!(d.bytes().unwrap(), b"key");
        d.end().unwrap();
        let err = Decoder::new(&bytes[..5], "test").u64().unwrap_err().to_string();
        assert!(err.contains("corrupt test state"), "{err}");
    }
}
