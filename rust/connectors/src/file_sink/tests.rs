//! Tests of the row-format file sink: rolling, buckets, and two-phase commit on checkpoints.

use super::*;
use crate::test_support::{task, Strings};
use oxflow_core::checkpoint::snapshot::OperatorSnapshot;
use std::fs;

fn string_encoder() -> Encoder<Strings> {
    Box::new(|v: &String, out: &mut Vec<u8>| {
        out.extend_from_slice(v.as_bytes());
        Ok(())
    })
}

fn base_path_config(dir: &Path) -> FileSinkConfig {
    FileSinkConfig { bucket_format: BucketFormat::BasePath, ..FileSinkConfig::new(dir) }
}

fn records(values: &[&str]) -> Vec<Record<Strings>> {
    values.iter().map(|v| Record::new(v.to_string())).collect()
}

/// File names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        && parts[2].starts_with('4')
}

#[test]
fn in_progress_is_hidden_until_finish_then_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    let uid = sink.uid().to_string();
    assert!(is_uuid(&uid), "{uid}");
    sink.open(&task(0, 1)).unwrap();
    sink.write(records(&["a", "héllo"])).unwrap();
    sink.write(records(&["", "c"])).unwrap();

    let before = names(dir.path());
    assert_eq!(before.len(), 1, "{before:?}");
    let prefix = format!(".part-{uid}-0-0.inprogress.");
    assert!(before[0].starts_with(&prefix), "{before:?}");
    assert!(is_uuid(&before[0][prefix.len()..]), "{before:?}");

    sink.finish().unwrap();
    sink.close().unwrap();
    let committed = format!("part-{uid}-0-0");
    assert_eq!(names(dir.path()), vec![committed.clone()]);
    assert_eq!(fs::read_to_string(dir.path().join(committed)).unwrap(), "a\nhéllo\n\nc\n");
}

#[test]
fn parts_roll_once_larger_than_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileSinkConfig {
        part_prefix: "out".into(),
        part_suffix: ".txt".into(),
        max_part_size: 5,
        ..base_path_config(dir.path())
    };
    let mut sink = FileSink::<Strings>::new(config, string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&task(2, 3)).unwrap();
    // 4 bytes each: "aaa\n" (4 <= 5), "bbb\n" (8 > 5: roll), "ccc\n" into the next part.
    sink.write(records(&["aaa", "bbb", "ccc"])).unwrap();
    let part0 = format!("out-{uid}-2-0.txt");
    let before = names(dir.path());
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(before[0].starts_with(&format!(".out-{uid}-2-1.txt.inprogress.")), "{before:?}");
    assert_eq!(before[1], part0);
    assert_eq!(fs::read_to_string(dir.path().join(&part0)).unwrap(), "aaa\nbbb\n");

    sink.write(records(&["a-long-record", "d"])).unwrap();
    sink.finish().unwrap();
    let part1 = format!("out-{uid}-2-1.txt");
    let part2 = format!("out-{uid}-2-2.txt");
    assert_eq!(names(dir.path()), vec![part0, part1.clone(), part2.clone()]);
    assert_eq!(fs::read_to_string(dir.path().join(part1)).unwrap(), "ccc\na-long-record\n");
    assert_eq!(fs::read_to_string(dir.path().join(part2)).unwrap(), "d\n");
}

#[test]
fn failed_job_leaves_only_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    sink.open(&task(0, 1)).unwrap();
    sink.write(records(&["x", "y"])).unwrap();
    sink.close().unwrap(); // no finish
    let left = names(dir.path());
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with('.') && left[0].contains(".inprogress."), "{left:?}");
    // The data was flushed to the in-progress file; readers skip it.
    assert_eq!(fs::read_to_string(dir.path().join(&left[0])).unwrap(), "x\ny\n");
    assert!(crate::text_file::list_files(&[dir.path().to_path_buf()]).unwrap().is_empty());
}

#[test]
fn no_records_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("out");
    let mut sink = FileSink::<Strings>::new(FileSinkConfig::new(&base), string_encoder());
    sink.open(&task(0, 1)).unwrap();
    sink.finish().unwrap();
    sink.close().unwrap();
    assert!(!base.exists());
}

#[test]
fn date_time_buckets_by_processing_hour() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("nested/out");
    let mut sink = FileSink::<Strings>::new(FileSinkConfig::new(&base), string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&task(1, 2)).unwrap();
    let before = date_time_bucket(unix_seconds(SystemTime::now()));
    sink.write(records(&["r1", "r2"])).unwrap();
    sink.finish().unwrap();
    let after = date_time_bucket(unix_seconds(SystemTime::now()));
    let buckets = names(&base);
    if before == after {
        assert_eq!(buckets, vec![before.clone()]);
        assert_eq!(names(&base.join(&before)), vec![format!("part-{uid}-1-0")]);
        assert_eq!(fs::read_to_string(base.join(&before).join(format!("part-{uid}-1-0"))).unwrap(), "r1\nr2\n");
    } else {
        assert!(buckets.iter().all(|b| *b == before || *b == after), "{buckets:?}");
    }
}

#[test]
fn date_time_bucket_format() {
    assert_eq!(date_time_bucket(0), "1970-01-01--00");
    assert_eq!(date_time_bucket(-1), "1969-12-31--23");
    assert_eq!(date_time_bucket(1_700_000_000), "2023-11-14--22");
    assert_eq!(date_time_bucket(1_709_208_000), "2024-02-29--12");
    assert_eq!(date_time_bucket(951_782_400), "2000-02-29--00");
    assert_eq!(date_time_bucket(4_102_444_799), "2099-12-31--23");
}

#[test]
fn civil_from_days_matches_a_day_by_day_calendar() {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let (mut y, mut m, mut d) = (1900i64, 1u32, 1u32);
    let start = -25_567; // 1900-01-01
    for days in start..start + 100_000 {
        assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
        let len = match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        d += 1;
        if d > len {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
}

#[test]
fn ids_are_distinct() {
    let ids: std::collections::HashSet<String> = (0..1000).map(|_| random_id()).collect();
    assert_eq!(ids.len(), 1000);
    assert!(ids.iter().all(|id| is_uuid(id)));
    let a = FileSink::<Strings>::new(FileSinkConfig::new("x"), string_encoder());
    let b = FileSink::<Strings>::new(FileSinkConfig::new("x"), string_encoder());
    assert_ne!(a.uid(), b.uid());
}

#[test]
fn encoder_errors_propagate() {
    let dir = tempfile::tempdir().unwrap();
    let encoder: Encoder<Strings> = Box::new(|v: &String, out: &mut Vec<u8>| {
        if v == "bad" {
            return Err(message("cannot encode 'bad'"));
        }
        out.extend_from_slice(v.as_bytes());
        Ok(())
    });
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), encoder);
    sink.open(&task(0, 1)).unwrap();
    let err = sink.write(records(&["ok", "bad"])).unwrap_err();
    assert_eq!(err.to_string(), "cannot encode 'bad'");
}

#[test]
fn invalid_prefix_is_rejected() {
    let config = FileSinkConfig { part_prefix: "a/b".into(), ..FileSinkConfig::new("x") };
    let err = config.validate().unwrap_err().to_string();
    assert_eq!(err, "file sink: part prefix 'a/b' must not contain a path separator");
}

fn checkpointing_task(subtask_index: usize, parallelism: usize) -> TaskInfo {
    TaskInfo { checkpointing: true, ..task(subtask_index, parallelism) }
}

/// Non-hidden file names in `dir`, sorted.
fn visible(dir: &Path) -> Vec<String> {
    names(dir).into_iter().filter(|n| !n.starts_with('.')).collect()
}

fn hidden(dir: &Path) -> Vec<String> {
    names(dir).into_iter().filter(|n| n.starts_with('.')).collect()
}

fn snapshot(sink: &mut FileSink<Strings>, checkpoint: CheckpointId) -> OperatorSnapshot {
    let mut snap = OperatorSnapshot::default();
    sink.snapshot_state(checkpoint, &mut SnapshotWriter::new(&mut snap)).unwrap();
    snap
}

fn pending_files(snap: &OperatorSnapshot) -> Vec<PendingFile> {
    snap.list.iter().map(|e| PendingFile::decode(e).unwrap()).collect()
}

/// A new sink instance restored from `old` as subtask `index` of `parallelism`.
fn restored(
    dir: &Path,
    old: &[OperatorSnapshot],
    index: usize,
    parallelism: usize,
) -> Result<FileSink<Strings>, BoxError> {
    let mut sink = FileSink::<Strings>::new(base_path_config(dir), string_encoder());
    sink.restore_state(RestoredState::share(old, index, parallelism, 128)?)?;
    Ok(sink)
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn checkpoint_commits_only_its_own_parts() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&checkpointing_task(0, 1)).unwrap();
    sink.write(records(&["a", "b"])).unwrap();
    let snap1 = snapshot(&mut sink, 1);
    let pending = pending_files(&snap1);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].checkpoint, 1);
    assert_eq!(pending[0].size, 4);
    assert!(Path::new(&pending[0].in_progress).is_absolute(), "{pending:?}");
    assert!(pending[0].committed.ends_with(&format!("part-{uid}-0-0")), "{pending:?}");
    // The snapshot rolled the part, but nothing is visible before the checkpoint completes.
    assert!(visible(dir.path()).is_empty());

    sink.write(records(&["c"])).unwrap();
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(visible(dir.path()), vec![format!("part-{uid}-0-0")]);
    assert_eq!(read(dir.path(), &format!("part-{uid}-0-0")), "a\nb\n");
    let h = hidden(dir.path());
    assert_eq!(h.len(), 1, "{h:?}");
    assert!(h[0].starts_with(&format!(".part-{uid}-0-1.inprogress.")), "{h:?}");

    // A repeated or stale notification commits nothing more.
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(visible(dir.path()).len(), 1);

    let snap2 = snapshot(&mut sink, 2);
    assert_eq!(pending_files(&snap2).iter().map(|p| p.checkpoint).collect::<Vec<_>>(), vec![2]);
    sink.notify_checkpoint_complete(2).unwrap();
    assert_eq!(visible(dir.path()), vec![format!("part-{uid}-0-0"), format!("part-{uid}-0-1")]);
    assert_eq!(read(dir.path(), &format!("part-{uid}-0-1")), "c\n");
    assert!(hidden(dir.path()).is_empty());
}

#[test]
fn rolled_parts_wait_for_their_checkpoint_and_a_later_one_covers_a_lost_notification() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileSinkConfig { max_part_size: 5, ..base_path_config(dir.path()) };
    let mut sink = FileSink::<Strings>::new(config, string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&checkpointing_task(0, 1)).unwrap();
    // "aaa\nbbb\n" rolls on size (pending, not committed), "ccc\n" is open at checkpoint 1.
    sink.write(records(&["aaa", "bbb", "ccc"])).unwrap();
    assert!(visible(dir.path()).is_empty());
    let snap1 = snapshot(&mut sink, 1);
    assert_eq!(pending_files(&snap1).iter().map(|p| (p.checkpoint, p.size)).collect::<Vec<_>>(), vec![(1, 8), (1, 4)]);
    sink.write(records(&["d"])).unwrap();
    // Checkpoint 1's notification is lost; checkpoint 2's snapshot still records its parts.
    let snap2 = snapshot(&mut sink, 2);
    assert_eq!(pending_files(&snap2).iter().map(|p| p.checkpoint).collect::<Vec<_>>(), vec![1, 1, 2]);
    sink.write(records(&["e"])).unwrap();
    sink.notify_checkpoint_complete(2).unwrap();
    let expected: Vec<String> = (0..3).map(|i| format!("part-{uid}-0-{i}")).collect();
    assert_eq!(visible(dir.path()), expected);
    assert_eq!(read(dir.path(), &expected[0]), "aaa\nbbb\n");
    assert_eq!(read(dir.path(), &expected[1]), "ccc\n");
    assert_eq!(read(dir.path(), &expected[2]), "d\n");
    assert_eq!(hidden(dir.path()).len(), 1, "'e' waits for checkpoint 3");
    // Committed parts leave the state.
    assert_eq!(pending_files(&snapshot(&mut sink, 3)).iter().map(|p| p.checkpoint).collect::<Vec<_>>(), vec![3]);
}

#[test]
fn finish_then_final_checkpoint_commits_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&checkpointing_task(0, 1)).unwrap();
    sink.write(records(&["a"])).unwrap();
    let _ = snapshot(&mut sink, 1);
    sink.write(records(&["b"])).unwrap();
    sink.finish().unwrap();
    // finish makes the last part pending only.
    assert!(visible(dir.path()).is_empty());
    assert_eq!(hidden(dir.path()).len(), 2);
    let last = snapshot(&mut sink, 2);
    assert_eq!(pending_files(&last).iter().map(|p| p.checkpoint).collect::<Vec<_>>(), vec![1, 2]);
    sink.notify_checkpoint_complete(2).unwrap();
    sink.close().unwrap();
    assert_eq!(names(dir.path()), vec![format!("part-{uid}-0-0"), format!("part-{uid}-0-1")]);
    assert_eq!(read(dir.path(), &format!("part-{uid}-0-0")), "a\n");
    assert_eq!(read(dir.path(), &format!("part-{uid}-0-1")), "b\n");
}

#[test]
fn restore_commits_the_checkpoint_parts_exactly_once_without_a_notification() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    let first_uid = first.uid().to_string();
    first.open(&checkpointing_task(0, 1)).unwrap();
    first.write(records(&["a", "b"])).unwrap();
    let snap1 = snapshot(&mut first, 1);
    first.write(records(&["after the checkpoint"])).unwrap();
    let _ = snapshot(&mut first, 2); // taken, but checkpoint 2 never completes
    first.write(records(&["later still"])).unwrap();
    first.close().unwrap(); // the attempt fails: no notification, no finish

    let mut second = restored(dir.path(), std::slice::from_ref(&snap1), 0, 1).unwrap();
    assert_ne!(second.uid(), first_uid);
    let part0 = format!("part-{first_uid}-0-0");
    assert_eq!(visible(dir.path()), vec![part0.clone()]);
    assert_eq!(read(dir.path(), &part0), "a\nb\n");
    // What the failed attempt wrote after checkpoint 1 stays hidden (it is replayed).
    assert_eq!(hidden(dir.path()).len(), 2);

    second.open(&checkpointing_task(0, 1)).unwrap();
    second.write(records(&["after the checkpoint", "later still"])).unwrap();
    second.finish().unwrap();
    let snap2 = snapshot(&mut second, 2);
    // The restored part was committed, so it is not recorded again.
    assert_eq!(pending_files(&snap2).len(), 1);
    second.notify_checkpoint_complete(2).unwrap();
    let second_part = format!("part-{}-0-0", second.uid());
    let mut expected = vec![part0.clone(), second_part.clone()];
    expected.sort();
    assert_eq!(visible(dir.path()), expected);
    assert_eq!(read(dir.path(), &second_part), "after the checkpoint\nlater still\n");

    // Restoring from checkpoint 1 again (another failure) commits nothing twice.
    let _third = restored(dir.path(), std::slice::from_ref(&snap1), 0, 1).unwrap();
    assert_eq!(visible(dir.path()), expected);
    assert_eq!(read(dir.path(), &part0), "a\nb\n");
    assert_eq!(hidden(dir.path()).len(), 2);
}

#[test]
fn restore_is_idempotent_when_the_parts_were_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    sink.open(&checkpointing_task(0, 1)).unwrap();
    sink.write(records(&["x"])).unwrap();
    let snap1 = snapshot(&mut sink, 1);
    sink.notify_checkpoint_complete(1).unwrap();
    sink.close().unwrap();
    let before = names(dir.path());
    assert_eq!(before.len(), 1);
    for _ in 0..2 {
        restored(dir.path(), std::slice::from_ref(&snap1), 0, 1).unwrap();
        assert_eq!(names(dir.path()), before);
    }
    assert_eq!(read(dir.path(), &before[0]), "x\n");
}

#[test]
fn restore_reports_a_missing_pending_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    sink.open(&checkpointing_task(0, 1)).unwrap();
    sink.write(records(&["x"])).unwrap();
    let snap1 = snapshot(&mut sink, 1);
    sink.close().unwrap();
    let pending = pending_files(&snap1);
    fs::remove_file(&pending[0].in_progress).unwrap();
    let err = restored(dir.path(), &[snap1], 0, 1).err().expect("restore must fail").to_string();
    assert!(err.contains(&pending[0].in_progress), "{err}");
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn restore_refuses_a_truncated_pending_part_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileSinkConfig { max_part_size: 1, ..base_path_config(dir.path()) };
    let mut sink = FileSink::<Strings>::new(config, string_encoder());
    sink.open(&checkpointing_task(0, 1)).unwrap();
    sink.write(records(&["good", "cut"])).unwrap(); // two parts
    let snap1 = snapshot(&mut sink, 1);
    let pending = pending_files(&snap1);
    assert_eq!(pending.len(), 2);
    fs::write(&pending[1].in_progress, "c").unwrap();
    let err = restored(dir.path(), &[snap1], 0, 1).err().expect("restore must fail").to_string();
    assert!(err.contains(&pending[1].in_progress) && err.contains("has 1 bytes"), "{err}");
    // The intact part was not committed either: a failed restore leaves everything as it was.
    assert!(visible(dir.path()).is_empty());
}

#[test]
fn restore_at_another_parallelism_commits_every_part_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = Vec::new();
    let mut expected = Vec::new();
    for i in 0..2 {
        let config = FileSinkConfig { max_part_size: 1, ..base_path_config(dir.path()) };
        let mut sink = FileSink::<Strings>::new(config, string_encoder());
        sink.open(&checkpointing_task(i, 2)).unwrap();
        sink.write(records(&[&format!("{i}a"), &format!("{i}b"), &format!("{i}c")])).unwrap();
        old.push(snapshot(&mut sink, 1));
        expected.extend((0..3).map(|n| format!("part-{}-{i}-{n}", sink.uid())));
        sink.close().unwrap();
    }
    expected.sort();
    for index in 0..3 {
        restored(dir.path(), &old, index, 3).unwrap();
    }
    assert_eq!(names(dir.path()), expected);
    // Every subtask's share again (a second failure): still each part once.
    for index in 0..3 {
        restored(dir.path(), &old, index, 3).unwrap();
    }
    assert_eq!(names(dir.path()), expected);
}

#[test]
fn without_checkpointing_snapshots_are_empty_and_parts_commit_on_roll() {
    let dir = tempfile::tempdir().unwrap();
    let config = FileSinkConfig { max_part_size: 1, ..base_path_config(dir.path()) };
    let mut sink = FileSink::<Strings>::new(config, string_encoder());
    let uid = sink.uid().to_string();
    sink.open(&task(0, 1)).unwrap();
    sink.write(records(&["a", "b"])).unwrap();
    assert_eq!(visible(dir.path()), vec![format!("part-{uid}-0-0"), format!("part-{uid}-0-1")]);
    let snap = snapshot(&mut sink, 1);
    assert!(snap.is_empty());
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(visible(dir.path()).len(), 2);
    assert!(hidden(dir.path()).is_empty());
    restored(dir.path(), &[snap], 0, 1).unwrap();
}

#[test]
fn restore_refuses_state_the_sink_does_not_keep() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
    let state = RestoredState::<Strings> { broadcast: Some(vec![1]), ..RestoredState::default() };
    assert!(sink.restore_state(state).is_err());
    let corrupt = RestoredState::<Strings> { list: vec![vec![9, 9]], ..RestoredState::default() };
    let err = sink.restore_state(corrupt).unwrap_err().to_string();
    assert!(err.contains("unknown pending part format 9"), "{err}");
}

#[test]
fn sink_operator_forwards_checkpoint_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let make: MakeEncoder<Strings> = Arc::new(string_encoder);
    let f = factory::<Strings>(base_path_config(dir.path()), make);
    let t = checkpointing_task(0, 1);
    let mut op = f(&t).unwrap();
    let mut out = oxflow_core::operator::Output::default();
    op.restore_state(RestoredState::default()).unwrap();
    op.open(&t).unwrap();
    op.process(0, records(&["one"]), &mut out).unwrap();
    let mut snap = OperatorSnapshot::default();
    op.snapshot_state(1, &mut SnapshotWriter::new(&mut snap)).unwrap();
    assert_eq!(snap.list.len(), 1);
    op.process(0, records(&["two"]), &mut out).unwrap();
    op.finish(&mut out).unwrap();
    assert!(visible(dir.path()).is_empty());
    op.notify_checkpoint_complete(1).unwrap();
    assert_eq!(visible(dir.path()).len(), 1);
    let mut last = OperatorSnapshot::default();
    op.snapshot_state(2, &mut SnapshotWriter::new(&mut last)).unwrap();
    op.notify_checkpoint_complete(2).unwrap();
    op.close().unwrap();
    let files = visible(dir.path());
    assert_eq!(files.len(), 2);
    assert!(hidden(dir.path()).is_empty());
    let contents: Vec<String> = files.iter().map(|f| read(dir.path(), f)).collect();
    assert_eq!(contents, vec!["one\n".to_string(), "two\n".to_string()]);
}

#[test]
fn factory_makes_sink_operators() {
    let dir = tempfile::tempdir().unwrap();
    let make: MakeEncoder<Strings> = Arc::new(string_encoder);
    let f = factory::<Strings>(base_path_config(dir.path()), make);
    let mut ops: Vec<_> = (0..2).map(|i| f(&task(i, 2)).unwrap()).collect();
    let mut out = oxflow_core::operator::Output::default();
    for (i, op) in ops.iter_mut().enumerate() {
        op.open(&task(i, 2)).unwrap();
        op.process(0, records(&[&format!("from {i}")]), &mut out).unwrap();
        op.finish(&mut out).unwrap();
        op.close().unwrap();
    }
    assert!(out.is_empty());
    let files = names(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    let mut contents: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let subtask = f.rsplit('-').nth(1).unwrap().to_string();
            (subtask, fs::read_to_string(dir.path().join(f)).unwrap())
        })
        .collect();
    contents.sort();
    assert_eq!(contents, vec![("0".into(), "from 0\n".into()), ("1".into(), "from 1\n".into())]);
    assert!(files.iter().all(|f| f.starts_with("part-") && f.ends_with("-0")), "{files:?}");
}
