use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Keyed, Record};
use crate::error::BoxError;
use crate::function::{KeyedProcessFn, TimeDomain};
use crate::operator::{Operator, Output, TaskInfo};
use crate::state::SharedKeyedContext;

/// Flink's `KeyedProcessOperator`: calls the function per element under the element's key, and
/// fires its event-time timers as the watermark passes them and processing-time timers as the
/// clock does. Outputs of an element keep its timestamp; outputs of an event-time timer get the
/// timer's time; outputs of a processing-time timer have none.
pub struct KeyedProcessOperator<D: DataModel, F> {
    function: F,
    context: SharedKeyedContext<D>,
}

impl<D: DataModel, F> KeyedProcessOperator<D, F> {
    pub fn new(function: F, context: SharedKeyedContext<D>) -> Self {
        KeyedProcessOperator { function, context }
    }

    fn set_key(&self, key: Option<Keyed<D::Key>>, record: bool) {
        self.context.lock().unwrap_or_else(|p| p.into_inner()).set_key(key, record);
    }
}

fn push<D: DataModel>(out: &mut Output<D>, timestamp: Option<i64>, output: u32, value: D::Value) {
    let mut record = Record::with_timestamp(value, timestamp);
    record.output = output;
    out.push(record);
}

impl<D: DataModel, F: KeyedProcessFn<D>> KeyedProcessOperator<D, F> {
    fn fire_timers(&mut self, domain: TimeDomain, time: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        loop {
            let timer = {
                let mut ctx = self.context.lock().unwrap_or_else(|p| p.into_inner());
                let queue = match domain {
                    TimeDomain::EventTime => &mut ctx.event_timers,
                    TimeDomain::ProcessingTime => &mut ctx.processing_timers,
                };
                match queue.pop_due(time) {
                    Some(timer) => timer,
                    None => break,
                }
            };
            let timestamp = timer.timestamp;
            self.set_key(Some(timer.key), false);
            let out_ts = (domain == TimeDomain::EventTime).then_some(timestamp);
            self.function.on_timer(timestamp, domain, &mut |output, value| push(out, out_ts, output, value))?;
        }
        self.set_key(None, false);
        Ok(())
    }
}

impl<D: DataModel, F: KeyedProcessFn<D>> Operator<D> for KeyedProcessOperator<D, F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, input: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        for record in records {
            let timestamp = record.timestamp;
            self.set_key(record.key, true);
            self.function.process_element(input, record.value, timestamp, &mut |output, value| push(out, timestamp, output, value))?;
        }
        self.set_key(None, false);
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.context.lock().unwrap_or_else(|p| p.into_inner()).current_watermark = watermark;
        self.fire_timers(TimeDomain::EventTime, watermark, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn on_processing_time(&mut self, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.fire_timers(TimeDomain::ProcessingTime, now, out)
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        if let Some(bytes) = self.function.snapshot_function_state()? {
            state.broadcast(bytes);
        }
        self.context.lock().unwrap_or_else(|p| p.into_inner()).snapshot(state)
    }

    fn restore_state(&mut self, mut state: RestoredState<D>) -> Result<(), BoxError> {
        if let Some(bytes) = state.broadcast.take() {
            self.function.restore_function_state(bytes)?;
        }
        self.context.lock().unwrap_or_else(|p| p.into_inner()).restore(state)
    }
}
