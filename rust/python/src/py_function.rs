//! What DataFusion needs of a UDF backed by a Python function besides calling it: Debug,
//! equality and hashing (it compares UDFs to deduplicate expressions), by the function's name
//! and the identity of the Python object.

/// Implements Debug, PartialEq, Eq and Hash for a struct with `name: String` and
/// `function: Py<PyAny>` fields.
macro_rules! python_function_identity {
    ($t:ident) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($t), self.name)
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name && self.function.as_ptr() == other.function.as_ptr()
            }
        }

        impl Eq for $t {}

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::hash::Hash::hash(&self.name, state);
                std::hash::Hash::hash(&(self.function.as_ptr() as usize), state);
            }
        }
    };
}

pub(crate) use python_function_identity;

/// The signature of a Python function: the declared argument types (`None`: any arguments).
pub fn signature(inputs: Option<Vec<oxflow_sql::types::Typed>>, volatility: datafusion_expr::Volatility) -> datafusion_expr::Signature {
    match inputs {
        Some(types) => datafusion_expr::Signature::exact(types.iter().map(|t| t.ty.to_arrow()).collect(), volatility),
        None => datafusion_expr::Signature::variadic_any(volatility),
    }
}
