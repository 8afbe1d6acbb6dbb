//! Channels between tasks and the routing of a task's output to downstream instances.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{SendTimeoutError, Sender};

use crate::data::{DataModel, Record};
use crate::error::{message, BoxError, JobError};
use crate::graph::Partitioning;
use crate::key_group::{key_group_of, operator_index_of};

/// What flows on a channel: record batches with control events in between.
pub enum Event<D: DataModel> {
    Records(Vec<Record<D>>),
    Watermark(i64),
    /// The producer's watermark status (Flink's `WatermarkStatus`): `true` = idle, the consumer
    /// leaves this channel out of its watermark; `false` = active again (a record or a watermark
    /// on the channel means active too).
    Idle(bool),
    /// A checkpoint barrier (see [`crate::checkpoint`]).
    Barrier(crate::checkpoint::Barrier),
    EndOfInput,
}

/// An event with the input port and channel it arrived on.
pub struct Envelope<D: DataModel> {
    pub port: usize,
    pub channel: usize,
    pub event: Event<D>,
}

/// How long a blocked task sleeps before it looks at the cancellation flag again.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Sends, blocking while the channel is full (backpressure), until the job is cancelled.
pub(crate) fn send<D: DataModel>(
    sender: &Sender<Envelope<D>>,
    mut envelope: Envelope<D>,
    cancelled: &AtomicBool,
) -> Result<(), JobError> {
    loop {
        match sender.send_timeout(envelope, POLL_INTERVAL) {
            Ok(()) => return Ok(()),
            Err(SendTimeoutError::Timeout(back)) => {
                if cancelled.load(Ordering::Relaxed) {
                    return Err(JobError::Cancelled);
                }
                envelope = back;
            }
            Err(SendTimeoutError::Disconnected(_)) => return Err(JobError::Cancelled),
        }
    }
}

/// One outgoing edge of a task: partitions records over the downstream instances.
pub struct OutputRoute<D: DataModel> {
    partitioning: Partitioning,
    targets: Vec<Sender<Envelope<D>>>,
    port: usize,
    /// This task's channel index at every target.
    channel: usize,
    max_parallelism: usize,
    /// Round-robin position (rebalance) or random state (shuffle).
    cursor: u64,
    buffers: Vec<Vec<Record<D>>>,
    /// Events to send before the buffers, in order: records cut off by a control event, then it.
    pending: Vec<(usize, Event<D>)>,
}

impl<D: DataModel> OutputRoute<D> {
    pub fn new(
        partitioning: Partitioning,
        targets: Vec<Sender<Envelope<D>>>,
        port: usize,
        channel: usize,
        max_parallelism: usize,
        subtask_index: usize,
    ) -> Self {
        let buffers = targets.iter().map(|_| Vec::new()).collect();
        // Start round robin at different places so parallel producers do not all hit target 0 first.
        let cursor = (subtask_index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        OutputRoute { partitioning, targets, port, channel, max_parallelism, cursor, buffers, pending: Vec::new() }
    }

    /// Distributes records over the per-target buffers (call inside the data model's scope).
    pub fn partition(&mut self, records: Vec<Record<D>>) -> Result<(), BoxError> {
        let n = self.targets.len();
        match self.partitioning {
            _ if n == 1 => self.buffers[0].extend(records),
            Partitioning::Forward | Partitioning::Global => self.buffers[0].extend(records),
            Partitioning::Rebalance | Partitioning::Rescale => {
                for record in records {
                    self.cursor = self.cursor.wrapping_add(1);
                    self.buffers[(self.cursor % n as u64) as usize].push(record);
                }
            }
            Partitioning::Shuffle => {
                for record in records {
                    // xorshift64: cheap and good enough to spread records.
                    self.cursor ^= self.cursor << 13;
                    self.cursor ^= self.cursor >> 7;
                    self.cursor ^= self.cursor << 17;
                    self.buffers[(self.cursor % n as u64) as usize].push(record);
                }
            }
            Partitioning::Hash => {
                for record in records {
                    let Some(key) = &record.key else {
                        return Err(message("a keyed exchange received a record without a key"));
                    };
                    let group = key_group_of(key.hash, self.max_parallelism);
                    self.buffers[operator_index_of(group, n, self.max_parallelism)].push(record);
                }
            }
            Partitioning::Broadcast => {
                for record in records {
                    for buffer in &mut self.buffers[1..] {
                        buffer.push(record.duplicate());
                    }
                    self.buffers[0].push(record);
                }
            }
        }
        Ok(())
    }

    /// Queues a control event for every target after the records partitioned so far.
    pub fn control(&mut self, event: impl Fn() -> Event<D>) {
        for (target, buffer) in self.buffers.iter_mut().enumerate() {
            if !buffer.is_empty() {
                self.pending.push((target, Event::Records(std::mem::take(buffer))));
            }
            self.pending.push((target, event()));
        }
    }

    /// Sends what is queued, then every non-empty buffer (outside the scope: sending may block).
    pub fn flush(&mut self, cancelled: &AtomicBool) -> Result<(), JobError> {
        for (target, event) in self.pending.drain(..) {
            send(&self.targets[target], Envelope { port: self.port, channel: self.channel, event }, cancelled)?;
        }
        for (target, buffer) in self.targets.iter().zip(self.buffers.iter_mut()) {
            if !buffer.is_empty() {
                let records = std::mem::take(buffer);
                send(target, Envelope { port: self.port, channel: self.channel, event: Event::Records(records) }, cancelled)?;
            }
        }
        Ok(())
    }
}
