//! Window properties: which columns of a plan are a window TVF's window_start and window_end,
//! traced through projections, filters and the operators that keep them (Flink's window
//! properties). Window Top-N and window joins recognise their windows by them.

use datafusion_physical_expr::expressions::Column;

use super::{Node, Planned, WindowSpec};

/// One of the two bounds of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowBound {
    Start,
    End,
}

/// The window bound column `i` of `p` is, and the window it belongs to.
pub fn window_bound(p: &Planned, i: usize) -> Option<(WindowBound, WindowSpec)> {
    match &p.node {
        Node::Project { input, exprs } => window_bound(input, exprs.get(i)?.downcast_ref::<Column>()?.index()),
        Node::Filter { input, .. } => window_bound(input, i),
        Node::Rank { input, .. } if i < input.schema.columns.len() => window_bound(input, i),
        Node::WindowJoin { left, right, .. } => match i.checked_sub(left.schema.columns.len()) {
            None => window_bound(left, i),
            Some(r) => window_bound(right, r),
        },
        Node::WindowAggregate { keys, from_tvf: true, window, .. } => bound_at(i.checked_sub(keys.len())?, *window),
        Node::WindowAssign { input, window, .. } => bound_at(i.checked_sub(input.schema.columns.len())?, *window),
        _ => None,
    }
}

fn bound_at(offset: usize, window: WindowSpec) -> Option<(WindowBound, WindowSpec)> {
    match offset {
        0 => Some((WindowBound::Start, window)),
        1 => Some((WindowBound::End, window)),
        _ => None,
    }
}
