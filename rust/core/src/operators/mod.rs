//! Built-in operators. Each wraps a user function and holds the engine-side logic around it.

mod filter;
mod forward;
mod flat_map;
mod key_by;
mod keyed_process;
mod keyed_reduce;
mod map;
mod process;
mod select_output;
mod sink;
mod timestamps;

pub use filter::FilterOperator;
pub use flat_map::FlatMapOperator;
pub use key_by::KeyByOperator;
pub use keyed_process::KeyedProcessOperator;
pub use keyed_reduce::KeyedReduceOperator;
pub use map::MapOperator;
pub use process::ProcessOperator;
pub use select_output::SelectOutputOperator;
pub use sink::SinkOperator;
pub use timestamps::{TimestampsAndWatermarksOperator, WatermarkEmission};
pub use forward::ForwardOperator;
