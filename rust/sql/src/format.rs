//! Values as Flink shows them: in `TableResult.print()`'s tableau (`2024-01-01 10:00:00.000`,
//! `TRUE`, `<NULL>`, columns sized by type) and in the print connector's `+I[...]` lines (Java's
//! `toString`: `2024-01-01T10:00`, `true`, `null`).

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use unicode_width::UnicodeWidthStr;

use crate::exec::data::ChangeBatch;
use crate::types::SqlType;

/// The Flink types of the columns being formatted (Arrow loses precisions and CHAR lengths).
#[derive(Clone, Debug, Default)]
pub struct FormatOptions {
    pub types: Vec<SqlType>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Tableau,
    Java,
}

/// Java's `Double.toString`: the shortest digits that round-trip, in plain notation for
/// magnitudes in [1e-3, 1e7) and computerized scientific notation (`1.0E10`) outside it.
pub fn java_double(v: f64) -> String {
    java_float_text(v, format!("{v:e}"))
}

/// Java's `Float.toString` (the shortest digits of the 32-bit value).
pub fn java_float(v: f32) -> String {
    java_float_text(v as f64, format!("{v:e}"))
}

fn java_float_text(v: f64, sci: String) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // `sci` is Rust's shortest round-trip form, e.g. "1.2345e3" or "-5e-4".
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        let point = exp + 1;
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        format!("{sign}{text}")
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{}E{}", &digits[..1], rest, exp)
    }
}

/// A decimal without trailing zeros (Java's `BigDecimal.stripTrailingZeros().toPlainString()`).
pub fn decimal_plain(v: i128, scale: i8) -> String {
    let t = decimal_text(v, scale);
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

/// A decimal with all its scale's digits (`27.50`).
pub fn decimal_string(v: i128, scale: i8) -> String {
    decimal_text(v, scale)
}

/// The unscaled value of decimal text at `scale` (rounding half up), if it is a number.
pub fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty() || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let scale = scale.max(0) as usize;
    let mut digits: String = int.to_string();
    let kept: String = frac.chars().take(scale).collect();
    digits.push_str(&kept);
    digits.push_str(&"0".repeat(scale - kept.len()));
    let mut v: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    if frac.chars().nth(scale).is_some_and(|c| c >= '5') {
        v += 1;
    }
    Some(if negative { -v } else { v })
}

fn decimal_text(v: i128, scale: i8) -> String {
    if scale <= 0 {
        return (v * 10i128.pow((-scale) as u32)).to_string();
    }
    let negative = v < 0;
    let digits = v.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale { format!("{}{}", "0".repeat(scale - digits.len() + 1), digits) } else { digits };
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if negative { "-" } else { "" })
}

/// Date and time of `ms`-precision parts: (days since epoch, nanos of day).
fn split_nanos(nanos: i128) -> (i64, i64) {
    let day = 86_400_000_000_000i128;
    (nanos.div_euclid(day) as i64, nanos.rem_euclid(day) as i64)
}

fn date_text(days: i64) -> String {
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(days as i32 + 719_163).unwrap_or_default();
    date.format("%Y-%m-%d").to_string()
}

fn time_text(nanos_of_day: i64, precision: Option<u8>, style: Style) -> String {
    let secs = nanos_of_day / 1_000_000_000;
    let frac = nanos_of_day % 1_000_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match style {
        Style::Tableau => {
            let p = precision.unwrap_or(3) as usize;
            if p == 0 {
                format!("{h:02}:{m:02}:{s:02}")
            } else {
                format!("{h:02}:{m:02}:{s:02}.{}", &format!("{frac:09}")[..p])
            }
        }
        // java.time.LocalTime.toString: seconds and fraction only when not zero, the fraction
        // in groups of three digits.
        Style::Java => {
            let mut t = format!("{h:02}:{m:02}");
            if s != 0 || frac != 0 {
                t.push_str(&format!(":{s:02}"));
            }
            if frac != 0 {
                let f = if frac % 1_000_000 == 0 {
                    format!("{:03}", frac / 1_000_000)
                } else if frac % 1000 == 0 {
                    format!("{:06}", frac / 1000)
                } else {
                    format!("{frac:09}")
                };
                t.push('.');
                t.push_str(&f);
            }
            t
        }
    }
}

fn timestamp_nanos(array: &ArrayRef, row: usize) -> Option<i128> {
    let DataType::Timestamp(unit, _) = array.data_type() else { return None };
    Some(match unit {
        TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(row) as i128 * 1_000_000_000,
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(row) as i128 * 1_000_000,
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row) as i128 * 1000,
        TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(row) as i128,
    })
}

fn value_text(array: &ArrayRef, row: usize, ty: Option<&SqlType>, style: Style) -> String {
    if array.is_null(row) {
        return match style {
            Style::Tableau => "<NULL>".into(),
            Style::Java => "null".into(),
        };
    }
    match array.data_type() {
        DataType::Boolean => {
            let b = array.as_boolean().value(row);
            match (style, b) {
                (Style::Tableau, true) => "TRUE".into(),
                (Style::Tableau, false) => "FALSE".into(),
                (Style::Java, b) => b.to_string(),
            }
        }
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float32 => java_float(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => java_double(array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal128(_, s) => decimal_text(array.as_primitive::<Decimal128Type>().value(row), *s),
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Date32 => date_text(array.as_primitive::<Date32Type>().value(row) as i64),
        DataType::Timestamp(..) => {
            let nanos = timestamp_nanos(array, row).unwrap_or_default();
            let (days, of_day) = split_nanos(nanos);
            let precision = match ty {
                Some(SqlType::Timestamp(p) | SqlType::TimestampLtz(p)) => Some(*p),
                _ => None,
            };
            let sep = if style == Style::Java { "T" } else { " " };
            format!("{}{sep}{}", date_text(days), time_text(of_day, precision, style))
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            let ms = arrow::compute::cast(&array.slice(row, 1), &DataType::Time64(TimeUnit::Nanosecond))
                .ok()
                .map(|a| a.as_primitive::<arrow::datatypes::Time64NanosecondType>().value(0))
                .unwrap_or_default();
            let precision = match ty {
                Some(SqlType::Time(p)) => Some(*p),
                _ => Some(0),
            };
            time_text(ms, precision, style)
        }
        DataType::Binary => {
            let b = array.as_binary::<i32>().value(row);
            format!("x'{}'", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let items = list.value(row);
            let inner = match ty {
                Some(SqlType::Array(t)) => Some(t.ty.clone()),
                _ => None,
            };
            let parts: Vec<String> = (0..items.len()).map(|i| value_text(&items, i, inner.as_ref(), Style::Java)).collect();
            format!("[{}]", parts.join(", "))
        }
        DataType::Struct(_) => {
            let s = array.as_struct();
            let parts: Vec<String> = s.columns().iter().map(|c| value_text(c, row, None, Style::Java)).collect();
            format!("({})", parts.join(", "))
        }
        DataType::Map(..) => {
            let m = array.as_map();
            let entries = m.value(row);
            let (k, v) = (entries.column(0), entries.column(1));
            let parts: Vec<String> = (0..entries.len())
                .map(|i| format!("{}={}", value_text(k, i, None, Style::Java), value_text(v, i, None, Style::Java)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        _ => arrow::util::display::array_value_to_string(array, row).unwrap_or_default(),
    }
}

/// `+I[1, abc, 2024-01-01T10:00]`: a row as Flink's print connector writes it.
pub fn print_connector_row(batch: &ChangeBatch, row: usize, options: &FormatOptions) -> Result<String, arrow::error::ArrowError> {
    let values: Vec<String> = batch
        .batch
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| value_text(c, row, options.types.get(i), Style::Java))
        .collect();
    Ok(format!("{}[{}]", batch.kind(row).short(), values.join(", ")))
}

/// The tableau's widest column unless the type needs more (DECIMAL does).
const MAX_COLUMN_WIDTH: usize = 30;

/// Width of a column of type `ty` in the tableau (Flink derives it from the type, not the data).
fn type_width(ty: &SqlType) -> usize {
    match ty {
        SqlType::TinyInt => 4,
        SqlType::SmallInt => 6,
        SqlType::Int => 11,
        SqlType::BigInt => 20,
        SqlType::Decimal(p, _) => *p as usize + 2,
        SqlType::Boolean => 5,
        SqlType::Date => 10,
        SqlType::Time(p) => 8 + if *p > 0 { *p as usize + 1 } else { 0 },
        SqlType::Timestamp(p) | SqlType::TimestampLtz(p) => 19 + if *p > 0 { *p as usize + 1 } else { 0 },
        SqlType::Char(n) | SqlType::Varchar(n) => (*n as usize).min(MAX_COLUMN_WIDTH),
        _ => MAX_COLUMN_WIDTH,
    }
}

/// Flink's tableau of a streaming result, printed as rows arrive.
pub struct Tableau {
    widths: Vec<usize>,
    types: Vec<SqlType>,
    with_op: bool,
}

impl Tableau {
    pub fn new(names: &[String], types: Vec<SqlType>, with_op: bool) -> Self {
        let widths = names.iter().zip(&types).map(|(n, t)| type_width(t).max(n.width())).collect();
        Tableau { widths, types, with_op }
    }

    /// The tableau of typed columns: a nullable column is at least as wide as `<NULL>`, as in
    /// Flink's tableau.
    pub fn of_columns(names: &[String], types: Vec<crate::types::Typed>, with_op: bool) -> Self {
        let widths = names
            .iter()
            .zip(&types)
            .map(|(n, t)| type_width(&t.ty).max(n.width()).max(if t.nullable { "<NULL>".len() } else { 0 }))
            .collect();
        Tableau { widths, types: types.into_iter().map(|t| t.ty).collect(), with_op }
    }

    pub fn separator(&self) -> String {
        let mut s = String::from("+");
        if self.with_op {
            s.push_str("----+");
        }
        for w in &self.widths {
            s.push_str(&"-".repeat(w + 2));
            s.push('+');
        }
        s
    }

    fn line(&self, op: Option<&str>, cells: &[String]) -> String {
        let mut s = String::from("|");
        if let Some(op) = op {
            s.push_str(&format!(" {op:>2} |"));
        }
        for (cell, w) in cells.iter().zip(&self.widths) {
            let cell = if cell.width() > *w { truncate(cell, *w) } else { cell.clone() };
            let pad = w.saturating_sub(cell.width());
            s.push_str(&format!(" {}{} |", " ".repeat(pad), cell));
        }
        s
    }

    pub fn header(&self, names: &[String]) -> String {
        self.line(self.with_op.then_some("op"), names)
    }

    pub fn row(&self, batch: &ChangeBatch, row: usize) -> String {
        let cells: Vec<String> = batch
            .batch
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| value_text(c, row, self.types.get(i), Style::Tableau))
            .collect();
        self.line(self.with_op.then(|| batch.kind(row).short()), &cells)
    }
}

/// The first `width - 3` display columns of `s` and "...".
fn truncate(s: &str, width: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if (out.clone() + &c.to_string()).width() > width.saturating_sub(3) {
            break;
        }
        out.push(c);
    }
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_prints_them() {
        for (v, s) in [(1.5, "1.5"), (4.0, "4.0"), (1e10, "1.0E10"), (1.8333333333333333, "1.8333333333333333"), (0.001, "0.001"), (0.0001, "1.0E-4"), (-42.25, "-42.25"), (1234567.0, "1234567.0"), (12345678.0, "1.2345678E7")] {
            assert_eq!(java_double(v), s);
        }
        assert_eq!(java_float(0.1f32), "0.1");
    }

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal_text(2725, 2), "27.25");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(10083333, 6), "10.083333");
        assert_eq!(decimal_text(42, 0), "42");
    }

    #[test]
    fn java_times_drop_zero_seconds() {
        assert_eq!(time_text(36_000_000_000_000, None, Style::Java), "10:00");
        assert_eq!(time_text(36_005_000_000_000, None, Style::Java), "10:00:05");
        assert_eq!(time_text(36_005_120_000_000, None, Style::Java), "10:00:05.120");
        assert_eq!(time_text(36_005_120_000_000, Some(3), Style::Tableau), "10:00:05.120");
    }
}
