//! One parallel instance of a chain, run on its own thread: read input (or poll the source), push
//! each batch through the chained operators inside the data model's scope, route the output.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::data::{DataModel, Record};
use crate::error::{BoxError, JobError};
use crate::exchange::{Envelope, Event, OutputRoute, POLL_INTERVAL};
use crate::executor::JobShared;
use crate::operator::{Operator, TaskInfo};
use crate::source::{Source, SourcePoll};

pub(crate) enum Head<D: DataModel> {
    Source { source: Box<dyn Source<D>>, info: TaskInfo },
    Input { receiver: Receiver<Envelope<D>>, channels: usize },
}

pub(crate) struct Task<D: DataModel> {
    pub name: String,
    pub subtask: usize,
    pub parallelism: usize,
    pub head: Head<D>,
    /// The chained operators with where each runs.
    pub operators: Vec<(TaskInfo, Box<dyn Operator<D>>)>,
    pub outputs: Vec<OutputRoute<D>>,
    pub batch_size: usize,
    pub shared: Arc<JobShared>,
}

/// Which stage failed, so the error names the operator.
struct StageError {
    stage: Stage,
    error: BoxError,
}

#[derive(Clone, Copy)]
enum Stage {
    Source,
    Operator(usize),
}

type StageResult<T> = Result<T, StageError>;

fn at(stage: Stage) -> impl Fn(BoxError) -> StageError {
    move |error| StageError { stage, error }
}

impl<D: DataModel> Task<D> {
    pub fn run(mut self) -> Result<(), JobError> {
        let opened = D::scoped(|| self.open());
        let result = match opened {
            Ok(()) => self.run_opened(),
            Err(e) => Err(self.job_error(e)),
        };
        let closed = D::scoped(|| self.close()).map_err(|e| self.job_error(e));
        // Values still held (a source's input, operator state) are released in the scope too:
        // for Python objects that is one GIL acquisition instead of a deferred decref each.
        D::scoped(move || drop(self));
        result.and(closed)
    }

    fn run_opened(&mut self) -> Result<(), JobError> {
        match &self.head {
            Head::Source { .. } => self.run_source(),
            Head::Input { .. } => self.run_input(),
        }
    }

    fn open(&mut self) -> StageResult<()> {
        if let Head::Source { source, info } = &mut self.head {
            source.open(info).map_err(at(Stage::Source))?;
        }
        for (i, (info, op)) in self.operators.iter_mut().enumerate() {
            op.open(info).map_err(at(Stage::Operator(i)))?;
        }
        Ok(())
    }

    fn close(&mut self) -> StageResult<()> {
        let mut first = Ok(());
        if let Head::Source { source, .. } = &mut self.head {
            first = source.close().map_err(at(Stage::Source));
        }
        for (i, (_, op)) in self.operators.iter_mut().enumerate() {
            let r = op.close().map_err(at(Stage::Operator(i)));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    fn cancelled(&self) -> Result<(), JobError> {
        if self.shared.cancelled.load(Ordering::Relaxed) {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }

    fn run_source(&mut self) -> Result<(), JobError> {
        loop {
            self.cancelled()?;
            let batch_size = self.batch_size;
            let polled = D::scoped(|| -> StageResult<bool> {
                let poll = match &mut self.head {
                    Head::Source { source, .. } => source.poll(batch_size).map_err(at(Stage::Source))?,
                    Head::Input { .. } => unreachable!(),
                };
                match poll {
                    SourcePoll::Records(records) => self.process_and_route(0, records).map(|()| true),
                    SourcePoll::Pending => Ok(true),
                    SourcePoll::Finished => Ok(false),
                }
            });
            let more = polled.map_err(|e| self.job_error(e))?;
            self.flush()?;
            if !more {
                break;
            }
        }
        self.end_of_input()
    }

    fn run_input(&mut self) -> Result<(), JobError> {
        let (receiver, channels) = match &self.head {
            Head::Input { receiver, channels } => (receiver.clone(), *channels),
            Head::Source { .. } => unreachable!(),
        };
        let mut watermarks = vec![i64::MIN; channels];
        let mut ended = vec![false; channels];
        let mut open_channels = channels;
        let mut current_watermark = i64::MIN;
        while open_channels > 0 {
            let envelope = match receiver.recv_timeout(POLL_INTERVAL) {
                Ok(envelope) => envelope,
                Err(RecvTimeoutError::Timeout) => {
                    self.cancelled()?;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return Err(JobError::Cancelled),
            };
            match envelope.event {
                Event::Records(records) => {
                    D::scoped(|| self.process_and_route(envelope.port, records)).map_err(|e| self.job_error(e))?;
                    self.flush()?;
                }
                Event::Watermark(w) => {
                    watermarks[envelope.channel] = watermarks[envelope.channel].max(w);
                    let combined = (0..channels).filter(|&c| !ended[c]).map(|c| watermarks[c]).min().unwrap_or(i64::MAX);
                    if combined > current_watermark {
                        current_watermark = combined;
                        self.advance_watermark(combined)?;
                    }
                }
                Event::EndOfInput => {
                    if !ended[envelope.channel] {
                        ended[envelope.channel] = true;
                        open_channels -= 1;
                    }
                }
            }
        }
        self.end_of_input()
    }

    /// The input is exhausted: event time jumps to the end, operators flush, downstream is told.
    fn end_of_input(&mut self) -> Result<(), JobError> {
        self.advance_watermark(i64::MAX)?;
        D::scoped(|| self.drain_chain(|op, out| op.finish(out))).map_err(|e| self.job_error(e))?;
        let cancelled = &self.shared.cancelled;
        for route in &mut self.outputs {
            route.broadcast_event(|| Event::EndOfInput, cancelled)?;
        }
        Ok(())
    }

    fn advance_watermark(&mut self, watermark: i64) -> Result<(), JobError> {
        D::scoped(|| self.drain_chain(|op, out| op.on_watermark(watermark, out))).map_err(|e| self.job_error(e))?;
        let cancelled = &self.shared.cancelled;
        for route in &mut self.outputs {
            route.broadcast_event(|| Event::Watermark(watermark), cancelled)?;
        }
        Ok(())
    }

    /// Runs `step` on every operator in chain order; what an operator emits is processed by the
    /// rest of the chain before the next operator takes its step.
    fn drain_chain(
        &mut self,
        step: impl Fn(&mut dyn Operator<D>, &mut Vec<Record<D>>) -> Result<(), BoxError>,
    ) -> StageResult<()> {
        let mut pending: Vec<Record<D>> = Vec::new();
        for i in 0..self.operators.len() {
            let mut out = Vec::new();
            let op = &mut self.operators[i].1;
            if !pending.is_empty() {
                op.process(0, std::mem::take(&mut pending), &mut out).map_err(at(Stage::Operator(i)))?;
            }
            step(op.as_mut(), &mut out).map_err(at(Stage::Operator(i)))?;
            pending = out;
        }
        self.route(pending)
    }

    /// Pushes a batch through the chain and partitions what comes out.
    fn process_and_route(&mut self, port: usize, records: Vec<Record<D>>) -> StageResult<()> {
        let mut batch = records;
        let mut port = port;
        for (i, (_, op)) in self.operators.iter_mut().enumerate() {
            if batch.is_empty() {
                return Ok(());
            }
            let mut out = Vec::with_capacity(batch.len());
            op.process(port, batch, &mut out).map_err(at(Stage::Operator(i)))?;
            batch = out;
            port = 0;
        }
        self.route(batch)
    }

    fn route(&mut self, records: Vec<Record<D>>) -> StageResult<()> {
        let stage = Stage::Operator(self.operators.len().saturating_sub(1));
        match self.outputs.len() {
            0 => Ok(()),
            1 => self.outputs[0].partition(records).map_err(at(stage)),
            n => {
                for route in &mut self.outputs[..n - 1] {
                    route.partition(records.iter().map(Record::duplicate).collect()).map_err(at(stage))?;
                }
                self.outputs[n - 1].partition(records).map_err(at(stage))
            }
        }
    }

    fn flush(&mut self) -> Result<(), JobError> {
        let cancelled = &self.shared.cancelled;
        for route in &mut self.outputs {
            route.flush(cancelled)?;
        }
        Ok(())
    }

    fn job_error(&self, e: StageError) -> JobError {
        let operator = match (e.stage, &self.head) {
            (Stage::Source, Head::Source { info, .. }) => info.operator_name.clone(),
            (Stage::Operator(i), _) if i < self.operators.len() => self.operators[i].0.operator_name.clone(),
            _ => self.name.clone(),
        };
        JobError::Operator { operator, subtask: self.subtask, parallelism: self.parallelism, source: e.error }
    }
}
