use super::*;
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

/// A TTL of 100 ms without background cleanup, so only reads expire entries.
fn ttl(refresh_on_read: bool, return_expired: bool) -> Option<TtlConfig> {
    Some(TtlConfig { refresh_on_read, return_expired, incremental_cleanup: 0, ..TtlConfig::new(100) })
}

#[test]
fn values_are_kept_per_key_state_and_namespace() {
    let mut s = KeyedStateStore::<Ints>::default();
    let a = s.register("a", None);
    let b = s.register("b", None);
    assert_eq!(s.register("a", None), a);
    let w = Namespace::Window { start: 0, end: 10 };
    s.put(&k(1), a, Namespace::Void, Slot::Value(10), 0);
    s.put(&k(1), b, Namespace::Void, Slot::Value(20), 0);
    s.put(&k(2), a, Namespace::Void, Slot::Value(30), 0);
    s.put(&k(1), a, w, Slot::Value(40), 0);
    assert_eq!(value(s.get(&k(1), a, &Namespace::Void)), Some(10));
    assert_eq!(value(s.get(&k(1), b, &Namespace::Void)), Some(20));
    assert_eq!(value(s.get(&k(2), a, &Namespace::Void)), Some(30));
    assert_eq!(value(s.get(&k(1), a, &w)), Some(40));
    assert_eq!(value(s.get(&k(3), a, &Namespace::Void)), None);
    s.put(&k(1), a, Namespace::Void, Slot::Value(11), 0);
    assert_eq!(value(s.get(&k(1), a, &Namespace::Void)), Some(11));
    assert_eq!(s.len(), 4);
    assert!(s.remove(&k(1), a, &w).is_some());
    assert_eq!(value(s.get(&k(1), a, &w)), None);
    assert_eq!(s.len(), 3);
}

#[test]
fn entries_survive_a_snapshot_and_restore() {
    let mut s = KeyedStateStore::<Ints>::default();
    let a = s.register("a", None);
    let l = s.register("l", None);
    let t = s.register("t", ttl(false, false));
    let m = s.register("m", ttl(false, false));
    s.put(&k(1), a, Namespace::Void, Slot::Value(10), 5);
    s.put(&k(2), l, Namespace::Window { start: 0, end: 10 }, Slot::List(vec![1, 2, 3]), 6);
    s.at(&k(1), t, Namespace::Void, 7).add(4);
    s.at(&k(1), m, Namespace::Void, 8).map_put(&9, 90).unwrap();
    s.at(&k(1), m, Namespace::Void, 8).map_put(&8, 80).unwrap();
    let mut entries = Vec::new();
    s.snapshot_into(9, |key, body| {
        entries.push((*key, body));
        Ok(())
    })
    .unwrap();
    let mut r = KeyedStateStore::<Ints>::default();
    let l2 = r.register("l", None); // declared in another order
    for (key, body) in &entries {
        r.restore_entry(&k(*key), body).unwrap();
    }
    let a2 = r.register("a", None);
    assert_eq!(value(r.get(&k(1), a2, &Namespace::Void)), Some(10));
    match r.get(&k(2), l2, &Namespace::Window { start: 0, end: 10 }) {
        Some(Slot::List(items)) => assert_eq!(items, &vec![1, 2, 3]),
        _ => panic!("list restored"),
    }
    let t2 = r.register("t", ttl(false, false));
    assert_eq!(r.at(&k(1), t2, Namespace::Void, 106).list(), vec![4], "the element keeps its time");
    assert_eq!(r.at(&k(1), t2, Namespace::Void, 107).list(), Vec::<i64>::new());
    let m2 = r.register("m", ttl(false, false));
    assert_eq!(r.at(&k(1), m2, Namespace::Void, 9).map_entries(), vec![(9, 90), (8, 80)], "insertion order kept");
    assert!(r.restore_entry(&k(1), &[0xff, 0xff]).is_err(), "corrupt entries are refused");
}

#[test]
fn values_expire_unless_refreshed() {
    let mut s = KeyedStateStore::<Ints>::default();
    let on_write = s.register("w", ttl(false, false));
    let on_read = s.register("r", ttl(true, false));
    for st in [on_write, on_read] {
        s.at(&k(1), st, Namespace::Void, 0).update(1);
    }
    assert_eq!(s.at(&k(1), on_read, Namespace::Void, 90).value(), Some(1));
    assert_eq!(s.at(&k(1), on_write, Namespace::Void, 99).value(), Some(1));
    assert_eq!(s.at(&k(1), on_write, Namespace::Void, 100).value(), None, "expired after 100 ms");
    assert_eq!(s.at(&k(1), on_read, Namespace::Void, 150).value(), Some(1), "the read at 90 refreshed it");
    assert_eq!(s.len(), 1, "the expired value was removed by the read");
}

#[test]
fn return_expired_returns_an_expired_value_once() {
    let mut s = KeyedStateStore::<Ints>::default();
    let v = s.register("v", ttl(false, true));
    let l = s.register("l", ttl(false, true));
    let m = s.register("m", ttl(false, true));
    s.at(&k(1), v, Namespace::Void, 0).update(5);
    s.at(&k(1), l, Namespace::Void, 0).add(5);
    s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 5).unwrap();
    assert_eq!(s.at(&k(1), v, Namespace::Void, 500).value(), Some(5));
    assert_eq!(s.at(&k(1), v, Namespace::Void, 500).value(), None);
    assert_eq!(s.at(&k(1), l, Namespace::Void, 500).list(), vec![5]);
    assert_eq!(s.at(&k(1), l, Namespace::Void, 500).list(), Vec::<i64>::new());
    assert!(!s.at(&k(1), m, Namespace::Void, 500).map_is_empty(), "still there until read");
    assert_eq!(s.at(&k(1), m, Namespace::Void, 500).map_get(&1).unwrap(), Some(5));
    assert_eq!(s.at(&k(1), m, Namespace::Void, 500).map_get(&1).unwrap(), None);
    assert!(s.is_empty());
}

#[test]
fn lists_expire_per_element_and_maps_per_key() {
    let mut s = KeyedStateStore::<Ints>::default();
    let l = s.register("l", ttl(false, false));
    let m = s.register("m", ttl(false, false));
    s.at(&k(1), l, Namespace::Void, 0).add(1);
    s.at(&k(1), l, Namespace::Void, 70).add(2);
    assert_eq!(s.at(&k(1), l, Namespace::Void, 140).list(), vec![2], "add stamps the new element only");
    s.at(&k(1), l, Namespace::Void, 150).update_list(vec![3, 4]);
    assert_eq!(s.at(&k(1), l, Namespace::Void, 249).list(), vec![3, 4]);
    s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 10).unwrap();
    s.at(&k(1), m, Namespace::Void, 70).map_put(&2, 20).unwrap();
    assert!(!s.at(&k(1), m, Namespace::Void, 140).map_contains(&1).unwrap());
    assert_eq!(s.at(&k(1), m, Namespace::Void, 140).map_entries(), vec![(2, 20)]);
    assert_eq!(s.at(&k(1), m, Namespace::Void, 169).map_get(&2).unwrap(), Some(20));
    assert!(s.at(&k(1), m, Namespace::Void, 170).map_is_empty());
    assert_eq!(s.len(), 1, "the emptied map is gone");
}

#[test]
fn reads_refresh_only_what_they_return() {
    let mut s = KeyedStateStore::<Ints>::default();
    let l = s.register("l", ttl(true, false));
    let m = s.register("m", ttl(true, false));
    s.at(&k(1), l, Namespace::Void, 0).add(1);
    s.at(&k(1), m, Namespace::Void, 0).map_put(&1, 1).unwrap();
    s.at(&k(1), m, Namespace::Void, 0).map_put(&2, 2).unwrap();
    assert_eq!(s.at(&k(1), l, Namespace::Void, 70).list(), vec![1]);
    assert_eq!(s.at(&k(1), m, Namespace::Void, 70).map_get(&1).unwrap(), Some(1));
    assert_eq!(s.at(&k(1), l, Namespace::Void, 140).list(), vec![1], "refreshed at 70");
    assert_eq!(s.at(&k(1), m, Namespace::Void, 140).map_entries(), vec![(1, 1)], "only key 1 was read at 70");
}

#[test]
fn the_incremental_cleanup_frees_entries_nobody_reads() {
    let mut s = KeyedStateStore::<Ints>::default();
    let t = s.register("t", Some(TtlConfig::new(100)));
    let plain = s.register("plain", None);
    for key in 0..50 {
        s.at(&k(key), t, Namespace::Void, 0).update(key);
        s.put(&k(key), plain, Namespace::Void, Slot::Value(key), 0);
    }
    // Accesses of one key after the others expired sweep the table 5 entries at a time.
    for _ in 0..40 {
        s.at(&k(1000), t, Namespace::Void, 200).value();
    }
    assert_eq!(s.len(), 50, "only the entries without TTL are left");

    let mut quiet = KeyedStateStore::<Ints>::default();
    let t = quiet.register("t", Some(TtlConfig { incremental_cleanup: 0, ..TtlConfig::new(100) }));
    quiet.at(&k(1), t, Namespace::Void, 0).update(1);
    for _ in 0..10 {
        quiet.at(&k(2), t, Namespace::Void, 200).value();
        quiet.on_record(|| 200);
    }
    assert_eq!(quiet.len(), 1, "no background cleanup: the unread entry stays");
}

#[test]
fn per_record_cleanup_runs_without_state_accesses() {
    let mut s = KeyedStateStore::<Ints>::default();
    let t = s.register("t", Some(TtlConfig { cleanup_every_record: true, incremental_cleanup: 3, ..TtlConfig::new(100) }));
    for key in 0..9 {
        s.at(&k(key), t, Namespace::Void, 0).update(key);
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
fn full_snapshot_cleanup_leaves_expired_entries_out() {
    let mut s = KeyedStateStore::<Ints>::default();
    let full = s.register("full", Some(TtlConfig { cleanup_full_snapshot: true, incremental_cleanup: 0, ..TtlConfig::new(100) }));
    let kept = s.register("kept", ttl(false, false));
    s.at(&k(1), full, Namespace::Void, 0).update(1);
    s.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 0).add(1);
    s.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 60).add(2);
    s.at(&k(1), kept, Namespace::Void, 0).update(1);
    let mut entries = Vec::new();
    s.snapshot_into(120, |key, body| {
        entries.push((*key, body));
        Ok(())
    })
    .unwrap();
    let mut r = KeyedStateStore::<Ints>::default();
    for (key, body) in &entries {
        r.restore_entry(&k(*key), body).unwrap();
    }
    assert_eq!(r.len(), 2, "the expired value is left out, the list keeps its live element, 'kept' is written");
    let full = r.register("full", ttl(false, true));
    assert_eq!(r.at(&k(1), full, Namespace::Window { start: 0, end: 1 }, 120).list(), vec![2]);
}
