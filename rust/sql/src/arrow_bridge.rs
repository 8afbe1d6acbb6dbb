//! Arrow batches crossing between the host program and the engine: batches handed in
//! (`from_pandas`) conformed to a table's declared columns, and a query's changelog handed back
//! (`to_pandas`) as its final rows, as PyFlink materializes an updating table for pandas.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::row::{OwnedRow, RowConverter, SortField};

use crate::error::{Result, SqlError};
use crate::exec::data::ChangeBatch;
use crate::types::Typed;

/// The Arrow schema of `columns` as the engine lays them out.
pub fn schema_of(columns: &[(String, Typed)]) -> SchemaRef {
    Arc::new(Schema::new(columns.iter().map(|(n, t)| Field::new(n, t.ty.to_arrow(), true)).collect::<Vec<_>>()))
}

/// `batch` with its columns (by position) cast to the types of `columns` and renamed. A value
/// that does not fit its column (a string that is no number, an overflowing integer) or a NULL
/// in a NOT NULL column is an error naming the column.
pub fn conform(columns: &[(String, Typed)], batch: &RecordBatch) -> Result<RecordBatch> {
    if batch.num_columns() != columns.len() {
        return Err(SqlError::Validation(format!(
            "the data has {} columns ({}), the schema {} ({})",
            batch.num_columns(),
            batch.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
            columns.len(),
            columns.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let safe = CastOptions { safe: false, ..Default::default() };
    let arrays = batch
        .columns()
        .iter()
        .zip(columns)
        .zip(batch.schema().fields())
        .map(|((array, (name, ty)), given)| {
            if !ty.nullable && array.null_count() > 0 {
                return Err(SqlError::Validation(format!("column '{name}' is {ty} but the data holds NULL values")));
            }
            cast_with_options(array, &ty.ty.to_arrow(), &safe).map_err(|e| {
                SqlError::Type(format!("column '{name}': cannot convert the data's {} values to {ty}: {e}", given.data_type()))
            })
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema_of(columns), arrays, &options).map_err(|e| SqlError::Type(e.to_string()))
}

/// The rows a changelog leaves: `+I`/`+U` add a row, `-U`/`-D` take back the latest equal row
/// still present (rows compare by value, as Flink's materializing collect does). Rows stay in the
/// order they were added.
pub struct Materializer {
    schema: SchemaRef,
    converter: RowConverter,
    rows: Vec<Option<OwnedRow>>,
    /// Positions in `rows` of the rows present, per row value.
    present: HashMap<OwnedRow, Vec<usize>>,
}

impl Materializer {
    pub fn new(schema: SchemaRef) -> Result<Self> {
        let fields = schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect();
        let converter = RowConverter::new(fields).map_err(|e| SqlError::Unsupported(format!("cannot materialize this result: {e}")))?;
        Ok(Materializer { schema, converter, rows: Vec::new(), present: HashMap::new() })
    }

    pub fn push(&mut self, batch: &ChangeBatch) -> Result<()> {
        let rows = self.converter.convert_columns(batch.batch.columns()).map_err(|e| SqlError::Type(e.to_string()))?;
        for (i, row) in rows.iter().enumerate() {
            let row = row.owned();
            if batch.kind(i).is_accumulate() {
                self.present.entry(row.clone()).or_default().push(self.rows.len());
                self.rows.push(Some(row));
            } else if let Some(at) = self.present.get_mut(&row).and_then(|v| v.pop()) {
                self.rows[at] = None;
            }
        }
        Ok(())
    }

    /// The rows left, as one batch.
    pub fn finish(self) -> Result<RecordBatch> {
        let left: Vec<OwnedRow> = self.rows.into_iter().flatten().collect();
        let columns = self.converter.convert_rows(left.iter().map(|r| r.row())).map_err(|e| SqlError::Type(e.to_string()))?;
        let options = RecordBatchOptions::new().with_row_count(Some(left.len()));
        RecordBatch::try_new_with_options(self.schema, columns, &options).map_err(|e| SqlError::Type(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::data::RowKind;
    use crate::types::parse_type;
    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::Int64Type;

    #[test]
    fn conform_casts_and_names_bad_columns() {
        let batch = RecordBatch::try_from_iter(vec![
            ("x", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("y", Arc::new(StringArray::from(vec!["3", "oops"])) as ArrayRef),
        ])
        .unwrap();
        let ok = vec![("a".to_string(), parse_type("INT").unwrap()), ("b".to_string(), parse_type("STRING").unwrap())];
        let out = conform(&ok, &batch).unwrap();
        assert_eq!(out.schema().field(0).name(), "a");
        assert_eq!(out.column(0).data_type(), &arrow::datatypes::DataType::Int32);
        let bad = vec![("a".to_string(), parse_type("INT").unwrap()), ("b".to_string(), parse_type("BIGINT").unwrap())];
        let err = conform(&bad, &batch).unwrap_err().to_string();
        assert!(err.contains("column 'b'") && err.contains("BIGINT"), "{err}");
        let err = conform(&ok[..1], &batch).unwrap_err().to_string();
        assert!(err.contains("2 columns (x, y), the schema 1 (a)"), "{err}");
    }

    #[test]
    fn materializer_keeps_the_rows_a_changelog_leaves() {
        let schema = Arc::new(Schema::new(vec![Field::new("k", arrow::datatypes::DataType::Int64, true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 1, 3, 2, 4]))]).unwrap();
        use RowKind::*;
        let kinds: Arc<[RowKind]> = Arc::from(vec![Insert, Insert, UpdateBefore, Insert, Delete, UpdateAfter]);
        let mut m = Materializer::new(schema).unwrap();
        m.push(&ChangeBatch { batch, kinds: Some(kinds) }).unwrap();
        let out = m.finish().unwrap();
        assert_eq!(out.column(0).as_primitive::<Int64Type>().values().to_vec(), vec![3, 4]);
    }
}
