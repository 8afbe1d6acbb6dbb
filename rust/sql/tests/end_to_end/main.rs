//! SQL end to end: statements planned and run on the runtime, outputs compared with Flink's.
//! One test binary for all of them (each binary links DataFusion once, which takes minutes).

mod common;
mod joins;
mod lookup;
mod match_recognize;
mod over;
mod temporal;
mod topn;
mod windows;
