//! Every assertion runs against the memory mode and the engine mode (over a `BTreeMap`, with
//! caches smaller and larger than the state), so the two modes cannot drift apart.

use super::*;
use crate::state::engine::BTreeMapEngine;
use crate::test_support::Ints;

fn k(v: i64) -> Keyed<i64> {
    Keyed { key: v, hash: v as u64 }
}

fn value(slot: Option<&mut Slot<Ints>>) -> Option<i64> {
    match slot {
        Some(Slot::Value(v)) => Some(*v),
        Some(Slot::List(_)) => panic!("list"),
        None => None,
    }
}

fn engine(cache: usize) -> KeyedStateStore<Ints> {
    KeyedStateStore::with_engine(Box::new(BTreeMapEngine::default()), 128, cache)
}

/// (name, store) for every mode under test.
fn stores() -> Vec<(&'static str, KeyedStateStore<Ints>)> {
    vec![("memory", KeyedStateStore::default()), ("engine, cache 1", engine(1)), ("engine, cache 3", engine(3)), ("engine, cache 1000", engine(1000))]
}

fn get(s: &mut KeyedStateStore<Ints>, key: i64, state: StateId, ns: &Namespace, now: i64) -> Option<i64> {
    value(s.get(&k(key), state, ns, now).unwrap())
}

fn sorted_entries(s: &mut KeyedStateStore<Ints>) -> Vec<(i64, u64, StateId, Namespace, Vec<i64>)> {
    let mut all = Vec::new();
    s.for_each_entry(|key, hash, state, ns, slot| {
        let values = match slot {
            SlotRef::Value(v) => vec![*v],
            SlotRef::List(l) => l.to_vec(),
        };
        all.push((*key, hash, state, *ns, values));
        Ok(())
    })
    .unwrap();
    all.sort_by_key(|(key, _, state, ns, _)| (*key, state.0, *ns));
    all
}

#[test]
fn values_are_kept_per_key_state_and_namespace() {
    for (mode, mut s) in stores() {
        let a = s.register("a", None);
        let b = s.register("b", None);
        assert_eq!(s.register("a", None), a);
        let w = Namespace::Window { start: 0, end: 10 };
        s.put(&k(1), a, Namespace::Void, Slot::Value(10), 0).unwrap();
        s.put(&k(1), b, Namespace::Void, Slot::Value(20), 0).unwrap();
        s.put(&k(2), a, Namespace::Void, Slot::Value(30), 0).unwrap();
        s.put(&k(1), a, w, Slot::Value(40), 0).unwrap();
        assert_eq!(get(&mut s, 1, a, &Namespace::Void, 0), Some(10), "{mode}");
        assert_eq!(get(&mut s, 1, b, &Namespace::Void, 0), Some(20), "{mode}");
        assert_eq!(get(&mut s, 2, a, &Namespace::Void, 0), Some(30), "{mode}");
        assert_eq!(get(&mut s, 1, a, &w, 0), Some(40), "{mode}");
        assert_eq!(get(&mut s, 3, a, &Namespace::Void, 0), None, "{mode}");
        s.put(&k(1), a, Namespace::Void, Slot::Value(11), 0).unwrap();
        assert_eq!(get(&mut s, 1, a, &Namespace::Void, 0), Some(11), "{mode}");
        assert_eq!(s.len(), 4, "{mode}");
        assert!(s.remove(&k(1), a, &w).unwrap().is_some(), "{mode}");
        assert!(s.remove(&k(1), a, &w).unwrap().is_none(), "{mode}");
        assert_eq!(get(&mut s, 1, a, &w, 0), None, "{mode}");
        assert_eq!(s.len(), 3, "{mode}");
        assert!(!s.is_empty());
    }
}

#[test]
fn slots_changed_in_place_are_kept_across_write_backs() {
    for (mode, mut s) in stores() {
        let l = s.register("l", None);
        for key in 0..20 {
            s.put(&k(key), l, Namespace::Void, Slot::List(vec![key]), 0).unwrap();
        }
        // Every list grows in place, through `get` and `get_or_insert_with`, over several rounds,
        // so entries go through the cache, back to the engine and again.
        for round in 1..4 {
            for key in 0..20 {
                match s.get(&k(key), l, &Namespace::Void, 0).unwrap() {
                    Some(Slot::List(items)) => items.push(key * 100 + round),
                    _ => panic!("{mode}: list of {key}"),
                }
            }
            for key in 0..25 {
                let (slot, created) = s.get_or_insert_with(&k(key), l, Namespace::Void, 0, || Slot::List(Vec::new())).unwrap();
                assert_eq!(created, key >= 20 && round == 1, "{mode}: key {key} round {round}");
                if let Slot::List(items) = slot {
                    items.push(-round);
                }
            }
        }
        assert_eq!(s.len(), 25, "{mode}");
        s.flush().unwrap();
        let entries = sorted_entries(&mut s);
        assert_eq!(entries.len(), 25, "{mode}");
        assert_eq!(entries[3].4, vec![3, 301, -1, 302, -2, 303, -3], "{mode}");
        assert_eq!(entries[22].4, vec![-1, -2, -3], "{mode}");
        assert_eq!(entries[22].1, 22, "{mode}: the key hash is kept");
    }
}

#[test]
fn entries_survive_a_snapshot_and_restore_into_either_mode() {
    for (from, mut s) in stores() {
        let a = s.register("a", None);
        let l = s.register("l", None);
        s.put(&k(1), a, Namespace::Void, Slot::Value(10), 5).unwrap();
        s.put(&k(2), l, Namespace::Window { start: 0, end: 10 }, Slot::List(vec![1, 2, 3]), 6).unwrap();
        s.put(&k(3), l, Namespace::Count(-4), Slot::List(Vec::new()), 7).unwrap();
        let mut entries = Vec::new();
        s.snapshot_into(|key, body| {
            entries.push((Ints::decode_key(&key).unwrap(), body));
            Ok(())
        })
        .unwrap();
        assert_eq!(entries.len(), 3, "{from}");
        for (to, mut r) in stores() {
            let l2 = r.register("l", None); // declared in another order
            for (key, body) in &entries {
                r.restore_entry(&k(*key), body).unwrap();
            }
            let a2 = r.register("a", None);
            assert_eq!(r.len(), 3, "{from} -> {to}");
            assert_eq!(get(&mut r, 1, a2, &Namespace::Void, 0), Some(10), "{from} -> {to}");
            match r.get(&k(2), l2, &Namespace::Window { start: 0, end: 10 }, 0).unwrap() {
                Some(Slot::List(items)) => assert_eq!(items, &vec![1, 2, 3], "{from} -> {to}"),
                _ => panic!("{from} -> {to}: list restored"),
            }
            assert!(matches!(r.get(&k(3), l2, &Namespace::Count(-4), 0).unwrap(), Some(Slot::List(l)) if l.is_empty()));
            assert!(r.restore_entry(&k(1), &[0xff, 0xff]).is_err(), "corrupt entries are refused");
            // Restored times are kept: a snapshot of the restored store is the same.
            let mut again = Vec::new();
            r.snapshot_into(|key, body| {
                again.push((Ints::decode_key(&key).unwrap(), body));
                Ok(())
            })
            .unwrap();
            let mut expected = entries.clone();
            expected.sort();
            again.sort();
            assert_eq!(again, expected, "{from} -> {to}");
        }
    }
}

#[test]
fn ttl_expires_entries_unless_refreshed() {
    for (mode, mut s) in stores() {
        let on_write = s.register("w", Some(TtlConfig { ttl_ms: 100, refresh_on_read: false, return_expired: false }));
        let on_read = s.register("r", Some(TtlConfig { ttl_ms: 100, refresh_on_read: true, return_expired: false }));
        let lax = s.register("x", Some(TtlConfig { ttl_ms: 100, refresh_on_read: false, return_expired: true }));
        for st in [on_write, on_read, lax] {
            s.put(&k(1), st, Namespace::Void, Slot::Value(1), 0).unwrap();
        }
        s.flush().unwrap();
        assert_eq!(get(&mut s, 1, on_read, &Namespace::Void, 90), Some(1), "{mode}");
        assert_eq!(get(&mut s, 1, on_write, &Namespace::Void, 99), Some(1), "{mode}");
        assert_eq!(s.len(), 3);
        assert_eq!(get(&mut s, 1, on_write, &Namespace::Void, 100), None, "{mode}: expired after 100 ms");
        assert_eq!(s.len(), 2, "{mode}: the expired entry is cleaned up");
        s.flush().unwrap();
        assert_eq!(get(&mut s, 1, on_read, &Namespace::Void, 150), Some(1), "{mode}: the read at 90 refreshed it");
        assert_eq!(get(&mut s, 1, lax, &Namespace::Void, 500), Some(1), "{mode}: returned while not cleaned up");
        s.touch(&k(1), on_read, &Namespace::Void, 1000).unwrap();
        s.touch(&k(9), on_read, &Namespace::Void, 1000).unwrap();
        assert_eq!(s.len(), 2, "{mode}: touching nothing creates nothing");
        s.flush().unwrap();
        assert_eq!(get(&mut s, 1, on_read, &Namespace::Void, 1099), Some(1), "{mode}: touched at 1000");
    }
}

#[test]
fn state_larger_than_the_cache_drains_completely() {
    for (mode, mut s) in stores() {
        let a = s.register("a", None);
        for key in 0..500 {
            let ns = Namespace::Window { start: key % 7, end: 10 };
            s.put(&k(key), a, ns, Slot::Value(key * 2), 0).unwrap();
        }
        for key in (0..500).step_by(3) {
            s.remove(&k(key), a, &Namespace::Window { start: key % 7, end: 10 }).unwrap();
        }
        assert_eq!(s.len(), 333, "{mode}");
        for key in 0..500 {
            let got = get(&mut s, key, a, &Namespace::Window { start: key % 7, end: 10 }, 0);
            assert_eq!(got, (key % 3 != 0).then_some(key * 2), "{mode}: key {key}");
        }
        let mut drained = Vec::new();
        s.drain(|key, state, ns, slot| {
            assert_eq!((state, ns), (a, Namespace::Window { start: key.key % 7, end: 10 }));
            assert_eq!(key.hash, key.key as u64);
            drained.push((key.key, value(Some(&mut { slot }))));
        })
        .unwrap();
        drained.sort();
        assert_eq!(drained.len(), 333, "{mode}");
        assert_eq!(drained[0], (1, Some(2)), "{mode}");
        assert!(s.is_empty(), "{mode}");
        assert_eq!(get(&mut s, 1, a, &Namespace::Window { start: 1, end: 10 }, 0), None, "{mode}");
    }
}

#[test]
fn value_states_keep_one_value_per_key_in_both_modes() {
    for (mode, mut s) in stores() {
        let general = s.register("g", None);
        let sum = s.register_value("sum");
        assert_eq!(s.register_value("sum"), sum);
        for i in 0..50 {
            let (v, created) = s.value_or_insert_with(&k(i % 7), sum, || i).unwrap();
            assert_eq!(created, i < 7, "{mode}");
            if !created {
                *v += i;
            }
        }
        s.put(&k(1), general, Namespace::Void, Slot::Value(-1), 3).unwrap();
        assert_eq!(s.len(), 8, "{mode}");
        let entries = sorted_entries(&mut s);
        let sums: Vec<_> = entries.iter().filter(|e| e.2 == sum.state()).map(|e| (e.0, e.4[0])).collect();
        let expected: Vec<(i64, i64)> = (0..7).map(|key| (key, (0..50).filter(|i| i % 7 == key).sum())).collect();
        assert_eq!(sums, expected, "{mode}");
        // A snapshot restores into either mode, value states included.
        let mut snapshot = Vec::new();
        s.snapshot_into(|key, body| {
            snapshot.push((Ints::decode_key(&key).unwrap(), body));
            Ok(())
        })
        .unwrap();
        for (to, mut r) in stores() {
            let sum2 = r.register_value("sum");
            for (key, body) in &snapshot {
                r.restore_entry(&k(*key), body).unwrap();
            }
            assert_eq!(r.len(), 8, "{mode} -> {to}");
            assert_eq!(*r.value_or_insert_with(&k(3), sum2, || 0).unwrap().0, 3 + 10 + 17 + 24 + 31 + 38 + 45, "{mode} -> {to}");
            let mut drained = 0;
            r.drain(|_, state, _, slot| {
                assert!(matches!(slot, Slot::Value(_)));
                drained += usize::from(state == sum2.state());
            })
            .unwrap();
            assert_eq!((drained, r.len()), (7, 0), "{mode} -> {to}");
        }
        // Restoring a list into a value state is refused.
        let mut lists = KeyedStateStore::<Ints>::default();
        let l = lists.register("sum", None);
        lists.put(&k(1), l, Namespace::Void, Slot::List(vec![1]), 0).unwrap();
        let mut bodies = Vec::new();
        lists.snapshot_into(|_, body| {
            bodies.push(body);
            Ok(())
        })
        .unwrap();
        let mut r = engine(2);
        r.register_value("sum");
        assert!(r.restore_entry(&k(1), &bodies[0]).is_err(), "{mode}");
    }
}

#[test]
fn modes_say_which_they_are() {
    assert!(!KeyedStateStore::<Ints>::default().is_engine());
    assert!(engine(1).is_engine());
}

#[test]
fn stores_follow_the_task_backend() {
    use crate::state::{BTreeMapEngineFactory, StateBackend};
    let backend = StateBackend::new(std::sync::Arc::new(BTreeMapEngineFactory { cache_entries: 2 }), None).unwrap();
    let dir = backend.job_dir().to_path_buf();
    let task = TaskInfo {
        task_name: "t".into(),
        operator_name: "op".into(),
        uid: "op".into(),
        subtask_index: 0,
        parallelism: 1,
        max_parallelism: 128,
        attempt_number: 0,
        clock: std::sync::Arc::new(crate::time::SystemClock),
        checkpointing: false,
        state_backend: Some(backend),
    };
    let memory = TaskInfo { state_backend: None, ..task.clone() };
    let mut s = KeyedStateStore::<Ints>::for_task(&task).unwrap();
    assert!(s.is_engine());
    let a = s.register("a", None);
    s.put(&k(1), a, Namespace::Void, Slot::Value(1), 0).unwrap();
    drop(task);
    drop(s);
    assert!(!dir.exists(), "the job's working directory goes with its last store");
    assert!(!KeyedStateStore::<Ints>::for_task(&memory).unwrap().is_engine());
}
