//! Window joins: a join of two window TVF outputs whose condition equates both sides'
//! window_start and window_end (as Flink requires) is planned as Flink's WindowJoin, which joins
//! each window's rows once, when the watermark passes the window's end, instead of as a regular
//! join that would keep every row forever.

use super::join::JoinKeys;
use super::window_property::{window_bound, WindowBound};
use super::{Planned, WindowSpec};
use crate::error::{Result, SqlError};

/// Where a window join finds each row's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowJoinSpec {
    pub window: WindowSpec,
    /// The window_end column of the left input and of the right input.
    pub left_end: usize,
    pub right_end: usize,
}

/// The window join `keys` make of `left` and `right`, if they equate both window bounds of window
/// TVF outputs; `None` for any other join (a regular or interval join).
pub fn window_join_spec(left: &Planned, right: &Planned, keys: &JoinKeys, what: &str) -> Result<Option<WindowJoinSpec>> {
    let mut start = None;
    let mut end = None;
    for (&l, &r) in keys.left.iter().zip(&keys.right) {
        let (Some((lb, lw)), Some((rb, rw))) = (window_bound(left, l), window_bound(right, r)) else {
            continue;
        };
        if lb != rb {
            continue;
        }
        // Different windows on the two sides: Flink plans a regular join.
        if lw != rw {
            return Ok(None);
        }
        match lb {
            WindowBound::Start => start = Some(lw),
            WindowBound::End => end = Some((lw, l, r)),
        }
    }
    let (Some(_), Some((window, left_end, right_end))) = (start, end) else {
        return Ok(None);
    };
    if left.updating || right.updating {
        return Err(SqlError::Validation(format!("Window join ({what}) doesn't support consuming update and delete changes; its inputs must be append-only")));
    }
    Ok(Some(WindowJoinSpec { window, left_end, right_end }))
}
