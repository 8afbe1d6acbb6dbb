//! One entry into user code per batch: operators that call user functions many times for one
//! batch (a Python aggregate's accumulate per row) run those calls inside a scope the embedding
//! installs, so the Python bridge takes the GIL once per batch instead of once per call.
//! Without an installed scope the body runs as it is.

use std::sync::OnceLock;

use oxflow_core::error::BoxError;

/// Runs `body` inside the embedding's scope (the Python bridge: with the GIL held).
pub type CallScope = fn(&mut dyn FnMut() -> Result<(), BoxError>) -> Result<(), BoxError>;

static SCOPE: OnceLock<CallScope> = OnceLock::new();

/// Installs the scope (once per process; later calls are ignored).
pub fn install(scope: CallScope) {
    let _ = SCOPE.set(scope);
}

/// Runs `body` in the installed scope when `user_code` is true, else directly.
pub fn run<T>(user_code: bool, body: impl FnOnce() -> Result<T, BoxError>) -> Result<T, BoxError> {
    match SCOPE.get() {
        Some(scope) if user_code => {
            let mut body = Some(body);
            let mut result = None;
            scope(&mut || {
                let f = body.take().expect("the scope runs its body once");
                result = Some(f()?);
                Ok(())
            })?;
            Ok(result.expect("the scope ran its body"))
        }
        _ => body(),
    }
}
