//! TIMESTAMP columns of CSV files in Flink's text form, `yyyy-MM-dd HH:mm:ss[.fffffffff]`
//! (or with `T`), parsed without arrow's general parser: that one handles time zones and many
//! forms, and costs as much as the rest of a row. The CSV reader reads such columns as text;
//! [`parse_column`] turns the text into timestamps, or gives up (`None`) on anything else, and
//! the file's rows are then parsed by arrow's reader as before (with its errors).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, PrimitiveArray, StringArray};
use arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};

/// The schema the CSV reader reads with: `schema` with its zone-less timestamp columns as
/// text. `None` when there are none.
pub fn text_schema(schema: &SchemaRef) -> Option<SchemaRef> {
    if !schema.fields().iter().any(|f| is_fast(f.data_type())) {
        return None;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| if is_fast(f.data_type()) { Field::new(f.name(), DataType::Utf8, true) } else { f.as_ref().clone() })
        .collect();
    Some(Arc::new(Schema::new(fields)))
}

fn is_fast(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(_, None))
}

/// `text` (read with [`text_schema`]) with its timestamp columns parsed into `schema`'s types;
/// `None` if a value is not in the plain form.
pub fn parse_columns(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Option<Vec<ArrayRef>> {
    columns
        .into_iter()
        .zip(schema.fields().iter())
        .map(|(c, f)| match f.data_type() {
            DataType::Timestamp(unit, None) => parse_column(c.as_any().downcast_ref::<StringArray>()?, *unit),
            _ => Some(c),
        })
        .collect()
}

/// The timestamps of `text` in `unit`; `None` if one is not `yyyy-MM-dd[ T]HH:mm:ss[.f...]`
/// (or does not fit the unit's range: nanoseconds end in 2262).
pub fn parse_column(text: &StringArray, unit: TimeUnit) -> Option<ArrayRef> {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let nanos_per_unit = 1_000_000_000 / per_second;
    let mut values = Vec::with_capacity(text.len());
    for i in 0..text.len() {
        values.push(if text.is_null(i) {
            0
        } else {
            let (seconds, nanos) = parse_parts(text.value(i).as_bytes())?;
            seconds.checked_mul(per_second)?.checked_add(nanos / nanos_per_unit)?
        });
    }
    let nulls = text.nulls().cloned();
    Some(match unit {
        TimeUnit::Second => Arc::new(PrimitiveArray::<TimestampSecondType>::new(values.into(), nulls)),
        TimeUnit::Millisecond => Arc::new(PrimitiveArray::<TimestampMillisecondType>::new(values.into(), nulls)),
        TimeUnit::Microsecond => Arc::new(PrimitiveArray::<TimestampMicrosecondType>::new(values.into(), nulls)),
        TimeUnit::Nanosecond => Arc::new(PrimitiveArray::<TimestampNanosecondType>::new(values.into(), nulls)),
    })
}

/// Seconds since the epoch and nanoseconds of `yyyy-MM-dd[ T]HH:mm:ss[.f{1,9}]`.
fn parse_parts(s: &[u8]) -> Option<(i64, i64)> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !(s[10] == b' ' || s[10] == b'T') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        s[from..to].iter().try_fold(0i64, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut nanos = 0;
    if s.len() > 19 {
        let digits = &s[20..];
        if s[19] != b'.' || digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = num(20, s.len())? * 10i64.pow(9 - digits.len() as u32);
    }
    Some((days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second, nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow_nanos(s: &str) -> i64 {
        arrow::compute::kernels::cast_utils::string_to_timestamp_nanos(s).unwrap()
    }

    fn nanos(s: &str) -> Option<i64> {
        parse_parts(s.as_bytes()).map(|(seconds, nanos)| seconds * 1_000_000_000 + nanos)
    }

    #[test]
    fn plain_forms_parse_as_arrow_parses_them() {
        for s in ["2024-01-01 10:00:00", "2024-01-01 10:00:00.5", "2024-02-29T23:59:59.123", "1969-12-31 23:59:59.999999999", "1900-03-01 00:00:00.000001", "2000-02-29 12:00:00"] {
            assert_eq!(nanos(s), Some(arrow_nanos(s)), "{s}");
        }
    }

    #[test]
    fn other_forms_are_left_to_arrow() {
        for s in ["", "2024-01-01", "2023-02-29 10:00:00", "2100-02-29 10:00:00", "2024-01-01 24:00:00", "2024-01-01 10:00:00.", "2024-01-01 10:00:00.1234567890", "2024-01-01 10:00:00Z", "2024-1-01 10:00:00"] {
            assert_eq!(nanos(s), None, "{s}");
        }
    }

    #[test]
    fn dates_past_the_nanosecond_range_parse_in_milliseconds_only() {
        let text = StringArray::from(vec!["2400-02-29 12:00:00.250"]);
        let ms = parse_column(&text, TimeUnit::Millisecond).unwrap();
        let expected = chrono::NaiveDateTime::parse_from_str("2400-02-29 12:00:00.250", "%Y-%m-%d %H:%M:%S%.f").unwrap().and_utc().timestamp_millis();
        assert_eq!(ms.as_any().downcast_ref::<PrimitiveArray<TimestampMillisecondType>>().unwrap().value(0), expected);
        assert!(parse_column(&text, TimeUnit::Nanosecond).is_none(), "beyond 2262 in nanoseconds: arrow's parser decides");
    }

    #[test]
    fn a_column_keeps_its_nulls_and_unit() {
        let text = StringArray::from(vec![Some("2024-01-01 10:00:00.123"), None]);
        let parsed = parse_column(&text, TimeUnit::Millisecond).unwrap();
        let ms = parsed.as_any().downcast_ref::<PrimitiveArray<TimestampMillisecondType>>().unwrap();
        assert_eq!(ms.value(0), arrow_nanos("2024-01-01 10:00:00.123") / 1_000_000);
        assert!(ms.is_null(1));
        assert!(parse_column(&StringArray::from(vec!["10:00"]), TimeUnit::Millisecond).is_none());
    }
}
