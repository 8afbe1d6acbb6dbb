//! Barrier alignment of a task with several input channels (Flink's aligned checkpoints): once
//! a channel delivered the barrier of checkpoint `n`, its later events wait until every other
//! open channel delivered it too; then the task snapshots, forwards the barrier and goes on.

use super::{Barrier, CheckpointId};

/// What the task does after an event of alignment.
#[derive(Debug, PartialEq, Eq)]
pub enum Alignment {
    /// Keep reading (the channel is blocked until alignment ends).
    Wait,
    /// Every open channel delivered the barrier: snapshot, forward the barrier, unblock all.
    Aligned(Barrier),
}

/// Tracks which channels delivered the barrier of the checkpoint being aligned.
pub struct BarrierAligner {
    blocked: Vec<bool>,
    ended: Vec<bool>,
    current: Option<Barrier>,
    /// The last checkpoint aligned (older barriers that arrive late are ignored).
    last: CheckpointId,
}

impl BarrierAligner {
    pub fn new(channels: usize) -> Self {
        BarrierAligner { blocked: vec![false; channels], ended: vec![false; channels], current: None, last: 0 }
    }

    /// Whether events of `channel` must wait (it delivered the barrier being aligned).
    pub fn is_blocked(&self, channel: usize) -> bool {
        self.blocked[channel]
    }

    /// The barrier of checkpoint `barrier.id` arrived on `channel`.
    pub fn on_barrier(&mut self, channel: usize, barrier: Barrier) -> Alignment {
        if barrier.id <= self.last {
            return Alignment::Wait;
        }
        match &self.current {
            // A newer barrier while aligning: the older checkpoint cannot complete here (its
            // barrier was lost to a failure upstream); align the newer one from scratch.
            Some(current) if barrier.id > current.id => {
                self.blocked.iter_mut().for_each(|b| *b = false);
                self.current = Some(barrier);
            }
            Some(current) if barrier.id < current.id => return Alignment::Wait,
            Some(_) => {}
            None => self.current = Some(barrier),
        }
        self.blocked[channel] = true;
        self.check()
    }

    /// `channel` ended: it will deliver no more barriers, so alignment no longer waits for it.
    pub fn on_end(&mut self, channel: usize) -> Alignment {
        self.ended[channel] = true;
        self.blocked[channel] = false;
        if self.current.is_some() {
            self.check()
        } else {
            Alignment::Wait
        }
    }

    fn check(&mut self) -> Alignment {
        let aligned = self.blocked.iter().zip(&self.ended).all(|(blocked, ended)| *blocked || *ended);
        if !aligned {
            return Alignment::Wait;
        }
        let barrier = self.current.take().expect("aligning a barrier");
        self.last = barrier.id;
        self.blocked.iter_mut().for_each(|b| *b = false);
        Alignment::Aligned(barrier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(id: u64) -> Barrier {
        Barrier { id, timestamp_ms: 0, savepoint: false }
    }

    #[test]
    fn aligns_once_every_open_channel_delivered_the_barrier() {
        let mut a = BarrierAligner::new(3);
        assert_eq!(a.on_barrier(1, b(1)), Alignment::Wait);
        assert!(a.is_blocked(1) && !a.is_blocked(0));
        assert_eq!(a.on_barrier(0, b(1)), Alignment::Wait);
        assert_eq!(a.on_barrier(2, b(1)), Alignment::Aligned(b(1)));
        assert!(!a.is_blocked(0) && !a.is_blocked(1) && !a.is_blocked(2));
    }

    #[test]
    fn ended_channels_do_not_hold_alignment() {
        let mut a = BarrierAligner::new(2);
        assert_eq!(a.on_barrier(0, b(1)), Alignment::Wait);
        assert_eq!(a.on_end(1), Alignment::Aligned(b(1)));
        assert_eq!(a.on_barrier(0, b(2)), Alignment::Aligned(b(2)), "one open channel aligns alone");
    }

    #[test]
    fn a_newer_barrier_restarts_alignment_and_old_ones_are_ignored() {
        let mut a = BarrierAligner::new(2);
        assert_eq!(a.on_barrier(0, b(1)), Alignment::Wait);
        assert_eq!(a.on_barrier(1, b(2)), Alignment::Wait);
        assert!(!a.is_blocked(0), "checkpoint 1 was abandoned");
        assert_eq!(a.on_barrier(0, b(2)), Alignment::Aligned(b(2)));
        assert_eq!(a.on_barrier(1, b(1)), Alignment::Wait, "a late barrier of an old checkpoint");
        assert!(!a.is_blocked(1));
    }
}
