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
        Some(_) => panic!("not a value"),
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

fn get(s: &mut KeyedStateStore<Ints>, key: i64, state: StateId, ns: &Namespace, _now: i64) -> Option<i64> {
    value(s.get(&k(key), state, ns).unwrap())
}

fn sorted_entries(s: &mut KeyedStateStore<Ints>) -> Vec<(i64, u64, StateId, Namespace, Vec<i64>)> {
    let mut all = Vec::new();
    s.for_each_entry(|key, hash, state, ns, slot| {
        let values = match slot {
            SlotRef::Value(v) => vec![*v],
            SlotRef::List(l) => l.to_vec(),
            SlotRef::StampedList(l) => l.iter().map(|(v, _)| *v).collect(),
            SlotRef::Map(m) => panic!("a map of {} entries", m.len()),
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
                match s.get(&k(key), l, &Namespace::Void).unwrap() {
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
        s.snapshot_into(0, |key, body| {
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
            match r.get(&k(2), l2, &Namespace::Window { start: 0, end: 10 }).unwrap() {
                Some(Slot::List(items)) => assert_eq!(items, &vec![1, 2, 3], "{from} -> {to}"),
                _ => panic!("{from} -> {to}: list restored"),
            }
            assert!(matches!(r.get(&k(3), l2, &Namespace::Count(-4)).unwrap(), Some(Slot::List(l)) if l.is_empty()));
            assert!(r.restore_entry(&k(1), &[0xff, 0xff]).is_err(), "corrupt entries are refused");
            // Restored times are kept: a snapshot of the restored store is the same.
            let mut again = Vec::new();
            r.snapshot_into(0, |key, body| {
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

/// A TTL of 100 ms without background cleanup, so only reads expire entries.
fn ttl(refresh_on_read: bool, return_expired: bool) -> Option<TtlConfig> {
    Some(TtlConfig { refresh_on_read, return_expired, incremental_cleanup: 0, ..TtlConfig::new(100) })
}

#[test]
fn entries_survive_a_snapshot_and_restore_across_modes() {
    for (mode, mut s) in stores() {
        let a = s.register("a", None);
        let l = s.register("l", None);
        let t = s.register("t", ttl(false, false));
        let m = s.register("m", ttl(false, false));
        s.put(&k(1), a, Namespace::Void, Slot::Value(10), 5).unwrap();
        s.put(&k(2), l, Namespace::Window { start: 0, end: 10 }, Slot::List(vec![1, 2, 3]), 6).unwrap();
        s.at(&k(1), t, Namespace::Void, 7).add(4).unwrap();
        s.at(&k(1), m, Namespace::Void, 8).map_put(&9, 90).unwrap();
        s.at(&k(1), m, Namespace::Void, 8).map_put(&8, 80).unwrap();
        let mut entries = Vec::new();
        s.snapshot_into(9, |key, body| {
            entries.push((Ints::decode_key(&key).unwrap(), body));
            Ok(())
        })
        .unwrap();
        for (to, mut r) in stores() {
            let l2 = r.register("l", None); // declared in another order
            for (key, body) in &entries {
                r.restore_entry(&k(*key), body).unwrap();
            }
            let a2 = r.register("a", None);
            assert_eq!(value(r.get(&k(1), a2, &Namespace::Void).unwrap()), Some(10));
            match r.get(&k(2), l2, &Namespace::Window { start: 0, end: 10 }).unwrap() {
                Some(Slot::List(items)) => assert_eq!(items, &vec![1, 2, 3]),
                _ => panic!("list restored"),
            }
            let t2 = r.register("t", ttl(false, false));
            assert_eq!(r.at(&k(1), t2, Namespace::Void, 106).list().unwrap(), vec![4], "{mode} -> {to}: the element keeps its time");
            assert_eq!(r.at(&k(1), t2, Namespace::Void, 107).list().unwrap(), Vec::<i64>::new());
            let m2 = r.register("m", ttl(false, false));
            assert_eq!(r.at(&k(1), m2, Namespace::Void, 9).map_entries().unwrap(), vec![(9, 90), (8, 80)], "{mode} -> {to}: insertion order kept");
            assert!(r.restore_entry(&k(1), &[0xff, 0xff]).is_err(), "corrupt entries are refused");
        }
    }
}

#[test]
fn values_expire_unless_refreshed() {
    for (mode, mut s) in stores() {
        let mode = format!("{mode}: ");
        let on_write = s.register("w", ttl(false, false));
        let on_read = s.register("r", ttl(true, false));
        for st in [on_write, on_read] {
            s.at(&k(1), st, Namespace::Void, 0).update(1).unwrap();
        }
        assert_eq!(s.at(&k(1), on_read, Namespace::Void, 90).value().unwrap(), Some(1), "{mode}");
        assert_eq!(s.at(&k(1), on_write, Namespace::Void, 99).value().unwrap(), Some(1), "{mode}");
        assert_eq!(s.at(&k(1), on_write, Namespace::Void, 100).value().unwrap(), None, "{mode}expired after 100 ms");
        assert_eq!(s.at(&k(1), on_read, Namespace::Void, 150).value().unwrap(), Some(1), "{mode}the read at 90 refreshed it");
        assert_eq!(s.len(), 1, "{mode}the expired value was removed by the read");
    }
}

#[test]
fn return_expired_returns_an_expired_value_once() {
    for (mode, mut s) in stores() {
        let mode = format!("{mode}: ");
        let v = s.register("v", ttl(false, true));
        let l = s.register("l", ttl(false, true));
        let m = s.register("m", ttl(false, true));
        s.at(&k(1), v, Namespace::Void, 0).update(5).unwrap();
        s.at(&k(1), l, Namespace::Void, 0).add(5).unwrap();
        s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 5).unwrap();
        assert_eq!(s.at(&k(1), v, Namespace::Void, 500).value().unwrap(), Some(5), "{mode}");
        assert_eq!(s.at(&k(1), v, Namespace::Void, 500).value().unwrap(), None, "{mode}");
        assert_eq!(s.at(&k(1), l, Namespace::Void, 500).list().unwrap(), vec![5], "{mode}");
        assert_eq!(s.at(&k(1), l, Namespace::Void, 500).list().unwrap(), Vec::<i64>::new(), "{mode}");
        assert!(!s.at(&k(1), m, Namespace::Void, 500).map_is_empty().unwrap(), "still there until read");
        assert_eq!(s.at(&k(1), m, Namespace::Void, 500).map_get(&1).unwrap(), Some(5), "{mode}");
        assert_eq!(s.at(&k(1), m, Namespace::Void, 500).map_get(&1).unwrap(), None, "{mode}");
        assert!(s.is_empty());
    }
}

#[test]
fn lists_expire_per_element_and_maps_per_key() {
    for (mode, mut s) in stores() {
        let mode = format!("{mode}: ");
        let l = s.register("l", ttl(false, false));
        let m = s.register("m", ttl(false, false));
        s.at(&k(1), l, Namespace::Void, 0).add(1).unwrap();
        s.at(&k(1), l, Namespace::Void, 70).add(2).unwrap();
        assert_eq!(s.at(&k(1), l, Namespace::Void, 140).list().unwrap(), vec![2], "{mode}add stamps the new element only");
        s.at(&k(1), l, Namespace::Void, 150).update_list(vec![3, 4]).unwrap();
        assert_eq!(s.at(&k(1), l, Namespace::Void, 249).list().unwrap(), vec![3, 4], "{mode}");
        s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 10).unwrap();
        s.at(&k(1), m, Namespace::Void, 70).map_put(&2, 20).unwrap();
        assert!(!s.at(&k(1), m, Namespace::Void, 140).map_contains(&1).unwrap());
        assert_eq!(s.at(&k(1), m, Namespace::Void, 140).map_entries().unwrap(), vec![(2, 20)], "{mode}");
        assert_eq!(s.at(&k(1), m, Namespace::Void, 169).map_get(&2).unwrap(), Some(20), "{mode}");
        assert!(s.at(&k(1), m, Namespace::Void, 170).map_is_empty().unwrap());
        assert_eq!(s.len(), 1, "{mode}the emptied map is gone");
    }
}

#[test]
fn reads_refresh_only_what_they_return() {
    for (mode, mut s) in stores() {
        let mode = format!("{mode}: ");
        let l = s.register("l", ttl(true, false));
        let m = s.register("m", ttl(true, false));
        s.at(&k(1), l, Namespace::Void, 0).add(1).unwrap();
        s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 1).unwrap();
        s.at(&k(1), m, Namespace::Void, 0).map_put(&2, 2).unwrap();
        assert_eq!(s.at(&k(1), l, Namespace::Void, 70).list().unwrap(), vec![1], "{mode}");
        assert_eq!(s.at(&k(1), m, Namespace::Void, 70).map_get(&1).unwrap(), Some(1), "{mode}");
        assert_eq!(s.at(&k(1), l, Namespace::Void, 140).list().unwrap(), vec![1], "{mode}refreshed at 70");
        assert_eq!(s.at(&k(1), m, Namespace::Void, 140).map_entries().unwrap(), vec![(1, 1)], "{mode}only key 1 was read at 70");
    }
}

#[test]
fn the_incremental_cleanup_frees_entries_nobody_reads() {
    // Memory mode (the engine mode's cleanup: `the_incremental_cleanup_walks_the_engine_too`).
    let mut s = KeyedStateStore::<Ints>::default();
    let t = s.register("t", Some(TtlConfig::new(100)));
    let plain = s.register("plain", None);
    for key in 0..50 {
        s.at(&k(key), t, Namespace::Void, 0).update(key).unwrap();
        s.put(&k(key), plain, Namespace::Void, Slot::Value(key), 0).unwrap();
    }
    // Accesses of one key after the others expired sweep the table 5 entries at a time.
    for _ in 0..40 {
        s.at(&k(1000), t, Namespace::Void, 200).value().unwrap();
    }
    assert_eq!(s.len(), 50, "only the entries without TTL are left");

    let mut quiet = KeyedStateStore::<Ints>::default();
    let t = quiet.register("t", Some(TtlConfig { incremental_cleanup: 0, ..TtlConfig::new(100) }));
    quiet.at(&k(1), t, Namespace::Void, 0).update(1).unwrap();
    for _ in 0..10 {
        quiet.at(&k(2), t, Namespace::Void, 200).value().unwrap();
        quiet.on_record(|| 200);
    }
    assert_eq!(quiet.len(), 1, "no background cleanup: the unread entry stays");
}

#[test]
fn the_incremental_cleanup_walks_the_engine_too() {
    for (mode, mut s) in stores().into_iter().skip(1) {
        let t = s.register("t", Some(TtlConfig::new(100)));
        let r = s.register("r", Some(TtlConfig { cleanup_every_record: true, incremental_cleanup: 3, ..TtlConfig::new(100) }));
        let plain = s.register("plain", None);
        for key in 0..50 {
            s.at(&k(key), t, Namespace::Void, 0).update(key).unwrap();
            s.at(&k(key), r, Namespace::Void, 0).add(key).unwrap();
            s.put(&k(key), plain, Namespace::Void, Slot::Value(key), 0).unwrap();
        }
        // Written back: the cleanup walks the engine (cached entries wait until written back).
        s.flush().unwrap();
        s.at(&k(1), t, Namespace::Void, 60).update(-1).unwrap();
        for _ in 0..40 {
            s.at(&k(1000), t, Namespace::Void, 120).value().unwrap();
        }
        for _ in 0..40 {
            s.on_record(|| 120);
        }
        assert_eq!(s.len(), 51, "{mode}: only the entries without TTL and the one rewritten at 60 are left");
        assert_eq!(s.at(&k(1), t, Namespace::Void, 120).value().unwrap(), Some(-1), "{mode}");
    }
}

#[test]
fn per_record_cleanup_runs_without_state_accesses() {
    // Memory mode (the engine mode's cleanup: `the_incremental_cleanup_walks_the_engine_too`).
    let mut s = KeyedStateStore::<Ints>::default();
    let t = s.register("t", Some(TtlConfig { cleanup_every_record: true, incremental_cleanup: 3, ..TtlConfig::new(100) }));
    for key in 0..9 {
        s.at(&k(key), t, Namespace::Void, 0).update(key).unwrap();
    }
    for _ in 0..3 {
        s.on_record(|| 50);
    }
    assert_eq!(s.len(), 9, "nothing expired yet");
    for _ in 0..20 {
        s.on_record(|| 100);
    }
    assert!(s.is_empty());
}

#[test]
fn full_snapshot_cleanup_leaves_expired_entries_out_across_modes() {
    for (mode, mut s) in stores() {
        let full = s.register("full", Some(TtlConfig { cleanup_full_snapshot: true, incremental_cleanup: 0, ..TtlConfig::new(100) }));
        let kept = s.register("kept", ttl(false, false));
        s.at(&k(1), full, Namespace::Void, 0).update(1).unwrap();
        s.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 0).add(1).unwrap();
        s.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 60).add(2).unwrap();
        s.at(&k(1), kept, Namespace::Void, 0).update(1).unwrap();
        let mut entries = Vec::new();
        s.snapshot_into(120, |key, body| {
            entries.push((Ints::decode_key(&key).unwrap(), body));
            Ok(())
        })
        .unwrap();
        for (to, mut r) in stores() {
            for (key, body) in &entries {
                r.restore_entry(&k(*key), body).unwrap();
            }
            assert_eq!(r.len(), 2, "the expired value is left out, the list keeps its live element, 'kept' is written: {mode} -> {to}");
            let full = r.register("full", ttl(false, true));
            assert_eq!(r.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 120).list().unwrap(), vec![2]);
        }
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
        s.snapshot_into(0, |key, body| {
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
        lists.snapshot_into(0, |_, body| {
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

/// A `BTreeMap` engine that counts its single and batched lookups.
struct CountingEngine {
    inner: BTreeMapEngine,
    gets: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    multi_gets: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl KvEngine for CountingEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.get(key)
    }
    fn multi_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, BoxError> {
        self.multi_gets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        keys.iter().map(|k| self.inner.get(k)).collect()
    }
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BoxError> {
        self.inner.put(key, value)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), BoxError> {
        self.inner.delete(key)
    }
    fn scan_from(&self, start: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Result<bool, BoxError>) -> Result<(), BoxError> {
        self.inner.scan_from(start, visit)
    }
}

#[test]
fn a_prefetched_batch_is_served_from_the_cache_stored_and_new_keys_alike() {
    use std::sync::atomic::Ordering::Relaxed;
    let (gets, multi_gets) = (std::sync::Arc::default(), std::sync::Arc::default());
    let engine = CountingEngine { inner: BTreeMapEngine::default(), gets: std::sync::Arc::clone(&gets), multi_gets: std::sync::Arc::clone(&multi_gets) };
    let mut s = KeyedStateStore::<Ints>::with_engine(Box::new(engine), 128, 16);
    let sum = s.register_value("sum");
    for key in 0..5 {
        *s.value_or_insert_with(&k(key), sum, || 0).unwrap().0 = 100 + key;
    }
    s.flush().unwrap();
    gets.store(0, Relaxed);
    // Keys 0..5 are stored, 5..8 are new; 2 repeats within the batch.
    let batch: Vec<Keyed<i64>> = [3, 7, 0, 2, 5, 2, 6, 4, 1].iter().map(|&v| k(v)).collect();
    s.prefetch_values(batch.iter(), sum).unwrap();
    assert_eq!(multi_gets.load(Relaxed), 1, "one batched lookup");
    for key in &batch {
        let (v, created) = s.value_or_insert_with(key, sum, || 0).unwrap();
        assert_eq!(created, key.key >= 5 && *v == 0, "key {}", key.key);
        *v += 1;
    }
    assert_eq!(gets.load(Relaxed), 0, "no single lookups after the prefetch");
    assert_eq!(s.len(), 8);
    let values: Vec<i64> = (0..8).map(|key| *s.value_or_insert_with(&k(key), sum, || -1).unwrap().0).collect();
    assert_eq!(values, vec![101, 102, 104, 104, 105, 1, 1, 1]);
    // Prefetching more keys than the cache holds beside its entries writes it back first and
    // reads ahead at most half its bound; every value survives.
    let many: Vec<Keyed<i64>> = (0..40).map(k).collect();
    s.prefetch_values(many.iter(), sum).unwrap();
    for key in &many {
        *s.value_or_insert_with(key, sum, || 0).unwrap().0 += 10;
    }
    s.flush().unwrap();
    let values: Vec<i64> = (0..10).map(|key| *s.value_or_insert_with(&k(key), sum, || -1).unwrap().0).collect();
    assert_eq!(values, vec![111, 112, 114, 114, 115, 11, 11, 11, 10, 10]);
    assert_eq!(s.len(), 40);
}
