//! Window contents: adding an element, merging the contents of merged windows, and computing
//! what a firing window emits (with the evictor, if any).

use crate::data::{DataModel, Keyed, Record, MAIN_OUTPUT};
use crate::error::{message, BoxError};
use crate::function::{AggregateFn, ReduceFn, WindowContext};
use crate::operator::Output;
use crate::state::{Namespace, Slot};

use super::super::assigner::max_timestamp;
use super::super::WindowFnState;
use super::super::trigger::TriggerResult;
use super::WindowOperator;

/// What a window keeps of its elements.
pub enum WindowContents<D: DataModel> {
    /// One value, reduced incrementally (`reduce`).
    Reduce(Box<dyn ReduceFn<D>>),
    /// One accumulator (`aggregate`); the window emits `get_result` of it.
    Aggregate(Box<dyn AggregateFn<D>>),
    /// Every element (`process` / `apply`); needs a window function.
    Buffer,
}

impl<D: DataModel> WindowOperator<D> {
    pub(super) fn uses_list(&self) -> bool {
        self.evictor.is_some() || matches!(self.contents, WindowContents::Buffer)
    }

    /// Adds an element to the window's contents (in place: no key copy per element).
    /// Adds `value` to the window's contents; `true` if that created them (a new window).
    pub(super) fn add(&mut self, key: &Keyed<D::Key>, window: Namespace, value: D::Value, now: i64) -> Result<bool, BoxError> {
        let state = self.contents_state;
        let list = self.uses_list();
        // An empty list allocates nothing: the placeholder of a new slot until it is filled.
        let (slot, created) = self.store.get_or_insert_with(key, state, window, now, || Slot::List(Vec::new()))?;
        match (slot, created) {
            (Slot::List(elements), _) if list => elements.push(value),
            (slot, true) => {
                *slot = Slot::Value(match &mut self.contents {
                    WindowContents::Aggregate(f) => {
                        let acc = f.create_accumulator()?;
                        f.add(value, acc)?
                    }
                    _ => value,
                });
            }
            (slot @ Slot::Value(_), false) => {
                let Slot::Value(acc) = std::mem::replace(slot, Slot::List(Vec::new())) else { unreachable!() };
                *slot = Slot::Value(match &mut self.contents {
                    WindowContents::Reduce(f) => f.reduce(&acc, value)?,
                    WindowContents::Aggregate(f) => f.add(value, acc)?,
                    WindowContents::Buffer => unreachable!("buffers use lists"),
                });
            }
            (_, false) => unreachable!("value contents are values"),
        }
        Ok(created)
    }

    /// Moves the contents of `merged` windows into `target` (in window order).
    pub(super) fn merge_contents(&mut self, key: &Keyed<D::Key>, target: Namespace, merged: &[Namespace], now: i64) -> Result<(), BoxError> {
        let state = self.contents_state;
        let mut acc = self.store.remove(key, state, &target)?;
        // Window contents are a value or a plain list.
        for window in merged {
            let Some(next) = self.store.remove(key, state, window)? else { continue };
            acc = Some(match (acc, next) {
                (None, next) => next,
                (Some(Slot::List(mut a)), Slot::List(b)) => {
                    a.extend(b);
                    Slot::List(a)
                }
                (Some(Slot::Value(a)), Slot::Value(b)) => Slot::Value(match &mut self.contents {
                    WindowContents::Reduce(f) => f.reduce(&a, b)?,
                    WindowContents::Aggregate(f) => f.merge(a, b)?,
                    WindowContents::Buffer => unreachable!("buffers use lists"),
                }),
                _ => return Err(message("window contents of different kinds cannot merge")),
            });
        }
        if let Some(acc) = acc {
            self.store.put(key, state, target, acc, now)?;
        }
        Ok(())
    }


    /// Acts on a trigger's decision for `window`.
    pub(super) fn on_result(&mut self, key: &Keyed<D::Key>, window: Namespace, result: TriggerResult, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        if result.fire {
            self.emit(key, window, result.purge, now, out)
        } else {
            if result.purge {
                self.store.remove(key, self.contents_state, &window)?;
            }
            Ok(())
        }
    }

    /// Fires `window`: computes what it emits from its contents (purging them if asked).
    pub(super) fn emit(&mut self, key: &Keyed<D::Key>, window: Namespace, purge: bool, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let state = self.contents_state;
        let values: Vec<D::Value> = if let Some(max_count) = self.evictor {
            let Some(Slot::List(mut list)) = self.store.remove(key, state, &window)? else { return Ok(()) };
            if list.len() > max_count {
                list.drain(..list.len() - max_count);
            }
            let values = self.evaluate(&list)?;
            if !purge {
                self.store.put(key, state, window, Slot::List(list), now)?;
            }
            match values {
                Some(v) => v,
                None => return Ok(()),
            }
        } else if purge {
            match self.store.remove(key, state, &window)? {
                None => return Ok(()),
                Some(Slot::List(list)) => list,
                Some(Slot::Value(v)) => match &mut self.contents {
                    WindowContents::Aggregate(f) => vec![f.get_result(&v)?],
                    _ => vec![v],
                },
                _ => return Ok(()),
            }
        } else {
            match self.store.get(key, state, &window)? {
                None => return Ok(()),
                Some(Slot::List(list)) => list.iter().map(D::duplicate).collect(),
                Some(Slot::Value(v)) => match &mut self.contents {
                    WindowContents::Aggregate(f) => vec![f.get_result(v)?],
                    _ => vec![D::duplicate(v)],
                },
                _ => return Ok(()),
            }
        };
        if values.is_empty() {
            return Ok(());
        }
        let timestamp = Some(max_timestamp(&window));
        let mut push = |value| {
            out.push(Record {
                value,
                timestamp,
                key: Some(Keyed { key: D::duplicate_key(&key.key), hash: key.hash }),
                output: MAIN_OUTPUT,
            })
        };
        match &mut self.window_fn {
            Some(f) => {
                let state = WindowFnState::new(&mut self.store, key, window, self.assigner.is_merging(), self.clock.as_ref());
                let mut ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now, state };
                f.process(&mut ctx, values, &mut push)?;
            }
            None => values.into_iter().for_each(push),
        }
        Ok(())
    }

    /// With an evictor: the reduce/aggregate over the kept elements, or the elements themselves.
    pub(super) fn evaluate(&mut self, list: &[D::Value]) -> Result<Option<Vec<D::Value>>, BoxError> {
        if list.is_empty() {
            return Ok(None);
        }
        Ok(Some(match &mut self.contents {
            WindowContents::Reduce(f) => {
                let mut acc = D::duplicate(&list[0]);
                for v in &list[1..] {
                    acc = f.reduce(&acc, D::duplicate(v))?;
                }
                vec![acc]
            }
            WindowContents::Aggregate(f) => {
                let mut acc = f.create_accumulator()?;
                for v in list {
                    acc = f.add(D::duplicate(v), acc)?;
                }
                vec![f.get_result(&acc)?]
            }
            WindowContents::Buffer => list.iter().map(D::duplicate).collect(),
        }))
    }

}
