//! Flink built-in functions DataFusion has no equivalent of, as DataFusion scalar UDFs.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMillisecondType};
use datafusion_common::ScalarValue;
use datafusion_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};

pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(Mod::new())),
        Arc::new(ScalarUDF::from(ToTimestampLtz::new())),
        Arc::new(create_udf(
            "json_value",
            vec![DataType::Utf8, DataType::Utf8],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(|args| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let (docs, paths) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
                let out: StringArray = docs
                    .iter()
                    .zip(paths.iter())
                    .map(|(doc, path)| json_value(doc?, path?))
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        )),
        Arc::new(create_udf(
            "date_format",
            vec![DataType::Timestamp(TimeUnit::Millisecond, None), DataType::Utf8],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(|args| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let (ts, fmts) = (arrays[0].as_primitive::<TimestampMillisecondType>(), arrays[1].as_string::<i32>());
                let out: StringArray = ts
                    .iter()
                    .zip(fmts.iter())
                    .map(|(t, f)| {
                        let dt = chrono::DateTime::from_timestamp_millis(t?)?.naive_utc();
                        Some(dt.format(&java_pattern_to_chrono(f?)).to_string())
                    })
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        )),
        Arc::new(create_udf(
            "timestampdiff",
            vec![DataType::Utf8, DataType::Timestamp(TimeUnit::Millisecond, None), DataType::Timestamp(TimeUnit::Millisecond, None)],
            DataType::Int32,
            Volatility::Immutable,
            Arc::new(|args| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let units = arrays[0].as_string::<i32>();
                let (a, b) = (arrays[1].as_primitive::<TimestampMillisecondType>(), arrays[2].as_primitive::<TimestampMillisecondType>());
                let out: arrow::array::Int32Array = (0..a.len())
                    .map(|i| {
                        if units.is_null(i) || a.is_null(i) || b.is_null(i) {
                            return None;
                        }
                        timestamp_diff(units.value(i), a.value(i), b.value(i))
                    })
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        )),
        Arc::new(create_udf(
            "timestampadd",
            vec![DataType::Utf8, DataType::Int32, DataType::Timestamp(TimeUnit::Millisecond, None)],
            DataType::Timestamp(TimeUnit::Millisecond, None),
            Volatility::Immutable,
            Arc::new(|args| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let units = arrays[0].as_string::<i32>();
                let (n, ts) = (arrays[1].as_primitive::<arrow::datatypes::Int32Type>(), arrays[2].as_primitive::<TimestampMillisecondType>());
                let out: arrow::array::TimestampMillisecondArray = (0..ts.len())
                    .map(|i| {
                        if units.is_null(i) || n.is_null(i) || ts.is_null(i) {
                            return None;
                        }
                        timestamp_add(units.value(i), n.value(i), ts.value(i))
                    })
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        )),
        Arc::new(create_udf(
            "proctime",
            vec![],
            DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("UTC"))),
            Volatility::Volatile,
            Arc::new(|_args| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_default();
                Ok(ColumnarValue::Scalar(ScalarValue::TimestampMillisecond(Some(now), Some(Arc::from("UTC")))))
            }),
        )),
    ]
}

/// Flink's `MOD(a, b)`: the remainder, typed as the second argument (`MOD(BIGINT, INT)` is an INT).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Mod {
    signature: datafusion_expr::Signature,
}

impl Mod {
    fn new() -> Self {
        let ints = [DataType::Int8, DataType::Int16, DataType::Int32, DataType::Int64];
        let mut exact = Vec::new();
        for a in &ints {
            for b in &ints {
                exact.push(datafusion_expr::TypeSignature::Exact(vec![a.clone(), b.clone()]));
            }
        }
        Mod { signature: datafusion_expr::Signature::one_of(exact, Volatility::Immutable) }
    }
}

impl datafusion_expr::ScalarUDFImpl for Mod {
    fn name(&self) -> &str {
        "mod"
    }

    fn signature(&self) -> &datafusion_expr::Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> datafusion_common::Result<DataType> {
        Ok(arg_types[1].clone())
    }

    fn invoke_with_args(&self, args: datafusion_expr::ScalarFunctionArgs) -> datafusion_common::Result<ColumnarValue> {
        let target = args.return_field.data_type().clone();
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let a = arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let b = arrow::compute::cast(&arrays[1], &DataType::Int64)?;
        let (a, b) = (a.as_primitive::<Int64Type>(), b.as_primitive::<Int64Type>());
        let out: Int64Array = a
            .iter()
            .zip(b.iter())
            .map(|(a, b)| match (a, b) {
                (Some(a), Some(b)) if b != 0 => Some(a % b),
                _ => None,
            })
            .collect();
        Ok(ColumnarValue::Array(arrow::compute::cast(&out, &target)?))
    }
}

/// Flink's `TO_TIMESTAMP_LTZ(epoch[, precision])`: epoch seconds (precision 0) or milliseconds
/// (3, the default) as a TIMESTAMP_LTZ(3).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToTimestampLtz {
    signature: datafusion_expr::Signature,
}

impl ToTimestampLtz {
    fn new() -> Self {
        use datafusion_expr::TypeSignature::Exact;
        let forms = [DataType::Int64, DataType::Float64].into_iter().flat_map(|n| [Exact(vec![n.clone()]), Exact(vec![n, DataType::Int32])]).collect();
        ToTimestampLtz { signature: datafusion_expr::Signature::one_of(forms, Volatility::Immutable) }
    }
}

impl datafusion_expr::ScalarUDFImpl for ToTimestampLtz {
    fn name(&self) -> &str {
        "to_timestamp_ltz"
    }

    fn signature(&self) -> &datafusion_expr::Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion_common::Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("UTC"))))
    }

    fn invoke_with_args(&self, args: datafusion_expr::ScalarFunctionArgs) -> datafusion_common::Result<ColumnarValue> {
        let factor = match args.args.get(1) {
            None => 1,
            Some(ColumnarValue::Scalar(ScalarValue::Int32(Some(0)))) => 1000,
            Some(ColumnarValue::Scalar(ScalarValue::Int32(Some(3)))) => 1,
            Some(p) => {
                let p = match p {
                    ColumnarValue::Scalar(v) => v.to_string(),
                    ColumnarValue::Array(_) => "a column".to_string(),
                };
                return datafusion_common::plan_err!(
                    "The precision value '{p}' for function TO_TIMESTAMP_LTZ(numeric, precision) is unsupported, the supported value is in {{ 0, 3 }}."
                );
            }
        };
        let epoch = ColumnarValue::values_to_arrays(&args.args[..1])?.remove(0);
        let millis: arrow::array::TimestampMillisecondArray = match epoch.data_type() {
            DataType::Float64 => epoch.as_primitive::<arrow::datatypes::Float64Type>().iter().map(|v| v.map(|v| (v * factor as f64) as i64)).collect(),
            _ => epoch.as_primitive::<Int64Type>().iter().map(|v| v.and_then(|v| v.checked_mul(factor))).collect(),
        };
        Ok(ColumnarValue::Array(Arc::new(millis.with_timezone("UTC"))))
    }
}

/// Flink's `TIMESTAMPDIFF(unit, a, b)`: whole units from `a` to `b`, truncated toward zero.
fn timestamp_diff(unit: &str, a: i64, b: i64) -> Option<i32> {
    let ms = b - a;
    let per = match unit {
        "MONTH" | "QUARTER" | "YEAR" => {
            use chrono::Datelike;
            let (da, db) = (chrono::DateTime::from_timestamp_millis(a)?.naive_utc(), chrono::DateTime::from_timestamp_millis(b)?.naive_utc());
            let mut months = (db.year() - da.year()) * 12 + db.month() as i32 - da.month() as i32;
            // A month only counts once its day and time are reached.
            let later_in_month = |x: &chrono::NaiveDateTime, y: &chrono::NaiveDateTime| (x.day(), x.time()) > (y.day(), y.time());
            if months > 0 && later_in_month(&da, &db) {
                months -= 1;
            } else if months < 0 && later_in_month(&db, &da) {
                months += 1;
            }
            return Some(match unit {
                "MONTH" => months,
                "QUARTER" => months / 3,
                _ => months / 12,
            });
        }
        other => unit_ms(other)?,
    };
    i32::try_from(ms / per).ok()
}

/// Flink's `TIMESTAMPADD(unit, n, ts)`: `ts` moved by `n` units (months keep the day where it exists).
fn timestamp_add(unit: &str, n: i32, ts: i64) -> Option<i64> {
    let months = match unit {
        "MONTH" => n,
        "QUARTER" => n.checked_mul(3)?,
        "YEAR" => n.checked_mul(12)?,
        _ => return ts.checked_add(i64::from(n).checked_mul(unit_ms(unit)?)?),
    };
    let dt = chrono::DateTime::from_timestamp_millis(ts)?.naive_utc();
    let moved = if months >= 0 { dt.checked_add_months(chrono::Months::new(months as u32)) } else { dt.checked_sub_months(chrono::Months::new(months.unsigned_abs())) }?;
    Some(moved.and_utc().timestamp_millis())
}

/// Milliseconds of a fixed-length unit of TIMESTAMPADD / TIMESTAMPDIFF.
fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit {
        "MILLISECOND" => 1,
        "SECOND" => 1000,
        "MINUTE" => 60_000,
        "HOUR" => 3_600_000,
        "DAY" => 86_400_000,
        "WEEK" => 7 * 86_400_000,
        _ => return None,
    })
}

/// Flink's `JSON_VALUE(doc, path)` in its default mode: the scalar at `path` as a string, NULL
/// when the path is missing, the document invalid, or the value not a scalar.
fn json_value(doc: &str, path: &str) -> Option<String> {
    let root: serde_json::Value = serde_json::from_str(doc).ok()?;
    let mut value = &root;
    let rest = path.trim().strip_prefix('$')?;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                value = value.get(&key)?;
            }
            '[' => {
                let mut inner = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    inner.push(n);
                }
                let inner = inner.trim();
                value = if let Some(key) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    value.get(key)?
                } else {
                    value.get(inner.parse::<usize>().ok()?)?
                };
            }
            _ => return None,
        }
    }
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A Java `SimpleDateFormat` pattern as a chrono format string (the letters Flink users write).
fn java_pattern_to_chrono(pattern: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let piece = match (c, n) {
            ('y', 2) => "%y".to_string(),
            ('y', _) => "%Y".to_string(),
            ('M', 1) => "%-m".to_string(),
            ('M', 2) => "%m".to_string(),
            ('M', 3) => "%b".to_string(),
            ('M', _) => "%B".to_string(),
            ('d', 1) => "%-d".to_string(),
            ('d', _) => "%d".to_string(),
            ('H', 1) => "%-H".to_string(),
            ('H', _) => "%H".to_string(),
            ('h', _) => "%I".to_string(),
            ('m', 1) => "%-M".to_string(),
            ('m', _) => "%M".to_string(),
            ('s', 1) => "%-S".to_string(),
            ('s', _) => "%S".to_string(),
            ('S', n) => format!("%{}f", n.min(9)),
            ('a', _) => "%p".to_string(),
            ('E', _) => "%a".to_string(),
            ('%', _) => "%%".repeat(n),
            (other, n) => other.to_string().repeat(n),
        };
        out.push_str(&piece);
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        let doc = r#"{"a": {"b": [10, "x"]}, "c": true, "d": null}"#;
        assert_eq!(json_value(doc, "$.a.b[0]").as_deref(), Some("10"));
        assert_eq!(json_value(doc, "$.a.b[1]").as_deref(), Some("x"));
        assert_eq!(json_value(doc, "$['c']").as_deref(), Some("true"));
        assert_eq!(json_value(doc, "$.d"), None);
        assert_eq!(json_value(doc, "$.missing"), None);
        assert_eq!(json_value("not json", "$.a"), None);
    }

    #[test]
    fn java_date_patterns() {
        assert_eq!(java_pattern_to_chrono("yyyy-MM-dd HH:mm:ss.SSS"), "%Y-%m-%d %H:%M:%S.%3f");
    }
}
