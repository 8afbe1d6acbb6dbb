//! Checks that values a user function produced match the output type it declared.
//!
//! The Python `TypeInformation._check_spec()` describes the type as nested tuples; it is compiled
//! once per operator into a [`TypeCheck`] and applied to every output value.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PySequence, PyString, PyTuple};

#[derive(Debug, Clone)]
pub enum TypeCheck {
    Any,
    Str,
    Char,
    Bool,
    /// An int within `min..=max` (`None`: unbounded).
    Int { name: &'static str, range: Option<(i64, i64)> },
    /// DOUBLE: any float (or int).
    Float,
    /// FLOAT: a float rounded to 32 bits on the way through, as Java's `float` does it.
    Float32,
    Decimal,
    Tuple(Vec<TypeCheck>),
    /// Row fields, with the declared names that keyword rows are matched by.
    Row(Vec<TypeCheck>, Vec<String>),
    List(Box<TypeCheck>),
    Map(Box<TypeCheck>, Box<TypeCheck>),
}

impl TypeCheck {
    /// Compiles a `_check_spec()` tuple.
    pub fn compile(spec: &Bound<'_, PyAny>) -> PyResult<TypeCheck> {
        let spec = spec.cast::<PyTuple>()?;
        let tag: String = spec.get_item(0)?.extract()?;
        let fields = |i: usize| -> PyResult<Vec<TypeCheck>> {
            spec.get_item(i)?.try_iter()?.map(|f| TypeCheck::compile(&f?)).collect()
        };
        let int = |name, min, max| TypeCheck::Int { name, range: Some((min, max)) };
        Ok(match tag.as_str() {
            "any" => TypeCheck::Any,
            "string" => TypeCheck::Str,
            "char" => TypeCheck::Char,
            "boolean" => TypeCheck::Bool,
            "byte" => int("BYTE", i8::MIN as i64, i8::MAX as i64),
            "short" => int("SHORT", i16::MIN as i64, i16::MAX as i64),
            "int" => int("INT", i32::MIN as i64, i32::MAX as i64),
            "long" => int("LONG", i64::MIN, i64::MAX),
            "big_int" => TypeCheck::Int { name: "BIG_INT", range: None },
            "float" => TypeCheck::Float32,
            "double" => TypeCheck::Float,
            "big_dec" => TypeCheck::Decimal,
            "tuple" => TypeCheck::Tuple(fields(1)?),
            "row" => {
                let names = match spec.get_item(2) {
                    Ok(names) => names.extract()?,
                    Err(_) => Vec::new(),
                };
                TypeCheck::Row(fields(1)?, names)
            }
            "list" => TypeCheck::List(Box::new(TypeCheck::compile(&spec.get_item(1)?)?)),
            "map" => TypeCheck::Map(
                Box::new(TypeCheck::compile(&spec.get_item(1)?)?),
                Box::new(TypeCheck::compile(&spec.get_item(2)?)?),
            ),
            other => return Err(PyTypeError::new_err(format!("unknown type check '{other}'"))),
        })
    }

    /// `Ok(())` or a description of the first mismatch.
    pub fn check(&self, value: &Bound<'_, PyAny>) -> Result<(), String> {
        if value.is_none() {
            return Ok(());
        }
        let mismatch = |expected: &str| Err(format!("expected {expected}, got {}", describe(value)));
        match self {
            TypeCheck::Any => Ok(()),
            TypeCheck::Str => {
                // The exact check is a pointer comparison; the subclass check a call under abi3.
                if value.is_exact_instance_of::<PyString>() || value.is_instance_of::<PyString>() {
                    Ok(())
                } else {
                    mismatch("STRING (a str)")
                }
            }
            TypeCheck::Char => match value.cast::<PyString>() {
                Ok(s) if s.to_cow().map(|c| c.chars().count() == 1).unwrap_or(false) => Ok(()),
                _ => mismatch("CHAR (a str of length 1)"),
            },
            TypeCheck::Bool => {
                if value.is_instance_of::<PyBool>() {
                    Ok(())
                } else {
                    mismatch("BOOLEAN (a bool)")
                }
            }
            TypeCheck::Int { name, range } => {
                let exact_int = value.is_exact_instance_of::<PyInt>();
                if !exact_int && (!value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>()) {
                    return mismatch(&format!("{name} (an int)"));
                }
                let Some((min, max)) = range else { return Ok(()) };
                match value.extract::<i64>() {
                    Ok(v) if v >= *min && v <= *max => Ok(()),
                    _ => mismatch(&format!("{name} (an int in [{min}, {max}])")),
                }
            }
            TypeCheck::Float | TypeCheck::Float32 => {
                if (value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>()) && !value.is_instance_of::<PyBool>() {
                    Ok(())
                } else {
                    mismatch("FLOAT/DOUBLE (a float)")
                }
            }
            TypeCheck::Decimal => {
                let is_decimal = value.get_type().name().map(|n| n.to_cow().map(|c| c == "Decimal").unwrap_or(false)).unwrap_or(false);
                if is_decimal || value.is_instance_of::<PyInt>() {
                    Ok(())
                } else {
                    mismatch("BIG_DEC (a decimal.Decimal)")
                }
            }
            TypeCheck::Tuple(fields) => check_fields(value, fields, "TUPLE", false),
            TypeCheck::Row(fields, names) => match named_fields(value, names) {
                Some(values) => {
                    for ((name, check), item) in names.iter().zip(fields).zip(values) {
                        check.check(&item).map_err(|m| format!("field '{name}': {m}"))?;
                    }
                    Ok(())
                }
                None => check_fields(value, fields, "ROW", true),
            },
            TypeCheck::List(element) => {
                if !(value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>()) {
                    return mismatch("LIST (a list)");
                }
                for (i, item) in value.try_iter().map_err(|e| e.to_string())?.enumerate() {
                    let item = item.map_err(|e| e.to_string())?;
                    element.check(&item).map_err(|m| format!("element {i}: {m}"))?;
                }
                Ok(())
            }
            TypeCheck::Map(k, v) => {
                let Ok(dict) = value.cast::<PyDict>() else { return mismatch("MAP (a dict)") };
                for (key, val) in dict.iter() {
                    k.check(&key).map_err(|m| format!("key {}: {m}", describe(&key)))?;
                    v.check(&val).map_err(|m| format!("value of key {}: {m}", describe(&key)))?;
                }
                Ok(())
            }
        }
    }
}

fn check_fields(value: &Bound<'_, PyAny>, fields: &[TypeCheck], name: &str, row: bool) -> Result<(), String> {
    // Fast path for the common case, a tuple of the right arity.
    if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        if tuple.len() == fields.len() {
            for (i, check) in fields.iter().enumerate() {
                let item = tuple.get_borrowed_item(i).map_err(|e| e.to_string())?;
                check.check(&item).map_err(|m| format!("field {i}: {m}"))?;
            }
            return Ok(());
        }
    }
    // Rows are oxflow `Row`s (sequences); tuples and lists are accepted for both.
    let is_seq = value.is_instance_of::<PyTuple>()
        || value.is_instance_of::<PyList>()
        || (row && value.cast::<PySequence>().is_ok() && !value.is_instance_of::<PyString>());
    if !is_seq {
        return Err(format!("expected {name} of {} fields, got {}", fields.len(), describe(value)));
    }
    let len = value.len().map_err(|e| e.to_string())?;
    if len != fields.len() {
        return Err(format!("expected {name} of {} fields, got {len} fields: {}", fields.len(), describe(value)));
    }
    for (i, check) in fields.iter().enumerate() {
        let item = value.get_item(i).map_err(|e| e.to_string())?;
        check.check(&item).map_err(|m| format!("field {i}: {m}"))?;
    }
    Ok(())
}

impl TypeCheck {
    /// Whether values of this type must be converted, not just checked (they hold a FLOAT).
    pub fn converts(&self) -> bool {
        match self {
            TypeCheck::Float32 => true,
            TypeCheck::Tuple(fields) | TypeCheck::Row(fields, _) => fields.iter().any(TypeCheck::converts),
            TypeCheck::List(element) => element.converts(),
            TypeCheck::Map(k, v) => k.converts() || v.converts(),
            _ => false,
        }
    }

    /// The value as it comes out of a field of this type: FLOATs rounded to 32 bits (inside
    /// tuples and lists too). Call after `check` succeeded.
    pub fn convert<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = value.py();
        if value.is_none() || !self.converts() {
            return Ok(value.clone());
        }
        match self {
            TypeCheck::Float32 => Ok(PyFloat::new(py, value.extract::<f64>()? as f32 as f64).into_any()),
            TypeCheck::Tuple(fields) if value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>() => {
                let items = fields.iter().enumerate().map(|(i, f)| f.convert(&value.get_item(i)?)).collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, items)?.into_any())
            }
            TypeCheck::Row(fields, names) => {
                // Rows keep their class and field names: convert field by field in place of a copy.
                // A keyword row matches the declared fields by name (its own order is sorted).
                let by_name = named_fields(value, names).is_some();
                let copy = py.import("copy")?.call_method1("copy", (value,))?;
                for (i, f) in fields.iter().enumerate() {
                    if f.converts() {
                        if by_name {
                            let name = names[i].as_str();
                            copy.set_item(name, f.convert(&value.get_item(name)?)?)?;
                        } else {
                            copy.set_item(i, f.convert(&value.get_item(i)?)?)?;
                        }
                    }
                }
                Ok(copy)
            }
            TypeCheck::List(element) => {
                let items = value.try_iter()?.map(|v| element.convert(&v?)).collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, items)?.into_any())
            }
            TypeCheck::Map(k, v) => {
                let out = PyDict::new(py);
                for (key, val) in value.cast::<PyDict>()?.iter() {
                    out.set_item(k.convert(&key)?, v.convert(&val)?)?;
                }
                Ok(out.into_any())
            }
            _ => Ok(value.clone()),
        }
    }
}

/// The values of a Row built with field names that cover all declared `names`, in declared order.
fn named_fields<'py>(value: &Bound<'py, PyAny>, names: &[String]) -> Option<Vec<Bound<'py, PyAny>>> {
    if names.is_empty() || value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>() {
        return None;
    }
    let fields: Vec<String> = value.getattr("_fields").ok()?.extract().ok()?;
    if fields.len() != names.len() || !names.iter().all(|n| fields.contains(n)) {
        return None;
    }
    names.iter().map(|n| value.getattr(n.as_str()).ok()).collect()
}

/// `type repr` of a value, shortened for error messages.
pub fn describe(value: &Bound<'_, PyAny>) -> String {
    let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
    let mut repr = value.repr().map(|r| r.to_string()).unwrap_or_else(|_| "<unprintable>".into());
    if repr.chars().count() > 200 {
        repr = repr.chars().take(200).collect::<String>() + "...";
    }
    format!("{type_name} {repr}")
}
