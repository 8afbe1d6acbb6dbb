//! The checkpoint coordinator as pure decisions: it is told what happens (time passes, tasks
//! acknowledge or decline, tasks finish, the user asks for a savepoint) and answers with what to
//! do. The runtime carries the actions out; storage and threads stay outside.
//!
//! Semantics follow Flink's `CheckpointCoordinator`: periodic triggering bounded by interval, min
//! pause and max concurrent; subsumption of older pending checkpoints; expiry; a tolerance of
//! consecutive failures; retention of the latest completed checkpoints; and, once every task
//! finished (FLIP-147), a final checkpoint of the tasks' final state.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use super::{CheckpointId, SnapshotKind};

#[derive(Clone, Debug)]
pub struct CoordinatorConfig {
    /// `<= 0`: no periodic checkpoints (savepoints and the final checkpoint still happen).
    pub interval_ms: i64,
    /// Flink's min pause between the end of one checkpoint and the start of the next.
    pub min_pause_ms: i64,
    /// A pending checkpoint this old expires (`<= 0`: never).
    pub timeout_ms: i64,
    /// Pending periodic checkpoints at most (`>= 1`; 0 is taken as 1).
    pub max_concurrent: usize,
    /// Consecutive failed checkpoints tolerated; the next one fails the job.
    pub tolerable_failures: usize,
    /// Completed checkpoints kept (`>= 1`; 0 is taken as 1); older ones are discarded.
    pub retained: usize,
}

impl Default for CoordinatorConfig {
    /// Flink's defaults.
    fn default() -> Self {
        CoordinatorConfig {
            interval_ms: 0,
            min_pause_ms: 0,
            timeout_ms: 10 * 60 * 1000,
            max_concurrent: 1,
            tolerable_failures: 0,
            retained: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action<A> {
    /// Inject barrier `id` at every source task.
    Trigger { id: CheckpointId, kind: SnapshotKind, timestamp_ms: i64 },
    /// Every task acknowledged: the runtime writes the metadata (acks in task order, index =
    /// task) then tells tasks.
    Complete { id: CheckpointId, kind: SnapshotKind, timestamp_ms: i64, acks: Vec<A> },
    /// The checkpoint will not complete (expired, declined, subsumed, job finished).
    Abort { id: CheckpointId, kind: SnapshotKind, reason: String },
    /// A completed checkpoint is no longer retained: delete it.
    Discard { id: CheckpointId },
    /// Every task has finished and checkpoint `id` (just completed) holds their final state:
    /// tasks may commit and exit.
    Finalize { id: CheckpointId },
    /// Too many consecutive checkpoint failures (or an unrecoverable decline): fail the job
    /// with this reason.
    FailJob { reason: String },
}

/// A triggered checkpoint waiting for acknowledgements.
struct Pending<A> {
    kind: SnapshotKind,
    timestamp_ms: i64,
    /// Index = task; `None` until the task acked (or finished).
    acks: Vec<Option<A>>,
    missing: usize,
}

impl<A> Pending<A> {
    fn is_periodic(&self) -> bool {
        self.kind == SnapshotKind::Checkpoint
    }
}

pub struct CheckpointCoordinator<A: Clone> {
    config: CoordinatorConfig,
    next_id: CheckpointId,
    /// When the last periodic checkpoint was triggered (the job's start before the first), so
    /// the schedule is independent of savepoints.
    last_trigger_ms: i64,
    /// When the last checkpoint (of any kind) completed or was aborted, for the min pause.
    last_end_ms: Option<i64>,
    /// Ordered by id, so expiry, subsumption and aborts go oldest first.
    pending: BTreeMap<CheckpointId, Pending<A>>,
    /// Completed periodic checkpoints still retained, oldest first. The checkpoint the job was
    /// restored from is not in it: this job did not write it, so it does not delete it.
    completed: VecDeque<CheckpointId>,
    /// Index = task: its final state once it finished.
    finished: Vec<Option<A>>,
    finished_count: usize,
    consecutive_failures: usize,
    /// `FailJob` was emitted: the job is going down and later events are ignored.
    failed: bool,
}

impl<A: Clone> CheckpointCoordinator<A> {
    /// `tasks`: how many tasks must acknowledge each checkpoint. `last_id`: the id of the
    /// checkpoint the job was restored from (0 if none); new ids continue after it. `now_ms`:
    /// the job's start (the first periodic checkpoint is due at `now_ms + interval`).
    pub fn new(config: CoordinatorConfig, tasks: usize, last_id: CheckpointId, now_ms: i64) -> Self {
        assert!(tasks > 0, "a job has at least one task");
        CheckpointCoordinator {
            config,
            next_id: last_id + 1,
            last_trigger_ms: now_ms,
            last_end_ms: None,
            pending: BTreeMap::new(),
            completed: VecDeque::new(),
            finished: vec![None; tasks],
            finished_count: 0,
            consecutive_failures: 0,
            failed: false,
        }
    }

    /// Time passed: trigger a periodic checkpoint if due; expire pending ones past the timeout.
    pub fn on_tick(&mut self, now_ms: i64) -> Vec<Action<A>> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        // Expire first: a freed slot may let the next checkpoint start in the same tick.
        self.expire(now_ms, &mut out);
        if self.periodic_due(now_ms) {
            self.last_trigger_ms = now_ms;
            out.push(self.trigger(now_ms, SnapshotKind::Checkpoint));
        }
        out
    }

    /// The user asked for a savepoint into `target`: triggered at once, regardless of interval,
    /// min pause and max concurrent. If every task has finished already (or the job failed),
    /// the answer is an Abort explaining why; an id is spent on it all the same so that every
    /// answer names a distinct id.
    pub fn trigger_savepoint(&mut self, now_ms: i64, target: PathBuf) -> Vec<Action<A>> {
        let kind = SnapshotKind::Savepoint { target };
        let refusal = if self.all_finished() {
            Some("the job has finished: every task finished, no savepoint can be taken")
        } else if self.failed {
            Some("the job is failing: too many checkpoint failures")
        } else {
            None
        };
        if let Some(reason) = refusal {
            let id = self.next_id;
            self.next_id += 1;
            return vec![Action::Abort { id, kind, reason: reason.to_string() }];
        }
        vec![self.trigger(now_ms, kind)]
    }

    /// Task `task` acknowledged checkpoint `id` with `ack` (its snapshot handle). Unknown/old
    /// ids and repeated acks are ignored.
    pub fn on_ack(&mut self, task: usize, id: CheckpointId, ack: A, now_ms: i64) -> Vec<Action<A>> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        let Some(p) = self.pending.get_mut(&id) else { return out };
        if p.acks[task].is_some() {
            return out;
        }
        p.acks[task] = Some(ack);
        p.missing -= 1;
        if p.missing == 0 {
            self.complete(id, now_ms, &mut out);
        }
        out
    }

    /// Task `task` could not snapshot checkpoint `id` (e.g. a state value cannot be encoded):
    /// abort it, count a failure; `reason` is carried into Abort and, past the tolerance, into
    /// FailJob. Unknown/old ids are ignored.
    pub fn on_decline(&mut self, task: usize, id: CheckpointId, reason: String, now_ms: i64) -> Vec<Action<A>> {
        let mut out = Vec::new();
        if self.failed {
            return out;
        }
        let Some(p) = self.pending.remove(&id) else { return out };
        self.last_end_ms = Some(now_ms);
        let reason = format!("checkpoint {id} declined by task {task}: {reason}");
        let periodic = p.is_periodic();
        out.push(Action::Abort { id, kind: p.kind, reason: reason.clone() });
        if periodic {
            self.count_failure(&reason, &mut out);
        }
        out
    }

    /// Task `task` finished its input; `final_state` is its state after finishing. It counts as
    /// this task's ack for every pending checkpoint it has not acked yet and for every later
    /// checkpoint. Once all tasks have finished: abort the pending checkpoints, complete a final
    /// checkpoint (next id, no Trigger: there is nothing left to inject barriers into), apply
    /// retention, then Finalize.
    pub fn on_task_finished(&mut self, task: usize, final_state: A, now_ms: i64) -> Vec<Action<A>> {
        let mut out = Vec::new();
        if self.failed || self.finished[task].is_some() {
            return out;
        }
        self.finished[task] = Some(final_state.clone());
        self.finished_count += 1;

        if self.all_finished() {
            // The final checkpoint holds everything the pending ones would, and more.
            for (id, p) in std::mem::take(&mut self.pending) {
                let reason = format!("the job finished before checkpoint {id} completed");
                out.push(Action::Abort { id, kind: p.kind, reason });
            }
            let id = self.next_id;
            self.next_id += 1;
            self.last_end_ms = Some(now_ms);
            let acks = self.finished.iter().map(|s| s.clone().expect("every task finished")).collect();
            out.push(Action::Complete { id, kind: SnapshotKind::Checkpoint, timestamp_ms: now_ms, acks });
            self.after_periodic_complete(id, &mut out);
            out.push(Action::Finalize { id });
            return out;
        }

        let mut ready = Vec::new();
        for (id, p) in self.pending.iter_mut() {
            if p.acks[task].is_none() {
                p.acks[task] = Some(final_state.clone());
                p.missing -= 1;
                if p.missing == 0 {
                    ready.push(*id);
                }
            }
        }
        // Oldest first, so a newer one completing cannot have subsumed an older ready one.
        for id in ready {
            if self.pending.contains_key(&id) {
                self.complete(id, now_ms, &mut out);
            }
        }
        out
    }

    /// Pending checkpoints (periodic and savepoints).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The latest completed periodic checkpoint (of this run: not the one restored from).
    pub fn last_completed(&self) -> Option<CheckpointId> {
        self.completed.back().copied()
    }

    pub fn all_finished(&self) -> bool {
        self.finished_count == self.finished.len()
    }

    fn periodic_due(&self, now_ms: i64) -> bool {
        let c = &self.config;
        if c.interval_ms <= 0 || self.all_finished() || now_ms < self.last_trigger_ms + c.interval_ms {
            return false;
        }
        if let Some(end) = self.last_end_ms {
            if now_ms < end + c.min_pause_ms {
                return false;
            }
        }
        // With a min pause, the pause runs from the end of the pending checkpoint, which has
        // not happened yet: so nothing may overlap (Flink forces max concurrent to 1).
        if c.min_pause_ms > 0 && !self.pending.is_empty() {
            return false;
        }
        let periodic = self.pending.values().filter(|p| p.is_periodic()).count();
        periodic < c.max_concurrent.max(1)
    }

    fn trigger(&mut self, now_ms: i64, kind: SnapshotKind) -> Action<A> {
        let id = self.next_id;
        self.next_id += 1;
        // Finished tasks will never see the barrier: their final state is their ack.
        let acks = self.finished.clone();
        let missing = acks.iter().filter(|a| a.is_none()).count();
        self.pending.insert(id, Pending { kind: kind.clone(), timestamp_ms: now_ms, acks, missing });
        Action::Trigger { id, kind, timestamp_ms: now_ms }
    }

    fn expire(&mut self, now_ms: i64, out: &mut Vec<Action<A>>) {
        let timeout = self.config.timeout_ms;
        if timeout <= 0 {
            return;
        }
        let expired: Vec<CheckpointId> =
            self.pending.iter().filter(|(_, p)| now_ms - p.timestamp_ms >= timeout).map(|(id, _)| *id).collect();
        for id in expired {
            // A FailJob already aborted everything still pending.
            let Some(p) = self.pending.remove(&id) else { break };
            self.last_end_ms = Some(now_ms);
            let reason = format!("checkpoint {id} expired after {timeout} ms");
            let periodic = p.is_periodic();
            out.push(Action::Abort { id, kind: p.kind, reason: reason.clone() });
            if periodic {
                self.count_failure(&reason, out);
            }
        }
    }

    /// A periodic checkpoint failed; past the tolerance, abort what is pending and fail the job.
    fn count_failure(&mut self, reason: &str, out: &mut Vec<Action<A>>) {
        self.consecutive_failures += 1;
        if self.consecutive_failures <= self.config.tolerable_failures {
            return;
        }
        for (id, p) in std::mem::take(&mut self.pending) {
            out.push(Action::Abort { id, kind: p.kind, reason: format!("the job is failing: {reason}") });
        }
        out.push(Action::FailJob {
            reason: format!(
                "{} consecutive checkpoint failures exceed the {} tolerated; last: {reason}",
                self.consecutive_failures, self.config.tolerable_failures
            ),
        });
        self.failed = true;
    }

    fn complete(&mut self, id: CheckpointId, now_ms: i64, out: &mut Vec<Action<A>>) {
        let p = self.pending.remove(&id).expect("completing a pending checkpoint");
        self.last_end_ms = Some(now_ms);
        let periodic = p.is_periodic();
        let acks = p.acks.into_iter().map(|a| a.expect("every task acked")).collect();
        out.push(Action::Complete { id, kind: p.kind, timestamp_ms: p.timestamp_ms, acks });
        if periodic {
            self.after_periodic_complete(id, out);
        }
    }

    /// Subsume older pending periodic checkpoints, reset the failure count, apply retention.
    fn after_periodic_complete(&mut self, id: CheckpointId, out: &mut Vec<Action<A>>) {
        let older: Vec<CheckpointId> =
            self.pending.range(..id).filter(|(_, p)| p.is_periodic()).map(|(id, _)| *id).collect();
        for old in older {
            let p = self.pending.remove(&old).expect("pending");
            out.push(Action::Abort { id: old, kind: p.kind, reason: format!("subsumed by checkpoint {id}") });
        }
        self.consecutive_failures = 0;
        self.completed.push_back(id);
        while self.completed.len() > self.config.retained.max(1) {
            let old = self.completed.pop_front().expect("non-empty");
            out.push(Action::Discard { id: old });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Coord = CheckpointCoordinator<&'static str>;
    type Act = Action<&'static str>;

    fn cfg(interval_ms: i64) -> CoordinatorConfig {
        CoordinatorConfig { interval_ms, ..CoordinatorConfig::default() }
    }

    fn trig(id: CheckpointId, at: i64) -> Act {
        Action::Trigger { id, kind: SnapshotKind::Checkpoint, timestamp_ms: at }
    }

    fn done(id: CheckpointId, at: i64, acks: Vec<&'static str>) -> Act {
        Action::Complete { id, kind: SnapshotKind::Checkpoint, timestamp_ms: at, acks }
    }

    fn sp(target: &str) -> SnapshotKind {
        SnapshotKind::Savepoint { target: PathBuf::from(target) }
    }

    fn abort_reason(a: &Act) -> &str {
        match a {
            Action::Abort { reason, .. } => reason,
            other => panic!("expected Abort, got {other:?}"),
        }
    }

    fn fail_reason(a: &Act) -> &str {
        match a {
            Action::FailJob { reason } => reason,
            other => panic!("expected FailJob, got {other:?}"),
        }
    }

    /// Every task acks checkpoint `id`; returns the actions of the last ack.
    fn ack_all(c: &mut Coord, id: CheckpointId, tasks: usize, now: i64) -> Vec<Act> {
        let mut last = Vec::new();
        for t in 0..tasks {
            last = c.on_ack(t, id, "a", now);
        }
        last
    }

    #[test]
    fn periodic_checkpoints_follow_the_interval_one_per_tick() {
        let mut c = Coord::new(cfg(100), 1, 0, 1000);
        assert_eq!(c.on_tick(1050), vec![]);
        assert_eq!(c.on_tick(1100), vec![trig(1, 1100)]);
        assert_eq!(ack_all(&mut c, 1, 1, 1120), vec![done(1, 1100, vec!["a"])]);
        assert_eq!(c.on_tick(1150), vec![], "due at last trigger + interval");
        // Long after: still only one trigger in a tick.
        assert_eq!(c.on_tick(5000), vec![trig(2, 5000)]);
        assert_eq!(c.last_completed(), Some(1));

        let mut off = Coord::new(cfg(0), 1, 0, 0);
        assert_eq!(off.on_tick(1_000_000), vec![], "interval 0: no periodic checkpoints");
    }

    #[test]
    fn min_pause_runs_from_the_end_of_the_last_checkpoint() {
        let config = CoordinatorConfig { min_pause_ms: 80, max_concurrent: 5, ..cfg(100) };
        let mut c = Coord::new(config, 1, 0, 0);
        assert_eq!(c.on_tick(100), vec![trig(1, 100)]);
        assert_eq!(c.on_tick(200), vec![], "min pause > 0: one pending at a time");
        assert_eq!(ack_all(&mut c, 1, 1, 250).len(), 1);
        assert_eq!(c.on_tick(300), vec![], "250 + 80 not reached");
        assert_eq!(c.on_tick(330), vec![trig(2, 330)]);
    }

    #[test]
    fn max_concurrent_bounds_pending_periodic_checkpoints() {
        let config = CoordinatorConfig { max_concurrent: 2, ..cfg(100) };
        let mut c = Coord::new(config, 2, 0, 0);
        assert_eq!(c.on_tick(100), vec![trig(1, 100)]);
        assert_eq!(c.on_tick(200), vec![trig(2, 200)]);
        assert_eq!(c.on_tick(300), vec![]);
        assert_eq!(c.pending(), 2);
        ack_all(&mut c, 1, 2, 310);
        assert_eq!(c.on_tick(320), vec![trig(3, 320)]);
    }

    #[test]
    fn completes_only_after_every_ack_and_ignores_unknown_ids() {
        let mut c = Coord::new(cfg(100), 3, 0, 0);
        c.on_tick(100);
        assert_eq!(c.on_ack(1, 1, "b", 110), vec![]);
        assert_eq!(c.on_ack(1, 1, "again", 111), vec![], "a repeated ack is ignored");
        assert_eq!(c.on_ack(0, 9, "x", 112), vec![], "unknown id");
        assert_eq!(c.on_ack(0, 1, "a", 113), vec![]);
        assert_eq!(c.pending(), 1);
        assert_eq!(c.on_ack(2, 1, "c", 120), vec![done(1, 100, vec!["a", "b", "c"])]);
        assert_eq!(c.pending(), 0);
        assert_eq!(c.on_ack(0, 1, "late", 130), vec![], "an old id");
    }

    #[test]
    fn a_completed_checkpoint_subsumes_older_pending_ones_without_failure() {
        let config = CoordinatorConfig { max_concurrent: 3, ..cfg(100) };
        let mut c = Coord::new(config, 1, 0, 0);
        c.on_tick(100);
        c.on_tick(200);
        c.trigger_savepoint(250, PathBuf::from("/sp"));
        let out = c.on_ack(0, 2, "a", 260);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], done(2, 200, vec!["a"]));
        assert_eq!(
            out[1],
            Action::Abort { id: 1, kind: SnapshotKind::Checkpoint, reason: "subsumed by checkpoint 2".into() }
        );
        assert_eq!(c.pending(), 1, "the savepoint is not subsumed");
        assert_eq!(c.on_ack(0, 1, "a", 270), vec![]);
    }

    #[test]
    fn expiry_counts_failures_up_to_the_tolerance_then_fails_the_job() {
        let config = CoordinatorConfig { timeout_ms: 50, tolerable_failures: 1, ..cfg(100) };
        let mut c = Coord::new(config, 1, 0, 0);
        assert_eq!(c.on_tick(100), vec![trig(1, 100)]);
        let out = c.on_tick(149);
        assert_eq!(out, vec![]);
        let out = c.on_tick(150);
        assert_eq!(out.len(), 1);
        assert!(abort_reason(&out[0]).contains("expired after 50 ms"));
        assert_eq!(c.on_tick(200), vec![trig(2, 200)]);
        let out = c.on_tick(250);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(abort_reason(&out[0]).contains("checkpoint 2 expired"));
        assert!(fail_reason(&out[1]).contains("checkpoint 2 expired after 50 ms"));
        assert_eq!(c.on_tick(1000), vec![], "the job is failing: nothing more");
    }

    #[test]
    fn a_completed_checkpoint_resets_the_failure_count() {
        let config = CoordinatorConfig { timeout_ms: 50, tolerable_failures: 1, ..cfg(100) };
        let mut c = Coord::new(config, 1, 0, 0);
        c.on_tick(100);
        c.on_tick(150); // 1 expired: one failure
        c.on_tick(200);
        ack_all(&mut c, 2, 1, 210);
        c.on_tick(300);
        let out = c.on_tick(350);
        assert_eq!(out.len(), 1, "one failure since the last completion is tolerated: {out:?}");
    }

    #[test]
    fn a_decline_aborts_and_its_reason_reaches_fail_job() {
        let mut c = Coord::new(cfg(100), 2, 0, 0);
        c.on_tick(100);
        assert_eq!(c.on_decline(1, 7, "unknown".into(), 105), vec![], "unknown id");
        let out = c.on_decline(1, 1, "cannot encode value of state 'count'".into(), 110);
        assert_eq!(out.len(), 2);
        assert!(abort_reason(&out[0]).contains("cannot encode value of state 'count'"));
        assert!(fail_reason(&out[1]).contains("cannot encode value of state 'count'"));
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn retention_discards_the_oldest_after_the_complete() {
        let config = CoordinatorConfig { retained: 2, ..cfg(100) };
        let mut c = Coord::new(config, 1, 0, 0);
        for (i, id) in (1..=2).enumerate() {
            let t = 100 * (i as i64 + 1);
            c.on_tick(t);
            assert_eq!(ack_all(&mut c, id, 1, t + 10), vec![done(id, t, vec!["a"])]);
        }
        c.on_tick(300);
        assert_eq!(ack_all(&mut c, 3, 1, 310), vec![done(3, 300, vec!["a"]), Action::Discard { id: 1 }]);
        c.on_tick(400);
        assert_eq!(ack_all(&mut c, 4, 1, 410), vec![done(4, 400, vec!["a"]), Action::Discard { id: 2 }]);
        assert_eq!(c.last_completed(), Some(4));
    }

    #[test]
    fn savepoints_trigger_at_once_are_not_discarded_and_do_not_count_failures() {
        let mut c = Coord::new(cfg(100), 1, 0, 0);
        c.on_tick(100);
        // Max concurrent is 1 and a periodic checkpoint is pending: the savepoint goes anyway.
        assert_eq!(
            c.trigger_savepoint(120, PathBuf::from("/sp/a")),
            vec![Action::Trigger { id: 2, kind: sp("/sp/a"), timestamp_ms: 120 }]
        );
        assert_eq!(c.pending(), 2);
        assert_eq!(
            c.on_ack(0, 2, "s", 130),
            vec![Action::Complete { id: 2, kind: sp("/sp/a"), timestamp_ms: 120, acks: vec!["s"] }]
        );
        assert_eq!(c.pending(), 1, "the periodic checkpoint is not subsumed by a savepoint");
        assert_eq!(c.last_completed(), None, "a savepoint is not a periodic checkpoint");
        ack_all(&mut c, 1, 1, 140);
        c.on_tick(200);
        assert_eq!(ack_all(&mut c, 3, 1, 210), vec![done(3, 200, vec!["a"]), Action::Discard { id: 1 }]);
        // A declined savepoint does not fail the job, even with no tolerance.
        c.trigger_savepoint(220, PathBuf::from("/sp/b"));
        let out = c.on_decline(0, 4, "disk full".into(), 230);
        assert_eq!(out.len(), 1);
        assert!(abort_reason(&out[0]).contains("disk full"));
    }

    #[test]
    fn finished_tasks_ack_pending_and_later_checkpoints_with_their_final_state() {
        let config = CoordinatorConfig { retained: 5, ..cfg(100) };
        let mut c = Coord::new(config, 3, 0, 0);
        c.on_tick(100);
        c.on_ack(1, 1, "b1", 110);
        assert_eq!(c.on_task_finished(0, "f0", 120), vec![]);
        assert_eq!(c.on_ack(0, 1, "late", 121), vec![], "already counted by its final state");
        assert_eq!(c.on_ack(2, 1, "c1", 130), vec![done(1, 100, vec!["f0", "b1", "c1"])]);
        c.on_tick(200);
        c.on_ack(1, 2, "b2", 210);
        // The finishing task was the last one missing: the checkpoint completes.
        assert_eq!(c.on_task_finished(2, "f2", 220), vec![done(2, 200, vec!["f0", "b2", "f2"])]);
        assert!(!c.all_finished());
    }

    #[test]
    fn all_tasks_finished_aborts_pending_completes_a_final_checkpoint_and_finalizes() {
        let mut c = Coord::new(cfg(100), 2, 0, 0);
        c.on_tick(100);
        ack_all(&mut c, 1, 2, 110);
        c.on_tick(200);
        c.trigger_savepoint(210, PathBuf::from("/sp"));
        assert_eq!(c.on_task_finished(0, "f0", 220), vec![]);
        let out = c.on_task_finished(1, "f1", 230);
        assert_eq!(out.len(), 5, "{out:?}");
        assert!(matches!(&out[0], Action::Abort { id: 2, kind: SnapshotKind::Checkpoint, .. }));
        assert!(abort_reason(&out[0]).contains("job finished"));
        assert!(matches!(&out[1], Action::Abort { id: 3, kind: SnapshotKind::Savepoint { .. }, .. }));
        assert_eq!(out[2], done(4, 230, vec!["f0", "f1"]));
        assert_eq!(out[3], Action::Discard { id: 1 });
        assert_eq!(out[4], Action::Finalize { id: 4 });
        assert!(c.all_finished());
        assert_eq!(c.pending(), 0);
        assert_eq!(c.last_completed(), Some(4));
        assert_eq!(c.on_tick(10_000), vec![], "no checkpoints once everything finished");
        let out = c.trigger_savepoint(10_000, PathBuf::from("/sp2"));
        assert_eq!(out.len(), 1);
        assert!(matches!(&out[0], Action::Abort { kind: SnapshotKind::Savepoint { .. }, .. }));
        assert!(abort_reason(&out[0]).contains("finished"));
    }

    #[test]
    fn a_restored_job_continues_numbering_after_the_restored_id() {
        let mut c = Coord::new(cfg(100), 1, 7, 0);
        assert_eq!(c.on_tick(100), vec![trig(8, 100)]);
        assert_eq!(
            c.trigger_savepoint(110, PathBuf::from("/sp"))[0],
            Action::Trigger { id: 9, kind: sp("/sp"), timestamp_ms: 110 }
        );
        assert_eq!(c.last_completed(), None);
        let out = c.on_task_finished(0, "f", 120);
        assert_eq!(out.last(), Some(&Action::Finalize { id: 10 }));
    }
}
