//! The datagen connector: rows of random or sequential values, as Flink's options describe them
//! (`number-of-rows`, `rows-per-second`, `fields.<f>.kind` = random | sequence, `min`, `max`,
//! `length`, `start`, `end`, `max-past`, `null-rate`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    Int8Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::source::{Source, SourcePoll};

use crate::exec::data::{ChangeBatch, TableData};
use crate::exec::snapshot::{Decoder, Encoder};
use crate::types::{SqlType, Typed};

#[derive(Clone, Debug)]
pub enum FieldGen {
    Random { min: Option<f64>, max: Option<f64>, length: usize, max_past_ms: i64, null_rate: f64 },
    Sequence { start: i64, end: i64 },
}

#[derive(Clone, Debug)]
pub struct DatagenSpec {
    pub fields: Vec<(String, Typed, FieldGen)>,
    pub rows: Option<u64>,
    pub rows_per_second: Option<f64>,
    pub schema: arrow::datatypes::SchemaRef,
}

impl DatagenSpec {
    pub fn from_options(columns: &[(String, Typed)], options: &[(String, String)], schema: arrow::datatypes::SchemaRef) -> Result<Self, BoxError> {
        let get = |k: &str| options.iter().find(|(o, _)| o == k).map(|(_, v)| v.as_str());
        let num = |k: &str| -> Result<Option<f64>, BoxError> {
            get(k).map(|v| v.trim().parse::<f64>().map_err(|_| message(format!("datagen option '{k}' must be a number, got '{v}'")))).transpose()
        };
        let mut fields = Vec::new();
        let mut rows = num("number-of-rows")?.map(|n| n as u64);
        for (name, ty) in columns {
            let p = |o: &str| format!("fields.{name}.{o}");
            let kind = get(&p("kind")).unwrap_or("random");
            let gen = match kind {
                "sequence" => {
                    let start = num(&p("start"))?.ok_or_else(|| message(format!("datagen sequence field '{name}' needs 'fields.{name}.start'")))? as i64;
                    let end = num(&p("end"))?.ok_or_else(|| message(format!("datagen sequence field '{name}' needs 'fields.{name}.end'")))? as i64;
                    if end < start {
                        return Err(message(format!("datagen field '{name}': start {start} is after end {end}")));
                    }
                    let n = (end - start + 1) as u64;
                    rows = Some(rows.map_or(n, |r| r.min(n)));
                    FieldGen::Sequence { start, end }
                }
                "random" => FieldGen::Random {
                    min: num(&p("min"))?,
                    max: num(&p("max"))?,
                    length: num(&p("length"))?.map_or(100, |l| l as usize),
                    max_past_ms: match get(&p("max-past")) {
                        Some(v) => super::parse_duration_ms(v).map_err(message)?,
                        None => 0,
                    },
                    null_rate: num(&p("null-rate"))?.unwrap_or(0.0),
                },
                other => return Err(message(format!("datagen field '{name}': unknown kind '{other}' (random or sequence)"))),
            };
            fields.push((name.clone(), ty.clone(), gen));
        }
        Ok(DatagenSpec { fields, rows, rows_per_second: num("rows-per-second")?, schema })
    }
}

/// splitmix64: small, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range_i64(&mut self, min: i64, max: i64) -> i64 {
        let span = (max as i128 - min as i128 + 1) as u128;
        (min as i128 + (self.next() as u128 % span) as i128) as i64
    }
}

pub struct DatagenSource {
    spec: DatagenSpec,
    /// Rows this subtask emits, and the index of its first.
    rows: Option<u64>,
    first: u64,
    emitted: u64,
    rng: Rng,
    started: Option<Instant>,
}

impl DatagenSource {
    pub fn new(spec: DatagenSpec, subtask: usize, parallelism: usize) -> Self {
        let (first, rows) = match spec.rows {
            Some(total) => {
                let p = parallelism as u64;
                let i = subtask as u64;
                let share = total / p + u64::from(i < total % p);
                let first = i * (total / p) + i.min(total % p);
                (first, Some(share))
            }
            None => (0, None),
        };
        DatagenSource { spec, rows, first, emitted: 0, rng: Rng(0x5EED ^ (subtask as u64) << 32), started: None }
    }

    fn column(&mut self, ty: &SqlType, gen: &FieldGen, n: usize) -> Result<ArrayRef, BoxError> {
        let base = self.first + self.emitted;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        macro_rules! ints {
            ($arr:ty, $t:ty, $lo:expr, $hi:expr) => {{
                let values: $arr = (0..n as u64)
                    .map(|i| match gen {
                        FieldGen::Sequence { start, .. } => Some((start + (base + i) as i64) as $t),
                        FieldGen::Random { min, max, null_rate, .. } => {
                            if *null_rate > 0.0 && self.rng.unit() < *null_rate {
                                None
                            } else {
                                Some(self.rng.range_i64(min.map_or($lo, |m| m as i64), max.map_or($hi, |m| m as i64)) as $t)
                            }
                        }
                    })
                    .collect();
                Arc::new(values) as ArrayRef
            }};
        }
        Ok(match ty {
            SqlType::TinyInt => ints!(Int8Array, i8, i8::MIN as i64, i8::MAX as i64),
            SqlType::SmallInt => ints!(Int16Array, i16, i16::MIN as i64, i16::MAX as i64),
            SqlType::Int => ints!(Int32Array, i32, i32::MIN as i64, i32::MAX as i64),
            SqlType::BigInt => ints!(Int64Array, i64, i64::MIN, i64::MAX),
            SqlType::Float | SqlType::Double | SqlType::Decimal(..) => {
                let values: Vec<f64> = (0..n as u64)
                    .map(|i| match gen {
                        FieldGen::Sequence { start, .. } => (start + (base + i) as i64) as f64,
                        FieldGen::Random { min, max, .. } => {
                            let (lo, hi) = (min.unwrap_or(f32::MIN as f64), max.unwrap_or(f32::MAX as f64));
                            lo + self.rng.unit() * (hi - lo)
                        }
                    })
                    .collect();
                match ty {
                    SqlType::Float => Arc::new(Float32Array::from(values.iter().map(|v| *v as f32).collect::<Vec<_>>())),
                    SqlType::Double => Arc::new(Float64Array::from(values)),
                    SqlType::Decimal(p, s) => {
                        let scale = 10f64.powi(*s as i32);
                        Arc::new(
                            Decimal128Array::from(values.iter().map(|v| (v * scale).round() as i128).collect::<Vec<_>>())
                                .with_precision_and_scale(*p, *s)?,
                        )
                    }
                    _ => unreachable!(),
                }
            }
            SqlType::Boolean => Arc::new(BooleanArray::from((0..n).map(|_| self.rng.next() & 1 == 1).collect::<Vec<_>>())),
            SqlType::Varchar(_) | SqlType::Char(_) => {
                let values: StringArray = (0..n as u64)
                    .map(|i| match gen {
                        FieldGen::Sequence { start, .. } => Some((start + (base + i) as i64).to_string()),
                        FieldGen::Random { length, .. } => Some(
                            (0..*length).map(|_| char::from(b"0123456789abcdef"[(self.rng.next() % 16) as usize])).collect::<String>(),
                        ),
                    })
                    .collect();
                Arc::new(values)
            }
            SqlType::Timestamp(_) | SqlType::TimestampLtz(_) => {
                let values: Vec<i64> = (0..n)
                    .map(|_| match gen {
                        FieldGen::Random { max_past_ms, .. } if *max_past_ms > 0 => now - self.rng.range_i64(0, *max_past_ms),
                        _ => now,
                    })
                    .collect();
                let a = TimestampMillisecondArray::from(values);
                if matches!(ty, SqlType::TimestampLtz(_)) {
                    Arc::new(a.with_timezone("UTC"))
                } else {
                    Arc::new(a)
                }
            }
            SqlType::Date => Arc::new(Date32Array::from((0..n).map(|_| (now / 86_400_000) as i32).collect::<Vec<_>>())),
            other => return Err(message(format!("datagen cannot generate values of type {other}"))),
        })
    }
}

impl Source<TableData> for DatagenSource {
    /// Its position: rows emitted and the generator's state (a restored source goes on with
    /// the same values; `rows-per-second` paces from the restore on).
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        state.list(Encoder::new().u64(self.emitted).u64(self.rng.0).finish());
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        for element in &state.list {
            let mut d = Decoder::new(element, "datagen source");
            (self.emitted, self.rng.0) = (d.u64()?, d.u64()?);
            d.end()?;
        }
        Ok(())
    }

    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<TableData>, BoxError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let mut n = max_records.max(1) as u64;
        if let Some(total) = self.rows {
            if self.emitted >= total {
                return Ok(SourcePoll::Finished);
            }
            n = n.min(total - self.emitted);
        }
        if let Some(rate) = self.spec.rows_per_second {
            let allowed = (started.elapsed().as_secs_f64() * rate) as u64 + 1;
            if self.emitted >= allowed {
                std::thread::sleep(Duration::from_millis(5));
                return Ok(SourcePoll::Pending);
            }
            n = n.min(allowed - self.emitted);
        }
        let fields = self.spec.fields.clone();
        let columns = fields.iter().map(|(_, t, g)| self.column(&t.ty, g, n as usize)).collect::<Result<Vec<_>, _>>()?;
        self.emitted += n;
        let schema = crate::exec::calc::relaxed(&self.spec.schema);
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n as usize));
        let batch = RecordBatch::try_new_with_options(schema, columns, &options)?;
        Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(batch))]))
    }
}
