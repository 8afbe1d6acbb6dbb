//! Window assigners: which windows an element belongs to (Flink's `WindowAssigner`s).

use crate::data::DataModel;
use crate::error::{message, BoxError};
use crate::state::Namespace;

use super::trigger::{CountTrigger, EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, PurgingTrigger, Trigger};

/// Flink's `TimeWindow.getWindowStartWithOffset`: the start of the window of length `size`
/// (aligned to `offset`) that contains `timestamp`, correct for negative timestamps too.
pub fn window_start_with_offset(timestamp: i64, offset: i64, size: i64) -> i64 {
    let remainder = (timestamp - offset) % size;
    if remainder < 0 {
        timestamp - (remainder + size)
    } else {
        timestamp - remainder
    }
}

/// The largest timestamp that still belongs to `window`: `end - 1` for a time window, the end of
/// time for the global window.
pub fn max_timestamp(window: &Namespace) -> i64 {
    match *window {
        Namespace::Window { end, .. } => end - 1,
        _ => i64::MAX,
    }
}

/// `[start, end)` of a time window (`None` for the global window).
pub fn bounds(window: &Namespace) -> Option<(i64, i64)> {
    match *window {
        Namespace::Window { start, end } => Some((start, end)),
        _ => None,
    }
}

/// Assigns elements to windows. Sizes, slides, offsets and gaps are milliseconds.
///
/// The dynamic session variants take their gap per element from the operator's gap extractor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowAssigner {
    TumblingEventTime { size: i64, offset: i64 },
    TumblingProcessingTime { size: i64, offset: i64 },
    SlidingEventTime { size: i64, slide: i64, offset: i64 },
    SlidingProcessingTime { size: i64, slide: i64, offset: i64 },
    EventTimeSession { gap: i64 },
    ProcessingTimeSession { gap: i64 },
    DynamicEventTimeSession,
    DynamicProcessingTimeSession,
    /// One window per key holding every element (`GlobalWindows`); needs a custom trigger.
    Global,
    /// PyFlink's `CountTumblingWindowAssigner` (`count_window(size)`): the `n`-th element of a key
    /// (0-based) goes to `CountWindow(n / size)`. The operator keeps the per-key element count.
    CountTumbling { size: i64 },
    /// PyFlink's `CountSlidingWindowAssigner` (`count_window(size, slide)`): the `n`-th element of
    /// a key goes to every `CountWindow(id)` with `id * slide <= n <= id * slide + size - 1`.
    CountSliding { size: i64, slide: i64 },
}

const NO_TIMESTAMP: &str = "Record has Long.MIN_VALUE timestamp (= no timestamp marker). Is the \
time characteristic set to 'ProcessingTime', or did you forget to call \
'data_stream.assign_timestamps_and_watermarks(...)'?";

fn invalid(text: &str) -> Result<(), BoxError> {
    Err(message(text))
}

impl WindowAssigner {
    /// `TumblingEventTimeWindows.of(size, offset)`, checked.
    pub fn tumbling_event_time(size: i64, offset: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::TumblingEventTime { size, offset };
        a.validate().map(|()| a)
    }

    pub fn tumbling_processing_time(size: i64, offset: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::TumblingProcessingTime { size, offset };
        a.validate().map(|()| a)
    }

    pub fn sliding_event_time(size: i64, slide: i64, offset: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::SlidingEventTime { size, slide, offset };
        a.validate().map(|()| a)
    }

    pub fn sliding_processing_time(size: i64, slide: i64, offset: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::SlidingProcessingTime { size, slide, offset };
        a.validate().map(|()| a)
    }

    pub fn event_time_session(gap: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::EventTimeSession { gap };
        a.validate().map(|()| a)
    }

    pub fn processing_time_session(gap: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::ProcessingTimeSession { gap };
        a.validate().map(|()| a)
    }

    /// PyFlink's `CountTumblingWindowAssigner.of(size)`, checked.
    pub fn count_tumbling(size: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::CountTumbling { size };
        a.validate().map(|()| a)
    }

    /// PyFlink's `CountSlidingWindowAssigner.of(size, slide)`, checked.
    pub fn count_sliding(size: i64, slide: i64) -> Result<Self, BoxError> {
        let a = WindowAssigner::CountSliding { size, slide };
        a.validate().map(|()| a)
    }

    /// The parameter checks of Flink's assigner factories, with their messages.
    pub fn validate(&self) -> Result<(), BoxError> {
        match *self {
            WindowAssigner::TumblingEventTime { size, offset } => {
                if size <= 0 || offset.unsigned_abs() >= size.unsigned_abs() {
                    return invalid("TumblingEventTimeWindows parameters must satisfy abs(offset) < size");
                }
            }
            WindowAssigner::TumblingProcessingTime { size, offset } => {
                if size <= 0 || offset.unsigned_abs() >= size.unsigned_abs() {
                    return invalid("TumblingProcessingTimeWindows parameters must satisfy abs(offset) < size");
                }
            }
            WindowAssigner::SlidingEventTime { size, slide, offset } => {
                if slide <= 0 || offset.unsigned_abs() >= slide.unsigned_abs() || size <= 0 {
                    return invalid("SlidingEventTimeWindows parameters must satisfy abs(offset) < slide and size > 0");
                }
            }
            WindowAssigner::SlidingProcessingTime { size, slide, offset } => {
                if slide <= 0 || offset.unsigned_abs() >= slide.unsigned_abs() || size <= 0 {
                    return invalid("SlidingProcessingTimeWindows parameters must satisfy abs(offset) < slide and size > 0");
                }
            }
            WindowAssigner::EventTimeSession { gap } => {
                if gap <= 0 {
                    return invalid("EventTimeSessionWindows parameters must satisfy 0 < size");
                }
            }
            WindowAssigner::ProcessingTimeSession { gap } => {
                if gap <= 0 {
                    return invalid("ProcessingTimeSessionWindows parameters must satisfy 0 < size");
                }
            }
            WindowAssigner::CountTumbling { size } => {
                if size <= 0 {
                    return invalid("CountTumblingWindowAssigner parameters must satisfy 0 < size");
                }
            }
            WindowAssigner::CountSliding { size, slide } => {
                if size <= 0 || slide <= 0 {
                    return invalid("CountSlidingWindowAssigner parameters must satisfy 0 < size and 0 < slide");
                }
            }
            WindowAssigner::DynamicEventTimeSession
            | WindowAssigner::DynamicProcessingTimeSession
            | WindowAssigner::Global => {}
        }
        Ok(())
    }

    /// The count windows of the `n`-th element (0-based) of a key, the latest window first (as
    /// PyFlink's assigners); empty for the other assigners.
    pub fn count_windows(&self, n: i64) -> Vec<Namespace> {
        match *self {
            WindowAssigner::CountTumbling { size } => vec![Namespace::Count(n.div_euclid(size))],
            WindowAssigner::CountSliding { size, slide } => {
                let mut windows = Vec::new();
                let mut id = n.div_euclid(slide);
                while id >= 0 && id * slide <= n && n < id * slide + size {
                    windows.push(Namespace::Count(id));
                    id -= 1;
                }
                windows
            }
            _ => Vec::new(),
        }
    }

    /// Whether windows are assigned by a per-key element count ([`Self::count_windows`]).
    pub fn is_count(&self) -> bool {
        matches!(self, WindowAssigner::CountTumbling { .. } | WindowAssigner::CountSliding { .. })
    }

    /// The windows of an element with event timestamp `timestamp` arriving at processing time
    /// `now`; `dynamic_gap` is the gap the dynamic session assigners use for it. Count assigners
    /// assign by element count instead ([`Self::count_windows`]) and fail here.
    pub fn assign(&self, timestamp: Option<i64>, now: i64, dynamic_gap: Option<i64>) -> Result<Vec<Namespace>, BoxError> {
        let mut windows = Vec::new();
        self.assign_into(timestamp, now, dynamic_gap, &mut windows)?;
        Ok(windows)
    }

    /// [`Self::assign`] into `windows` (cleared first): the operator reuses one buffer instead of
    /// allocating a vector per element.
    pub fn assign_into(&self, timestamp: Option<i64>, now: i64, dynamic_gap: Option<i64>, windows: &mut Vec<Namespace>) -> Result<(), BoxError> {
        windows.clear();
        let event_time = || timestamp.filter(|&t| t != i64::MIN).ok_or_else(|| message(NO_TIMESTAMP));
        let window = |start: i64, end: i64| Namespace::Window { start, end };
        let gap = |kind: &str| -> Result<i64, BoxError> {
            match dynamic_gap {
                Some(g) if g > 0 => Ok(g),
                Some(_) => Err(message(format!("Dynamic session time gap must satisfy 0 < gap ({kind})"))),
                None => Err(message(format!("{kind} needs a session gap extractor"))),
            }
        };
        match *self {
            WindowAssigner::TumblingEventTime { size, offset } => {
                let start = window_start_with_offset(event_time()?, offset % size, size);
                windows.push(window(start, start + size))
            }
            WindowAssigner::TumblingProcessingTime { size, offset } => {
                let start = window_start_with_offset(now, offset % size, size);
                windows.push(window(start, start + size))
            }
            WindowAssigner::SlidingEventTime { size, slide, offset } => sliding(event_time()?, size, slide, offset, windows),
            WindowAssigner::SlidingProcessingTime { size, slide, offset } => sliding(now, size, slide, offset, windows),
            WindowAssigner::EventTimeSession { gap } => {
                let t = event_time()?;
                windows.push(window(t, t + gap))
            }
            WindowAssigner::ProcessingTimeSession { gap } => windows.push(window(now, now + gap)),
            WindowAssigner::DynamicEventTimeSession => {
                let t = event_time()?;
                windows.push(window(t, t + gap("DynamicEventTimeSessionWindows")?))
            }
            WindowAssigner::DynamicProcessingTimeSession => {
                windows.push(window(now, now + gap("DynamicProcessingTimeSessionWindows")?))
            }
            WindowAssigner::Global => windows.push(Namespace::Global),
            WindowAssigner::CountTumbling { .. } | WindowAssigner::CountSliding { .. } => {
                return Err(message("count window assigners assign by the element count of the key (count_windows)"))
            }
        }
        Ok(())
    }

    /// Whether windows end by event time (watermarks) rather than processing time.
    pub fn is_event_time(&self) -> bool {
        matches!(
            self,
            WindowAssigner::TumblingEventTime { .. }
                | WindowAssigner::SlidingEventTime { .. }
                | WindowAssigner::EventTimeSession { .. }
                | WindowAssigner::DynamicEventTimeSession
        )
    }

    /// Session windows merge when they overlap.
    pub fn is_merging(&self) -> bool {
        matches!(
            self,
            WindowAssigner::EventTimeSession { .. }
                | WindowAssigner::ProcessingTimeSession { .. }
                | WindowAssigner::DynamicEventTimeSession
                | WindowAssigner::DynamicProcessingTimeSession
        )
    }

    /// Whether the assigner needs a per-element gap.
    pub fn is_dynamic(&self) -> bool {
        matches!(self, WindowAssigner::DynamicEventTimeSession | WindowAssigner::DynamicProcessingTimeSession)
    }

    /// The trigger windows of this assigner use unless another is set.
    pub fn default_trigger<D: DataModel>(&self) -> Box<dyn Trigger<D>> {
        match self {
            WindowAssigner::Global => Box::new(NeverTrigger),
            // PyFlink's CountTrigger(size); the window is complete once it fires, so it is purged.
            WindowAssigner::CountTumbling { size } | WindowAssigner::CountSliding { size, .. } => {
                Box::new(PurgingTrigger::of(Box::new(CountTrigger::of(*size))))
            }
            a if a.is_event_time() => Box::new(EventTimeTrigger),
            _ => Box::new(ProcessingTimeTrigger),
        }
    }
}

/// Flink's sliding assignment: the latest window first.
fn sliding(timestamp: i64, size: i64, slide: i64, offset: i64, windows: &mut Vec<Namespace>) {
    windows.reserve((size / slide).max(1) as usize);
    let mut start = window_start_with_offset(timestamp, offset, slide);
    while start > timestamp - size {
        windows.push(Namespace::Window { start, end: start + size });
        start -= slide;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start: i64, end: i64) -> Namespace {
        Namespace::Window { start, end }
    }

    #[test]
    fn window_start_handles_offsets_and_negative_timestamps() {
        assert_eq!(window_start_with_offset(0, 0, 10), 0);
        assert_eq!(window_start_with_offset(9, 0, 10), 0);
        assert_eq!(window_start_with_offset(10, 0, 10), 10);
        assert_eq!(window_start_with_offset(-1, 0, 10), -10);
        assert_eq!(window_start_with_offset(-10, 0, 10), -10);
        assert_eq!(window_start_with_offset(-11, 0, 10), -20);
        assert_eq!(window_start_with_offset(7, 3, 10), 3);
        assert_eq!(window_start_with_offset(2, 3, 10), -7);
        assert_eq!(window_start_with_offset(2, -3, 10), -3);
        assert_eq!(window_start_with_offset(-4, -3, 10), -13);
        // Hours aligned to a time zone 8 hours east, as Flink's docs show.
        let hour = 3_600_000;
        assert_eq!(window_start_with_offset(5 * hour + 7, -8 * hour % (24 * hour), 24 * hour), -8 * hour);
        assert_eq!(window_start_with_offset(17 * hour, -8 * hour, 24 * hour), 16 * hour);
    }

    #[test]
    fn tumbling_assigns_one_window() {
        let a = WindowAssigner::tumbling_event_time(10, 0).unwrap();
        assert_eq!(a.assign(Some(15), 0, None).unwrap(), vec![w(10, 20)]);
        assert_eq!(a.assign(Some(-1), 0, None).unwrap(), vec![w(-10, 0)]);
        let a = WindowAssigner::tumbling_event_time(10, 3).unwrap();
        assert_eq!(a.assign(Some(12), 0, None).unwrap(), vec![w(3, 13)]);
        assert_eq!(a.assign(Some(13), 0, None).unwrap(), vec![w(13, 23)]);
        let a = WindowAssigner::tumbling_event_time(10, -3).unwrap();
        assert_eq!(a.assign(Some(-4), 0, None).unwrap(), vec![w(-13, -3)]);
        let p = WindowAssigner::tumbling_processing_time(10, 0).unwrap();
        assert_eq!(p.assign(None, 1234, None).unwrap(), vec![w(1230, 1240)]);
        assert!(a.is_event_time() && !p.is_event_time() && !a.is_merging());
    }

    #[test]
    fn sliding_assigns_every_overlapping_window_latest_first() {
        let a = WindowAssigner::sliding_event_time(10, 5, 0).unwrap();
        assert_eq!(a.assign(Some(12), 0, None).unwrap(), vec![w(10, 20), w(5, 15)]);
        assert_eq!(a.assign(Some(-3), 0, None).unwrap(), vec![w(-5, 5), w(-10, 0)]);
        let a = WindowAssigner::sliding_event_time(10, 3, 1).unwrap();
        assert_eq!(a.assign(Some(10), 0, None).unwrap(), vec![w(10, 20), w(7, 17), w(4, 14), w(1, 11)]);
        // A slide larger than the size leaves gaps: some elements have no window.
        let a = WindowAssigner::sliding_event_time(5, 10, 0).unwrap();
        assert_eq!(a.assign(Some(3), 0, None).unwrap(), vec![w(0, 5)]);
        assert_eq!(a.assign(Some(7), 0, None).unwrap(), vec![]);
        let p = WindowAssigner::sliding_processing_time(10, 5, 0).unwrap();
        assert_eq!(p.assign(Some(0), 7, None).unwrap(), vec![w(5, 15), w(0, 10)]);
    }

    #[test]
    fn sessions_start_at_the_element() {
        let a = WindowAssigner::event_time_session(10).unwrap();
        assert_eq!(a.assign(Some(-5), 0, None).unwrap(), vec![w(-5, 5)]);
        assert!(a.is_merging() && a.is_event_time());
        let d = WindowAssigner::DynamicEventTimeSession;
        assert_eq!(d.assign(Some(3), 0, Some(4)).unwrap(), vec![w(3, 7)]);
        assert!(d.assign(Some(3), 0, Some(0)).unwrap_err().to_string().contains("0 < gap"));
        let p = WindowAssigner::ProcessingTimeSession { gap: 5 };
        assert_eq!(p.assign(None, 100, None).unwrap(), vec![w(100, 105)]);
        let dp = WindowAssigner::DynamicProcessingTimeSession;
        assert_eq!(dp.assign(None, 100, Some(7)).unwrap(), vec![w(100, 107)]);
        assert!(!dp.is_event_time() && dp.is_merging());
    }

    #[test]
    fn count_assigners_follow_pyflink() {
        let c = |id| Namespace::Count(id);
        let t = WindowAssigner::count_tumbling(3).unwrap();
        let ids: Vec<Vec<Namespace>> = (0..7).map(|n| t.count_windows(n)).collect();
        assert_eq!(ids, vec![vec![c(0)], vec![c(0)], vec![c(0)], vec![c(1)], vec![c(1)], vec![c(1)], vec![c(2)]]);
        let s = WindowAssigner::count_sliding(3, 2).unwrap();
        let ids: Vec<Vec<Namespace>> = (0..7).map(|n| s.count_windows(n)).collect();
        assert_eq!(ids, vec![vec![c(0)], vec![c(0)], vec![c(1), c(0)], vec![c(1)], vec![c(2), c(1)], vec![c(2)], vec![c(3), c(2)]]);
        // A slide larger than the size skips elements.
        let gaps = WindowAssigner::count_sliding(2, 3).unwrap();
        let ids: Vec<Vec<Namespace>> = (0..5).map(|n| gaps.count_windows(n)).collect();
        assert_eq!(ids, vec![vec![c(0)], vec![c(0)], vec![], vec![c(1)], vec![c(1)]]);
        assert!(t.is_count() && s.is_count() && !t.is_event_time() && !s.is_merging());
        assert!(t.assign(Some(1), 0, None).is_err());
        assert!(WindowAssigner::count_tumbling(0).is_err());
        assert!(WindowAssigner::count_sliding(3, 0).is_err());
        assert!(WindowAssigner::count_sliding(0, 1).is_err());
        assert_eq!(max_timestamp(&c(4)), i64::MAX);
    }

    #[test]
    fn event_time_needs_timestamps_and_parameters_are_checked() {
        let a = WindowAssigner::TumblingEventTime { size: 10, offset: 0 };
        let err = a.assign(None, 0, None).unwrap_err().to_string();
        assert!(err.contains("no timestamp marker") && err.contains("assign_timestamps_and_watermarks"), "{err}");
        assert!(WindowAssigner::EventTimeSession { gap: 1 }.assign(None, 0, None).is_err());
        assert!(WindowAssigner::tumbling_event_time(10, 10).is_err());
        assert!(WindowAssigner::tumbling_event_time(0, 0).is_err());
        assert!(WindowAssigner::sliding_event_time(10, 5, 5).is_err());
        assert!(WindowAssigner::sliding_event_time(0, 5, 0).is_err());
        assert!(WindowAssigner::event_time_session(0).is_err());
        assert_eq!(WindowAssigner::Global.assign(None, 0, None).unwrap(), vec![Namespace::Global]);
        assert_eq!(max_timestamp(&Namespace::Global), i64::MAX);
        assert_eq!(max_timestamp(&w(0, 10)), 9);
    }
}
