//! Flink's SQL types: parsed from DDL and type strings, shown as Flink shows them, and mapped to
//! the Arrow types batches carry.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, IntervalUnit, TimeUnit};

use crate::error::SqlError;

/// A Flink logical type. Arrow alone loses what users see (VARCHAR(n) vs STRING, the precision of
/// a TIMESTAMP, whether it is a time attribute), so the planner carries this beside the Arrow type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal(u8, i8),
    Boolean,
    /// `STRING` is `VARCHAR(2147483647)`.
    Varchar(u32),
    Char(u32),
    /// `BYTES` is `VARBINARY(2147483647)`.
    Varbinary(u32),
    Binary(u32),
    Date,
    Time(u8),
    Timestamp(u8),
    TimestampLtz(u8),
    IntervalDayTime,
    IntervalYearMonth,
    Array(Box<Typed>),
    Multiset(Box<Typed>),
    Map(Box<Typed>, Box<Typed>),
    Row(Vec<(String, Typed)>),
    Null,
}

pub const MAX_LENGTH: u32 = i32::MAX as u32;

/// A type with its nullability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    pub ty: SqlType,
    pub nullable: bool,
}

impl Typed {
    pub fn nullable(ty: SqlType) -> Self {
        Typed { ty, nullable: true }
    }
}

impl SqlType {
    pub fn to_arrow(&self) -> DataType {
        match self {
            SqlType::TinyInt => DataType::Int8,
            SqlType::SmallInt => DataType::Int16,
            SqlType::Int => DataType::Int32,
            SqlType::BigInt => DataType::Int64,
            SqlType::Float => DataType::Float32,
            SqlType::Double => DataType::Float64,
            SqlType::Decimal(p, s) => DataType::Decimal128(*p, *s),
            SqlType::Boolean => DataType::Boolean,
            SqlType::Varchar(_) | SqlType::Char(_) => DataType::Utf8,
            SqlType::Varbinary(_) | SqlType::Binary(_) => DataType::Binary,
            SqlType::Date => DataType::Date32,
            SqlType::Time(_) => DataType::Time32(TimeUnit::Millisecond),
            SqlType::Timestamp(p) => DataType::Timestamp(time_unit(*p), None),
            SqlType::TimestampLtz(p) => DataType::Timestamp(time_unit(*p), Some(Arc::from("UTC"))),
            SqlType::IntervalDayTime => DataType::Interval(IntervalUnit::DayTime),
            SqlType::IntervalYearMonth => DataType::Interval(IntervalUnit::YearMonth),
            SqlType::Array(t) | SqlType::Multiset(t) => {
                DataType::List(Arc::new(Field::new("element", t.ty.to_arrow(), t.nullable)))
            }
            SqlType::Map(k, v) => {
                let entries = Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", k.ty.to_arrow(), false),
                        Field::new("value", v.ty.to_arrow(), v.nullable),
                    ])),
                    false,
                );
                DataType::Map(Arc::new(entries), false)
            }
            SqlType::Row(fields) => DataType::Struct(Fields::from(
                fields.iter().map(|(n, t)| Field::new(n, t.ty.to_arrow(), t.nullable)).collect::<Vec<_>>(),
            )),
            SqlType::Null => DataType::Null,
        }
    }

    /// The Flink type of an Arrow type an expression produced.
    pub fn from_arrow(dt: &DataType) -> Result<SqlType, SqlError> {
        Ok(match dt {
            DataType::Int8 => SqlType::TinyInt,
            DataType::Int16 => SqlType::SmallInt,
            DataType::Int32 => SqlType::Int,
            DataType::Int64 => SqlType::BigInt,
            // Flink has no unsigned types; DataFusion produces them only from a few functions.
            DataType::UInt8 => SqlType::SmallInt,
            DataType::UInt16 => SqlType::Int,
            DataType::UInt32 | DataType::UInt64 => SqlType::BigInt,
            DataType::Float16 | DataType::Float32 => SqlType::Float,
            DataType::Float64 => SqlType::Double,
            DataType::Decimal128(p, s) => SqlType::Decimal(*p, *s),
            DataType::Boolean => SqlType::Boolean,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => SqlType::Varchar(MAX_LENGTH),
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => SqlType::Varbinary(MAX_LENGTH),
            DataType::FixedSizeBinary(n) => SqlType::Binary(*n as u32),
            DataType::Date32 | DataType::Date64 => SqlType::Date,
            DataType::Time32(_) | DataType::Time64(_) => SqlType::Time(0),
            DataType::Timestamp(unit, tz) => {
                let p = match unit {
                    TimeUnit::Second => 0,
                    TimeUnit::Millisecond => 3,
                    TimeUnit::Microsecond => 6,
                    TimeUnit::Nanosecond => 9,
                };
                if tz.is_some() {
                    SqlType::TimestampLtz(p)
                } else {
                    SqlType::Timestamp(p)
                }
            }
            DataType::Interval(IntervalUnit::YearMonth) => SqlType::IntervalYearMonth,
            DataType::Interval(_) | DataType::Duration(_) => SqlType::IntervalDayTime,
            DataType::List(f) | DataType::LargeList(f) => SqlType::Array(Box::new(Typed {
                ty: SqlType::from_arrow(f.data_type())?,
                nullable: f.is_nullable(),
            })),
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => SqlType::Map(
                    Box::new(Typed { ty: SqlType::from_arrow(kv[0].data_type())?, nullable: true }),
                    Box::new(Typed { ty: SqlType::from_arrow(kv[1].data_type())?, nullable: kv[1].is_nullable() }),
                ),
                other => return Err(SqlError::Type(format!("unsupported map layout {other}"))),
            },
            DataType::Struct(fields) => SqlType::Row(
                fields
                    .iter()
                    .map(|f| Ok((f.name().clone(), Typed { ty: SqlType::from_arrow(f.data_type())?, nullable: f.is_nullable() })))
                    .collect::<Result<_, SqlError>>()?,
            ),
            DataType::Null => SqlType::Null,
            DataType::Dictionary(_, v) => SqlType::from_arrow(v)?,
            other => return Err(SqlError::Type(format!("no Flink type for Arrow type {other}"))),
        })
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Float | SqlType::Double | SqlType::Decimal(..)
        )
    }

    pub fn is_timestamp(&self) -> bool {
        matches!(self, SqlType::Timestamp(_) | SqlType::TimestampLtz(_))
    }
}

fn time_unit(precision: u8) -> TimeUnit {
    match precision {
        0 => TimeUnit::Second,
        1..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::TinyInt => write!(f, "TINYINT"),
            SqlType::SmallInt => write!(f, "SMALLINT"),
            SqlType::Int => write!(f, "INT"),
            SqlType::BigInt => write!(f, "BIGINT"),
            SqlType::Float => write!(f, "FLOAT"),
            SqlType::Double => write!(f, "DOUBLE"),
            SqlType::Decimal(p, s) => write!(f, "DECIMAL({p}, {s})"),
            SqlType::Boolean => write!(f, "BOOLEAN"),
            SqlType::Varchar(MAX_LENGTH) => write!(f, "STRING"),
            SqlType::Varchar(n) => write!(f, "VARCHAR({n})"),
            SqlType::Char(n) => write!(f, "CHAR({n})"),
            SqlType::Varbinary(MAX_LENGTH) => write!(f, "BYTES"),
            SqlType::Varbinary(n) => write!(f, "VARBINARY({n})"),
            SqlType::Binary(n) => write!(f, "BINARY({n})"),
            SqlType::Date => write!(f, "DATE"),
            SqlType::Time(p) => write!(f, "TIME({p})"),
            SqlType::Timestamp(p) => write!(f, "TIMESTAMP({p})"),
            SqlType::TimestampLtz(p) => write!(f, "TIMESTAMP_LTZ({p})"),
            SqlType::IntervalDayTime => write!(f, "INTERVAL SECOND(3)"),
            SqlType::IntervalYearMonth => write!(f, "INTERVAL YEAR(2) TO MONTH"),
            SqlType::Array(t) => write!(f, "ARRAY<{t}>"),
            SqlType::Multiset(t) => write!(f, "MULTISET<{t}>"),
            SqlType::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            SqlType::Row(fields) => {
                write!(f, "ROW<")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "`{name}` {t}")?;
                }
                write!(f, ">")
            }
            SqlType::Null => write!(f, "NULL"),
        }
    }
}

impl fmt::Display for Typed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            write!(f, "{}", self.ty)
        } else {
            write!(f, "{} NOT NULL", self.ty)
        }
    }
}

/// Parses a type as Flink writes it (`DECIMAL(10, 2)`, `TIMESTAMP(3) WITH LOCAL TIME ZONE`,
/// `ARRAY<INT>`, `ROW<a INT, b STRING>`, `BIGINT NOT NULL`).
pub fn parse_type(text: &str) -> Result<Typed, SqlError> {
    let tokens = tokenize_type(text)?;
    let mut p = TypeParser { tokens, pos: 0, text };
    let t = p.typed()?;
    if p.pos != p.tokens.len() {
        return Err(SqlError::Type(format!("unexpected '{}' in type '{text}'", p.tokens[p.pos])));
    }
    Ok(t)
}

fn tokenize_type(text: &str) -> Result<Vec<String>, SqlError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if "(),<>".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c == '`' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .ok_or_else(|| SqlError::Type(format!("unclosed quote in type '{text}'")))?;
            out.push(format!("`{}", chars[i + 1..i + 1 + end].iter().collect::<String>()));
            i += end + 2;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            return Err(SqlError::Type(format!("unexpected '{c}' in type '{text}'")));
        }
    }
    Ok(out)
}

struct TypeParser<'a> {
    tokens: Vec<String>,
    pos: usize,
    text: &'a str,
}

impl TypeParser<'_> {
    fn peek_upper(&self) -> Option<String> {
        self.tokens.get(self.pos).map(|t| t.to_ascii_uppercase())
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek_upper().as_deref() == Some(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, word: &str) -> Result<(), SqlError> {
        if self.eat(word) {
            Ok(())
        } else {
            Err(SqlError::Type(format!("expected '{word}' in type '{}'", self.text)))
        }
    }

    fn number(&mut self) -> Result<u32, SqlError> {
        let t = self.tokens.get(self.pos).cloned().unwrap_or_default();
        let n = t.parse().map_err(|_| SqlError::Type(format!("expected a number in type '{}', found '{t}'", self.text)))?;
        self.pos += 1;
        Ok(n)
    }

    /// `(n)` or `(n, m)` if present.
    fn params(&mut self) -> Result<Vec<u32>, SqlError> {
        let mut out = Vec::new();
        if self.eat("(") {
            out.push(self.number()?);
            while self.eat(",") {
                out.push(self.number()?);
            }
            self.expect(")")?;
        }
        Ok(out)
    }

    fn typed(&mut self) -> Result<Typed, SqlError> {
        let ty = self.ty()?;
        let nullable = if self.eat("NOT") {
            self.expect("NULL")?;
            false
        } else {
            self.eat("NULL");
            true
        };
        Ok(Typed { ty, nullable })
    }

    fn ty(&mut self) -> Result<SqlType, SqlError> {
        let name = self.peek_upper().ok_or_else(|| SqlError::Type(format!("missing type in '{}'", self.text)))?;
        self.pos += 1;
        let one = |p: &[u32], default: u32| p.first().copied().unwrap_or(default);
        Ok(match name.as_str() {
            "TINYINT" => SqlType::TinyInt,
            "SMALLINT" => SqlType::SmallInt,
            "INT" | "INTEGER" => SqlType::Int,
            "BIGINT" => SqlType::BigInt,
            "FLOAT" | "REAL" => SqlType::Float,
            "DOUBLE" => {
                self.eat("PRECISION");
                SqlType::Double
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let p = self.params()?;
                let precision = one(&p, 10);
                let scale = p.get(1).copied().unwrap_or(0);
                if !(1..=38).contains(&precision) || scale > precision {
                    return Err(SqlError::Type(format!(
                        "DECIMAL precision must be between 1 and 38 and scale at most the precision, got DECIMAL({precision}, {scale})"
                    )));
                }
                SqlType::Decimal(precision as u8, scale as i8)
            }
            "BOOLEAN" | "BOOL" => SqlType::Boolean,
            "STRING" => SqlType::Varchar(MAX_LENGTH),
            "VARCHAR" => SqlType::Varchar(one(&self.params()?, 1)),
            "CHAR" | "CHARACTER" => {
                if self.eat("VARYING") {
                    SqlType::Varchar(one(&self.params()?, 1))
                } else {
                    SqlType::Char(one(&self.params()?, 1))
                }
            }
            "BYTES" => SqlType::Varbinary(MAX_LENGTH),
            "VARBINARY" => SqlType::Varbinary(one(&self.params()?, 1)),
            "BINARY" => SqlType::Binary(one(&self.params()?, 1)),
            "DATE" => SqlType::Date,
            "TIME" => {
                let p = one(&self.params()?, 0) as u8;
                if self.eat("WITHOUT") {
                    self.expect("TIME")?;
                    self.expect("ZONE")?;
                }
                SqlType::Time(p)
            }
            "TIMESTAMP" => {
                let p = one(&self.params()?, 6) as u8;
                if self.eat("WITH") {
                    self.expect("LOCAL")?;
                    self.expect("TIME")?;
                    self.expect("ZONE")?;
                    SqlType::TimestampLtz(p)
                } else {
                    if self.eat("WITHOUT") {
                        self.expect("TIME")?;
                        self.expect("ZONE")?;
                    }
                    SqlType::Timestamp(p)
                }
            }
            "TIMESTAMP_LTZ" => SqlType::TimestampLtz(one(&self.params()?, 6) as u8),
            "ARRAY" => {
                self.expect("<")?;
                let t = self.typed()?;
                self.expect(">")?;
                SqlType::Array(Box::new(t))
            }
            "MULTISET" => {
                self.expect("<")?;
                let t = self.typed()?;
                self.expect(">")?;
                SqlType::Multiset(Box::new(t))
            }
            "MAP" => {
                self.expect("<")?;
                let k = self.typed()?;
                self.expect(",")?;
                let v = self.typed()?;
                self.expect(">")?;
                SqlType::Map(Box::new(k), Box::new(v))
            }
            "ROW" => {
                let close = if self.eat("<") {
                    ">"
                } else {
                    self.expect("(")?;
                    ")"
                };
                let mut fields = Vec::new();
                if !self.eat(close) {
                    loop {
                        let raw = self.tokens.get(self.pos).cloned().unwrap_or_default();
                        self.pos += 1;
                        let name = raw.strip_prefix('`').map(str::to_string).unwrap_or(raw);
                        fields.push((name, self.typed()?));
                        if self.eat(close) {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                SqlType::Row(fields)
            }
            "NULL" => SqlType::Null,
            other => return Err(SqlError::Type(format!("unknown type '{other}' in '{}'", self.text))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_print_as_flink_prints_them() {
        for (text, shown) in [
            ("bigint", "BIGINT"),
            ("DECIMAL(10,2)", "DECIMAL(10, 2)"),
            ("DECIMAL", "DECIMAL(10, 0)"),
            ("VARCHAR(2147483647)", "STRING"),
            ("timestamp(3)", "TIMESTAMP(3)"),
            ("TIMESTAMP", "TIMESTAMP(6)"),
            ("TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)"),
            ("ARRAY<INT NOT NULL>", "ARRAY<INT NOT NULL>"),
            ("MAP<STRING, BIGINT>", "MAP<STRING, BIGINT>"),
            ("ROW<a INT, `b c` STRING>", "ROW<`a` INT, `b c` STRING>"),
            ("BIGINT NOT NULL", "BIGINT NOT NULL"),
            ("ARRAY<ARRAY<INT>>", "ARRAY<ARRAY<INT>>"),
        ] {
            assert_eq!(parse_type(text).unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn bad_types_are_named() {
        let e = parse_type("DECIMAL(50, 2)").unwrap_err().to_string();
        assert!(e.contains("DECIMAL(50, 2)"), "{e}");
        let e = parse_type("BIGNUM").unwrap_err().to_string();
        assert!(e.contains("BIGNUM"), "{e}");
    }

    #[test]
    fn arrow_round_trip_keeps_precision() {
        for text in ["BIGINT", "DECIMAL(38, 6)", "TIMESTAMP(3)", "TIMESTAMP_LTZ(3)", "DOUBLE", "STRING", "DATE"] {
            let t = parse_type(text).unwrap().ty;
            assert_eq!(SqlType::from_arrow(&t.to_arrow()).unwrap(), t);
        }
    }
}
