use crate::data::{DataModel, Record};
use crate::error::{message, BoxError};
use crate::function::TimestampAssignerFn;
use crate::operator::{Operator, Output, TaskInfo};
use crate::time::{WatermarkGenerator, MAX_WATERMARK, MIN_WATERMARK};

/// When generated watermarks are emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatermarkEmission {
    /// Every `interval_ms` of processing time (Flink's auto-watermark interval), checked after
    /// each batch and while idle; and also after every [`EMIT_AFTER_RECORDS`] records.
    Periodic { interval_ms: i64 },
    /// After every record that advances the watermark (deterministic; for tests and replays).
    OnEvent,
    /// Never (only the end-of-input watermark passes).
    Disabled,
}

/// A periodic generator's watermark also goes out once this many records passed since the
/// last one. Flink emits on the interval alone, so a fast pipeline holds an interval's worth of
/// open windows (hundreds of thousands of records here) and fires them in one burst, long after
/// their contents left the CPU caches; a fresher watermark fires them while they are warm. Which
/// records are late may change by it, as it changes in Flink with the processing speed: a
/// watermark never passes what the strategy's bound allows.
pub const EMIT_AFTER_RECORDS: usize = 1024;

/// `assign_timestamps_and_watermarks`: sets each record's timestamp and generates watermarks from
/// them. Upstream watermarks are dropped, except the final one at the end of input; so is the
/// upstream watermark status (idleness).
///
/// With an idle timeout (`WatermarkStrategy.with_idleness`), an instance that receives no record
/// for that long (processing time) declares its output idle, so downstream operators leave it out
/// of their watermark; its next record (or the final watermark) makes it active again.
pub struct TimestampsAndWatermarksOperator<F> {
    assigner: Option<F>,
    generator: WatermarkGenerator,
    emission: WatermarkEmission,
    last_emitted: i64,
    last_emit_time: i64,
    /// Records since the last periodic emission.
    records_since_emit: usize,
    clock: Option<std::sync::Arc<dyn crate::time::Clock>>,
    /// Declare the output idle after this long (ms) without records.
    pub idle_timeout_ms: Option<i64>,
    /// Processing time of the last record (or of `open`).
    last_activity: i64,
    idle: bool,
}

impl<F> TimestampsAndWatermarksOperator<F> {
    /// Without an assigner the records' existing timestamps are used.
    pub fn new(assigner: Option<F>, generator: WatermarkGenerator, emission: WatermarkEmission) -> Self {
        TimestampsAndWatermarksOperator {
            assigner,
            generator,
            emission,
            last_emitted: MIN_WATERMARK,
            last_emit_time: 0,
            records_since_emit: 0,
            clock: None,
            idle_timeout_ms: None,
            last_activity: 0,
            idle: false,
        }
    }

    /// `WatermarkStrategy.with_idleness(timeout)`: go idle after `idle_timeout_ms` of processing
    /// time without records (`None`: never). The timeout must be positive (checked at `open`).
    pub fn with_idle_timeout(mut self, idle_timeout_ms: Option<i64>) -> Self {
        self.idle_timeout_ms = idle_timeout_ms;
        self
    }

    /// Whether the output is currently declared idle.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    fn set_active<D: DataModel>(&mut self, out: &mut Output<D>) {
        if self.idle {
            self.idle = false;
            out.emit_idle(false);
        }
    }

    fn emit_if_advanced<D: DataModel>(&mut self, out: &mut Output<D>) {
        let watermark = self.generator.current();
        if watermark > self.last_emitted {
            self.last_emitted = watermark;
            out.emit_watermark(watermark);
        }
    }

    fn periodic<D: DataModel>(&mut self, now: i64, out: &mut Output<D>) {
        if let WatermarkEmission::Periodic { interval_ms } = self.emission {
            if now - self.last_emit_time >= interval_ms || self.records_since_emit >= EMIT_AFTER_RECORDS {
                self.last_emit_time = now;
                self.records_since_emit = 0;
                self.emit_if_advanced(out);
            }
        }
    }
}

impl<D: DataModel, F: TimestampAssignerFn<D>> Operator<D> for TimestampsAndWatermarksOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        if self.idle_timeout_ms.is_some_and(|t| t <= 0) {
            return Err(message("idleness timeout must be greater than zero"));
        }
        self.last_emit_time = task.clock.now();
        self.last_activity = self.last_emit_time;
        self.clock = Some(task.clock.clone());
        match &mut self.assigner {
            Some(a) => a.open(task),
            None => Ok(()),
        }
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        if !records.is_empty() {
            if let Some(clock) = &self.clock {
                self.last_activity = clock.now();
            }
            self.set_active(out);
        }
        self.records_since_emit += records.len();
        for mut record in records {
            let timestamp = match &mut self.assigner {
                Some(assigner) => assigner.extract_timestamp(&record.value, record.timestamp)?,
                None => match record.timestamp {
                    Some(t) => t,
                    None => {
                        out.push(record);
                        continue;
                    }
                },
            };
            record.timestamp = Some(timestamp);
            self.generator.on_event(timestamp);
            out.push(record);
            if self.emission == WatermarkEmission::OnEvent {
                self.emit_if_advanced(out);
            }
        }
        if let Some(clock) = self.clock.clone() {
            self.periodic(clock.now(), out);
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        if watermark == MAX_WATERMARK {
            self.set_active(out);
            self.last_emitted = MAX_WATERMARK;
            out.emit_watermark(MAX_WATERMARK);
        }
        Ok(())
    }

    /// Ignores the upstream watermark status: this operator decides its own.
    fn on_idle(&mut self, _idle: bool, _out: &mut Output<D>) -> Result<(), BoxError> {
        Ok(())
    }

    fn on_processing_time(&mut self, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.periodic(now, out);
        if let Some(timeout) = self.idle_timeout_ms {
            if !self.idle && self.last_emitted != MAX_WATERMARK && now.saturating_sub(self.last_activity) >= timeout {
                self.idle = true;
                out.emit_idle(true);
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        match &mut self.assigner {
            Some(a) => a.close(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Lifecycle;
    use crate::operator::Marker;
    use crate::test_support::Ints;
    use crate::time::{Clock, ManualClock, WatermarkStrategy};

    /// A record's value is its timestamp.
    struct ValueIsTime;
    impl Lifecycle for ValueIsTime {}
    impl TimestampAssignerFn<Ints> for ValueIsTime {
        fn extract_timestamp(&mut self, v: &i64, _: Option<i64>) -> Result<i64, BoxError> {
            Ok(*v)
        }
    }

    fn watermarks(out: Output<Ints>) -> Vec<i64> {
        out.into_parts().1.into_iter().filter_map(|(_, m)| if let Marker::Watermark(w) = m { Some(w) } else { None }).collect()
    }

    #[test]
    fn periodic_watermarks_also_go_out_after_enough_records() {
        let clock = ManualClock::new(0);
        let task = crate::test_support::task_info("Timestamps/Watermarks", &clock);
        let generator = WatermarkGenerator::new(WatermarkStrategy::BoundedOutOfOrderness { max_out_of_orderness_ms: 10 });
        let mut op = TimestampsAndWatermarksOperator::new(Some(ValueIsTime), generator, WatermarkEmission::Periodic { interval_ms: 200 });
        Operator::<Ints>::open(&mut op, &task).unwrap();
        let batch = |from: i64, n: usize| (from..from + n as i64).map(Record::new).collect::<Vec<_>>();
        // No processing time passes: only the record count can send a watermark.
        let mut out = Output::default();
        op.process(0, batch(0, EMIT_AFTER_RECORDS - 1), &mut out).unwrap();
        assert_eq!(watermarks(out), Vec::<i64>::new(), "fewer records than the threshold, no time passed");
        let mut out = Output::default();
        op.process(0, batch(5000, 1), &mut out).unwrap();
        assert_eq!(watermarks(out), vec![5000 - 10 - 1], "the threshold reached: the generator's watermark");
        let mut out = Output::default();
        op.process(0, batch(6000, 3), &mut out).unwrap();
        assert_eq!(watermarks(out), Vec::<i64>::new(), "the count starts again");
        // The interval still applies on its own.
        clock.advance(200);
        let mut out = Output::default();
        op.on_processing_time(clock.now(), &mut out).unwrap();
        assert_eq!(watermarks(out), vec![6002 - 10 - 1]);
    }
}
