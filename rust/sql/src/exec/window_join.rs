//! Window joins with the semantics of Flink's WindowJoinOperator (our code): each side's rows are
//! kept per window (by its window_end) and key until the watermark reaches the window's last
//! millisecond; then that window's rows of each key are joined, outer rows that joined nothing
//! are padded with NULLs, and the window is forgotten. A row whose window has already fired is
//! late: dropped and counted. The output is append-only.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output};

use super::data::{ChangeBatch, RowKind, TableData};
use super::join_rows::{joined, padded, JoinRows, JoinedRow};
use super::keys::KeyEncoder;
use super::snapshot::{no_broadcast, write_keyed_and_unkeyed, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::{JoinKind, PhysExpr, WindowJoinSpec};

/// One window's rows: per key (in the order keys first came) each side's rows, and the rows
/// whose key has a NULL (they join nothing).
#[derive(Default)]
struct WindowRows {
    index: HashMap<Box<[u8]>, usize>,
    keyed: Vec<[Vec<Box<[u8]>>; 2]>,
    null_keyed: [Vec<Box<[u8]>>; 2],
}

/// Which of the (left, right) row pairs satisfy the join condition (one call per key and window,
/// so the condition is evaluated on one batch of all the key's pairs).
pub type Matcher<'a> = dyn FnMut(&[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError> + 'a;

/// The rows of open windows and the firing rules; free of Arrow so they are tested on their own.
/// Side 0 is the left input, 1 the right.
pub struct WindowJoinState {
    outer: [bool; 2],
    windows: BTreeMap<i64, WindowRows>,
    watermark: i64,
    /// Rows dropped because their window had fired.
    pub late: u64,
}

impl WindowJoinState {
    pub fn new(kind: JoinKind) -> Self {
        WindowJoinState { outer: [kind.left_outer(), kind.right_outer()], windows: BTreeMap::new(), watermark: i64::MIN, late: 0 }
    }

    /// A row of `side` in the window ending at `window_end`; `key` is `None` when it has a NULL.
    pub fn insert(&mut self, side: usize, key: Option<&[u8]>, window_end: i64, row: &[u8]) {
        if window_end.saturating_sub(1) <= self.watermark {
            self.late += 1;
            return;
        }
        let window = self.windows.entry(window_end).or_default();
        let rows = match key {
            None => &mut window.null_keyed[side],
            Some(key) => {
                let next = window.keyed.len();
                let at = *window.index.entry(key.into()).or_insert(next);
                if at == next {
                    window.keyed.push(Default::default());
                }
                &mut window.keyed[at][side]
            }
        };
        rows.push(row.into());
    }

    /// The watermark advanced: join the windows whose last millisecond it reached, earliest first.
    pub fn advance(&mut self, watermark: i64, matcher: &mut Matcher<'_>, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark);
        while let Some(entry) = self.windows.first_entry() {
            if entry.key().saturating_sub(1) > self.watermark {
                break;
            }
            let window = entry.remove();
            for [lefts, rights] in &window.keyed {
                self.join_key(lefts, rights, matcher, out)?;
            }
            for side in 0..2 {
                if self.outer[side] {
                    out.extend(window.null_keyed[side].iter().map(|r| padded(side, r, RowKind::Insert)));
                }
            }
        }
        Ok(())
    }

    /// Each open window's rows of each key as `(key, payload)`, and each NULL-keyed row as a
    /// payload of its own (they join nothing, so any subtask may take them back). The watermark
    /// and the late count are not kept, as in Flink.
    fn snapshot(&self) -> (Vec<(&[u8], Vec<u8>)>, Vec<Vec<u8>>) {
        let (mut keyed, mut null_keyed) = (Vec::new(), Vec::new());
        for (&window_end, window) in &self.windows {
            for (key, &at) in &window.index {
                let mut e = Encoder::new();
                e.i64(window_end).bytes(key);
                for rows in &window.keyed[at] {
                    e.u64(rows.len() as u64);
                    rows.iter().for_each(|row| {
                        e.bytes(row);
                    });
                }
                keyed.push((key.as_ref(), e.finish()));
            }
            for (side, rows) in window.null_keyed.iter().enumerate() {
                null_keyed.extend(rows.iter().map(|row| Encoder::new().i64(window_end).u64(side as u64).bytes(row).finish()));
            }
        }
        (keyed, null_keyed)
    }

    /// Takes back what [`WindowJoinState::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, keyed: impl IntoIterator<Item = &'a [u8]>, null_keyed: &[Vec<u8>]) -> Result<(), BoxError> {
        for payload in keyed {
            let mut d = Decoder::new(payload, "window join");
            let (window_end, key) = (d.i64()?, d.bytes()?);
            for side in 0..2 {
                for _ in 0..d.u64()? {
                    self.insert(side, Some(key), window_end, d.bytes()?);
                }
            }
            d.end()?;
        }
        for payload in null_keyed {
            let mut d = Decoder::new(payload, "window join");
            let (window_end, side) = (d.i64()?, d.u64()? as usize);
            if side > 1 {
                return Err(message(format!("corrupt window join state in the snapshot: side {side}")));
            }
            self.insert(side, None, window_end, d.bytes()?);
            d.end()?;
        }
        Ok(())
    }

    fn join_key(&self, lefts: &[Box<[u8]>], rights: &[Box<[u8]>], matcher: &mut Matcher<'_>, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        let pairs: Vec<(&[u8], &[u8])> = lefts.iter().flat_map(|l| rights.iter().map(move |r| (&**l, &**r))).collect();
        let ok = if pairs.is_empty() { Vec::new() } else { matcher(&pairs)? };
        let mut right_joined = vec![false; rights.len()];
        for (l, left) in lefts.iter().enumerate() {
            let mut any = false;
            for (r, right) in rights.iter().enumerate() {
                if ok[l * rights.len() + r] {
                    out.push(joined(0, left, right, RowKind::Insert));
                    right_joined[r] = true;
                    any = true;
                }
            }
            if !any && self.outer[0] {
                out.push(padded(0, left, RowKind::Insert));
            }
        }
        if self.outer[1] {
            out.extend(rights.iter().zip(&right_joined).filter(|(_, j)| !**j).map(|(r, _)| padded(1, r, RowKind::Insert)));
        }
        Ok(())
    }
}

pub struct WindowJoin {
    keys: [KeyEncoder; 2],
    window_ends: [usize; 2],
    rows: JoinRows,
    condition: Option<PhysExpr>,
    state: WindowJoinState,
    late_metric: Arc<AtomicU64>,
}

impl WindowJoin {
    pub fn new(
        keys: [KeyEncoder; 2],
        inputs: [SchemaRef; 2],
        joined: SchemaRef,
        kind: JoinKind,
        windows: WindowJoinSpec,
        condition: Option<PhysExpr>,
        late_metric: Arc<AtomicU64>,
    ) -> Result<Self, BoxError> {
        Ok(WindowJoin {
            keys,
            window_ends: [windows.left_end, windows.right_end],
            rows: JoinRows::new(&inputs[0], &inputs[1], &joined)?,
            condition,
            state: WindowJoinState::new(kind),
            late_metric,
        })
    }

    fn process_batch(&mut self, side: usize, input: &ChangeBatch) -> Result<(), BoxError> {
        let batch = &input.batch;
        let (keys, null_keys) = self.keys[side].encode_with_nulls(batch)?;
        let ends = millis(batch.column(self.window_ends[side]).as_ref())?;
        let encoded = self.rows.encode(side, batch)?;
        let before = self.state.late;
        for i in 0..batch.num_rows() {
            if ends.is_null(i) {
                continue;
            }
            let key = if null_keys.as_ref().is_some_and(|n| n[i]) { None } else { Some(keys[i].as_ref()) };
            self.state.insert(side, key, ends.value(i), encoded.row(i).data());
        }
        self.late_metric.fetch_add(self.state.late - before, Ordering::Relaxed);
        Ok(())
    }
}

impl Operator<TableData> for WindowJoin {
    fn process(&mut self, port: usize, records: Vec<Record<TableData>>, _: &mut Output<TableData>) -> Result<(), BoxError> {
        let side = port.min(1);
        for r in &records {
            self.process_batch(side, &r.value)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let state = &mut self.state;
        self.rows.fire(self.condition.as_ref(), watermark, out, |matcher, changes| state.advance(watermark, matcher, changes))
    }

    /// Both sides encode a key alike (the planner gives them one key type), so the left encoder
    /// routes every key.
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed_and_unkeyed(state, &self.keys[0], self.state.snapshot())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        no_broadcast(&state, "window join")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()), &state.list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(s: &str) -> Box<[u8]> {
        s.as_bytes().into()
    }

    fn names(out: &[JoinedRow]) -> Vec<(String, String)> {
        let text = |r: &Option<Box<[u8]>>| r.as_ref().map_or("-".to_string(), |b| String::from_utf8(b.to_vec()).unwrap());
        out.iter().map(|(l, r, _)| (text(l), text(r))).collect()
    }

    fn all(pairs: &[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError> {
        Ok(vec![true; pairs.len()])
    }

    #[test]
    fn windows_join_when_the_watermark_reaches_their_last_millisecond() {
        let mut s = WindowJoinState::new(JoinKind::Full);
        s.insert(0, Some(b"k1".as_slice()), 10, &row("a"));
        s.insert(1, Some(b"k1".as_slice()), 10, &row("x"));
        s.insert(1, Some(b"k1".as_slice()), 10, &row("y"));
        s.insert(0, Some(b"k2".as_slice()), 10, &row("b"));
        s.insert(1, Some(b"k3".as_slice()), 10, &row("z"));
        s.insert(0, None, 10, &row("n"));
        s.insert(0, Some(b"k1".as_slice()), 20, &row("c"));
        let mut out = Vec::new();
        s.advance(8, &mut all, &mut out).unwrap();
        assert!(out.is_empty(), "window [.., 10) is still open at watermark 8");
        s.advance(9, &mut all, &mut out).unwrap();
        let pair = |l: &str, r: &str| (l.to_string(), r.to_string());
        assert_eq!(names(&out), [pair("a", "x"), pair("a", "y"), pair("b", "-"), pair("-", "z"), pair("n", "-")]);
        // The fired window is gone: its late rows are dropped, the next window stays.
        s.insert(1, Some(b"k1".as_slice()), 10, &row("late"));
        assert_eq!(s.late, 1);
        out.clear();
        s.advance(i64::MAX, &mut all, &mut out).unwrap();
        assert_eq!(names(&out), [pair("c", "-")]);
    }

    #[test]
    fn inner_and_left_joins_pad_only_their_outer_side_and_the_condition_filters_pairs() {
        for (kind, expected) in [
            (JoinKind::Inner, vec![("a", "y")]),
            (JoinKind::Left, vec![("a", "y"), ("b", "-")]),
            (JoinKind::Right, vec![("a", "y"), ("-", "x")]),
        ] {
            let mut s = WindowJoinState::new(kind);
            s.insert(0, Some(b"k".as_slice()), 10, &row("a"));
            s.insert(0, Some(b"k".as_slice()), 10, &row("b"));
            s.insert(1, Some(b"k".as_slice()), 10, &row("x"));
            s.insert(1, Some(b"k".as_slice()), 10, &row("y"));
            // Only a-y satisfies the condition.
            let mut only_a_y = |pairs: &[(&[u8], &[u8])]| -> Result<Vec<bool>, BoxError> { Ok(pairs.iter().map(|(l, r)| *l == b"a" && *r == b"y").collect()) };
            let mut out = Vec::new();
            s.advance(100, &mut only_a_y, &mut out).unwrap();
            let expected: Vec<(String, String)> = expected.into_iter().map(|(l, r)| (l.to_string(), r.to_string())).collect();
            assert_eq!(names(&out), expected, "{kind:?}");
        }
    }

    #[test]
    fn restored_windows_join_as_the_original_would_on_any_split() {
        let mut original = WindowJoinState::new(JoinKind::Full);
        for (side, key, end, r) in [(0, Some("k1"), 10, "a"), (1, Some("k1"), 10, "x"), (1, Some("k2"), 10, "y"), (0, None, 10, "n"), (1, None, 20, "m"), (0, Some("k1"), 20, "c"), (1, Some("k1"), 20, "z")] {
            original.insert(side, key.map(str::as_bytes), end, &row(r));
        }
        let (keyed, null_keyed) = original.snapshot();
        let keyed: Vec<Vec<u8>> = keyed.into_iter().map(|(_, p)| p).collect();
        let (mut first, mut second) = (WindowJoinState::new(JoinKind::Full), WindowJoinState::new(JoinKind::Full));
        first.restore(keyed[..2].iter().map(Vec::as_slice), &null_keyed[..1]).unwrap();
        second.restore(keyed[2..].iter().map(Vec::as_slice), &null_keyed[1..]).unwrap();
        let mut expected = Vec::new();
        original.advance(i64::MAX, &mut all, &mut expected).unwrap();
        let mut restored = Vec::new();
        first.advance(i64::MAX, &mut all, &mut restored).unwrap();
        second.advance(i64::MAX, &mut all, &mut restored).unwrap();
        let (mut expected, mut restored) = (names(&expected), names(&restored));
        expected.sort();
        restored.sort();
        assert_eq!(expected.len(), 5);
        assert_eq!(restored, expected);
        let err = WindowJoinState::new(JoinKind::Full).restore([&keyed[0][..5]], &[]).unwrap_err().to_string();
        assert!(err.contains("corrupt window join state"), "{err}");
    }
}
