//! Event-time temporal joins with the semantics of Flink's TemporalRowTimeJoinOperator (our
//! code): per key, left rows are buffered until the watermark passes their time, then each joins
//! the right version valid at that time (the latest with a time at or before it), in arrival
//! order; versions older than the one valid at the watermark are then dropped. A retraction on
//! the right (-D, -U) is a version saying the key has no row from then on. The output is
//! append-only and keeps the left time attribute.

use std::collections::{BTreeMap, HashMap};

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
use crate::plan::{JoinKind, PhysExpr, TemporalTimes};

/// One key's state: buffered left rows (time, row) in arrival order and right versions by time
/// (`None`: the key was retracted at that time).
#[derive(Default)]
struct KeyState {
    lefts: Vec<(i64, Box<[u8]>)>,
    versions: BTreeMap<i64, Option<Box<[u8]>>>,
}

/// Whether a (left, right) row pair satisfies the rest of the ON condition.
pub type PairMatcher<'a> = dyn FnMut(&[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError> + 'a;

/// The buffered rows and the emission rules; free of Arrow so they are tested on their own.
pub struct TemporalJoinState {
    left_outer: bool,
    keys: HashMap<Box<[u8]>, KeyState>,
    /// Keys in the order they first came, so emission order does not depend on hashing.
    order: Vec<Box<[u8]>>,
    /// Left rows with a NULL key: they join nothing (LEFT JOIN pads them when their time passes).
    null_keyed: Vec<(i64, Box<[u8]>)>,
}

impl TemporalJoinState {
    pub fn new(kind: JoinKind) -> Self {
        TemporalJoinState { left_outer: kind.left_outer(), keys: HashMap::new(), order: Vec::new(), null_keyed: Vec::new() }
    }

    fn key(&mut self, key: &[u8]) -> &mut KeyState {
        if !self.keys.contains_key(key) {
            self.order.push(key.into());
        }
        self.keys.entry(key.into()).or_default()
    }

    /// A left row at `time`; `key` is `None` when it has a NULL.
    pub fn insert_left(&mut self, key: Option<&[u8]>, time: i64, row: &[u8]) {
        match key {
            None => self.null_keyed.push((time, row.into())),
            Some(k) => self.key(k).lefts.push((time, row.into())),
        }
    }

    /// A right version at `time`: the row (`None` for a retraction). A later one at the same
    /// time replaces it.
    pub fn insert_right(&mut self, key: &[u8], time: i64, row: Option<&[u8]>) {
        self.key(key).versions.insert(time, row.map(Into::into));
    }

    /// The watermark advanced: emit the left rows at or before it.
    pub fn advance(&mut self, watermark: i64, matcher: &mut PairMatcher<'_>, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        let mut emptied = false;
        for key in &self.order {
            let state = self.keys.get_mut(key).expect("ordered keys are present");
            let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut state.lefts).into_iter().partition(|(t, _)| *t <= watermark);
            state.lefts = kept;
            let partners: Vec<Option<&[u8]>> = due.iter().map(|(t, _)| state.versions.range(..=*t).next_back().and_then(|(_, v)| v.as_deref())).collect();
            let pairs: Vec<(&[u8], &[u8])> = due.iter().zip(&partners).filter_map(|((_, l), r)| r.map(|r| (&**l, r))).collect();
            let ok = if pairs.is_empty() { Vec::new() } else { matcher(&pairs)? };
            let mut next = 0;
            for ((_, l), r) in due.iter().zip(&partners) {
                let matched = match r {
                    Some(r) => {
                        next += 1;
                        ok[next - 1].then_some(*r)
                    }
                    None => None,
                };
                match matched {
                    Some(r) => out.push(joined(0, l, r, RowKind::Insert)),
                    None if self.left_outer => out.push(padded(0, l, RowKind::Insert)),
                    None => {}
                }
            }
            // Versions before the one valid at the watermark can no longer be joined.
            if let Some((&valid, _)) = state.versions.range(..=watermark).next_back() {
                state.versions = state.versions.split_off(&valid);
                if state.versions.len() == 1 && state.versions[&valid].is_none() {
                    state.versions.clear();
                }
            }
            emptied |= state.lefts.is_empty() && state.versions.is_empty();
        }
        if emptied {
            let keys = &mut self.keys;
            keys.retain(|_, s| !(s.lefts.is_empty() && s.versions.is_empty()));
            self.order.retain(|k| keys.contains_key(k));
        }
        let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.null_keyed).into_iter().partition(|(t, _)| *t <= watermark);
        self.null_keyed = kept;
        if self.left_outer {
            out.extend(due.iter().map(|(_, l)| padded(0, l, RowKind::Insert)));
        }
        Ok(())
    }

    /// Keys with state (for tests of the cleanup).
    pub fn keys_held(&self) -> usize {
        self.keys.len()
    }

    /// Each key's buffered left rows and versions as `(key, payload)`, and each NULL-keyed left
    /// row as a payload of its own (they belong to no key, so any subtask may take them back).
    /// The watermark is not kept, as in Flink.
    fn snapshot(&self) -> (Vec<(&[u8], Vec<u8>)>, Vec<Vec<u8>>) {
        let keyed = self
            .order
            .iter()
            .map(|key| {
                let state = &self.keys[key];
                let mut e = Encoder::new();
                e.bytes(key).u64(state.lefts.len() as u64);
                for (time, row) in &state.lefts {
                    e.i64(*time).bytes(row);
                }
                e.u64(state.versions.len() as u64);
                for (time, version) in &state.versions {
                    match version {
                        Some(row) => e.i64(*time).u64(1).bytes(row),
                        None => e.i64(*time).u64(0),
                    };
                }
                (key.as_ref(), e.finish())
            })
            .collect();
        let null_keyed = self.null_keyed.iter().map(|(time, row)| Encoder::new().i64(*time).bytes(row).finish()).collect();
        (keyed, null_keyed)
    }

    /// Takes back what [`TemporalJoinState::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, keyed: impl IntoIterator<Item = &'a [u8]>, null_keyed: &[Vec<u8>]) -> Result<(), BoxError> {
        for payload in keyed {
            let mut d = Decoder::new(payload, "temporal join");
            let state = self.key(d.bytes()?);
            for _ in 0..d.u64()? {
                let time = d.i64()?;
                state.lefts.push((time, d.bytes()?.into()));
            }
            for _ in 0..d.u64()? {
                let time = d.i64()?;
                let version = match d.u64()? {
                    0 => None,
                    1 => Some(d.bytes()?.into()),
                    other => return Err(message(format!("corrupt temporal join state in the snapshot: version flag {other}"))),
                };
                state.versions.insert(time, version);
            }
            d.end()?;
        }
        for payload in null_keyed {
            let mut d = Decoder::new(payload, "temporal join");
            let time = d.i64()?;
            self.null_keyed.push((time, d.bytes()?.into()));
            d.end()?;
        }
        Ok(())
    }
}

pub struct TemporalJoin {
    keys: [KeyEncoder; 2],
    times: [usize; 2],
    rows: JoinRows,
    condition: Option<PhysExpr>,
    state: TemporalJoinState,
}

impl TemporalJoin {
    pub fn new(keys: [KeyEncoder; 2], inputs: [SchemaRef; 2], joined: SchemaRef, kind: JoinKind, times: TemporalTimes, condition: Option<PhysExpr>) -> Result<Self, BoxError> {
        Ok(TemporalJoin {
            keys,
            times: [times.left_time, times.right_time],
            rows: JoinRows::new(&inputs[0], &inputs[1], &joined)?,
            condition,
            state: TemporalJoinState::new(kind),
        })
    }

    fn process_batch(&mut self, side: usize, input: &ChangeBatch) -> Result<(), BoxError> {
        let batch = &input.batch;
        let (keys, null_keys) = self.keys[side].encode_with_nulls(batch)?;
        let times = millis(batch.column(self.times[side]).as_ref())?;
        let encoded = self.rows.encode(side, batch)?;
        for i in 0..batch.num_rows() {
            // A row without a time has no version to join, nor is a version.
            if times.is_null(i) {
                continue;
            }
            let key = if null_keys.as_ref().is_some_and(|n| n[i]) { None } else { Some(keys[i].as_ref()) };
            let row = encoded.row(i);
            if side == 0 {
                self.state.insert_left(key, times.value(i), row.data());
            } else if let Some(key) = key {
                let retract = matches!(input.kind(i), RowKind::Delete | RowKind::UpdateBefore);
                self.state.insert_right(key, times.value(i), (!retract).then_some(row.data()));
            }
        }
        Ok(())
    }
}

impl Operator<TableData> for TemporalJoin {
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
        no_broadcast(&state, "temporal join")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()), &state.list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(out: &[JoinedRow]) -> Vec<(String, String)> {
        let text = |r: &Option<Box<[u8]>>| r.as_ref().map_or("-".to_string(), |b| String::from_utf8(b.to_vec()).unwrap());
        out.iter().map(|(l, r, _)| (text(l), text(r))).collect()
    }

    fn all(pairs: &[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError> {
        Ok(vec![true; pairs.len()])
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(l, r)| (l.to_string(), r.to_string())).collect()
    }

    #[test]
    fn left_rows_join_the_version_valid_at_their_time_once_the_watermark_passes_it() {
        let mut s = TemporalJoinState::new(JoinKind::Left);
        let k = b"usd".as_slice();
        s.insert_right(k, 0, Some(b"v0"));
        s.insert_right(k, 5, Some(b"v5"));
        s.insert_left(Some(k), 6, b"a6");
        s.insert_left(Some(k), 4, b"a4");
        s.insert_left(Some(k), -1, b"early");
        s.insert_left(Some(b"gbp".as_slice()), 3, b"g3");
        s.insert_left(None, 2, b"n2");
        let mut out = Vec::new();
        s.advance(4, &mut all, &mut out).unwrap();
        // Arrival order within a key; a row before every version and an unknown key are padded.
        assert_eq!(names(&out), pairs(&[("a4", "v0"), ("early", "-"), ("g3", "-"), ("n2", "-")]));
        out.clear();
        s.advance(6, &mut all, &mut out).unwrap();
        assert_eq!(names(&out), pairs(&[("a6", "v5")]));
        // v0 is gone (v5 is valid at 6): a late row at 2 finds no version.
        s.insert_left(Some(k), 2, b"late2");
        out.clear();
        s.advance(6, &mut all, &mut out).unwrap();
        assert_eq!(names(&out), pairs(&[("late2", "-")]));
    }

    #[test]
    fn inner_joins_drop_unmatched_rows_and_retractions_end_a_version() {
        let mut s = TemporalJoinState::new(JoinKind::Inner);
        let k = b"k".as_slice();
        s.insert_right(k, 0, Some(b"v0"));
        s.insert_right(k, 10, None);
        s.insert_left(Some(k), 5, b"a5");
        s.insert_left(Some(k), 12, b"a12");
        s.insert_left(Some(k), -3, b"a-3");
        let mut only_not_a5 = |p: &[(&[u8], &[u8])]| -> Result<Vec<bool>, BoxError> { Ok(p.iter().map(|(l, _)| *l != b"a5").collect()) };
        let mut out = Vec::new();
        s.advance(20, &mut only_not_a5, &mut out).unwrap();
        assert!(out.is_empty(), "a5 fails the condition, a12 is after the retraction, a-3 before every version");
        let mut out = Vec::new();
        s.insert_left(Some(k), 3, b"again");
        s.advance(20, &mut all, &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(s.keys_held(), 0, "a retracted key with no buffered rows is forgotten");
    }

    /// Buffered rows and versions of several keys, split across two old subtasks' snapshots.
    fn filled(kind: JoinKind) -> TemporalJoinState {
        let mut s = TemporalJoinState::new(kind);
        for (key, t, v) in [("a", 0, Some("a0")), ("a", 5, Some("a5")), ("b", 1, Some("b1")), ("b", 4, None), ("c", 2, Some("c2"))] {
            s.insert_right(key.as_bytes(), t, v.map(str::as_bytes));
        }
        for (key, t, row) in [(Some("a"), 6, "l-a6"), (Some("a"), 3, "l-a3"), (Some("b"), 2, "l-b2"), (Some("b"), 7, "l-b7"), (None, 1, "l-n1"), (Some("z"), 9, "l-z9")] {
            s.insert_left(key.map(str::as_bytes), t, row.as_bytes());
        }
        s
    }

    #[test]
    fn a_restored_state_joins_as_the_original_would() {
        for kind in [JoinKind::Inner, JoinKind::Left] {
            let mut original = filled(kind);
            let (keyed, null_keyed) = original.snapshot();
            let keyed: Vec<Vec<u8>> = keyed.into_iter().map(|(_, p)| p).collect();
            // Two new subtasks, each taking back some keys; the union must behave as the original.
            let mut first = TemporalJoinState::new(kind);
            first.restore(keyed[..1].iter().map(Vec::as_slice), &null_keyed).unwrap();
            let mut second = TemporalJoinState::new(kind);
            second.restore(keyed[1..].iter().map(Vec::as_slice), &[]).unwrap();
            let mut expected = Vec::new();
            original.advance(10, &mut all, &mut expected).unwrap();
            let mut restored = Vec::new();
            first.advance(10, &mut all, &mut restored).unwrap();
            second.advance(10, &mut all, &mut restored).unwrap();
            let (mut expected, mut restored) = (names(&expected), names(&restored));
            expected.sort();
            restored.sort();
            assert!(!expected.is_empty());
            assert_eq!(restored, expected, "{kind:?}");
        }
        let filled = filled(JoinKind::Inner);
        let (keyed, _) = filled.snapshot();
        let cut = &keyed[0].1[..keyed[0].1.len() - 3];
        let err = TemporalJoinState::new(JoinKind::Inner).restore([cut], &[]).unwrap_err().to_string();
        assert!(err.contains("corrupt temporal join state"), "{err}");
    }
}
