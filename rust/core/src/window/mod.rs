//! Windows on keyed streams, with Flink's semantics: assigners put elements into windows,
//! triggers decide when windows fire and purge, session windows merge, and the window operator
//! ties them together with allowed lateness, late side outputs and eviction.

mod assigner;
mod context;
mod fn_state;
mod merging;
mod operator;
mod trigger;

pub use assigner::{bounds, max_timestamp, window_start_with_offset, WindowAssigner};
pub use context::{TriggerStates, WindowTimers, WindowTriggerContext};
pub use fn_state::{WindowFnState, USER_STATE_PREFIX};
pub use merging::{intersects, MergeOutcome, MergingWindowSet};
pub use operator::{SessionGapFn, WindowContents, WindowOperator};
pub use trigger::{
    ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeTrigger, NeverTrigger,
    ProcessingTimeTrigger, PurgingTrigger, StateMerge, Trigger, TriggerContext, TriggerResult, TriggerState,
};
