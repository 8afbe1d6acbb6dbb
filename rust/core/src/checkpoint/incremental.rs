//! Incremental checkpoints as pure decisions (Flink's shared state registry): which engine
//! files a completed checkpoint must store and which it finds stored already, and which stored
//! files may go once checkpoints are no longer retained.
//!
//! Files that never change once written (RocksDB's SST files) are stored once, in
//! `<dir>/<job-id>/shared/`, under a name unique to the engine that wrote them, and every later
//! checkpoint still needing one only references it. Files are stored only when a checkpoint
//! completes, so an aborted or failed checkpoint never added or removed anything here: what an
//! earlier completed checkpoint references stays.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::CheckpointId;
use crate::state::EngineFile;

/// Where a file of an engine checkpoint goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Already stored under this shared name by a retained checkpoint: reference it.
    Reuse(String),
    /// New: store it under this shared name.
    Upload(String),
    /// A file that changes (RocksDB's MANIFEST, CURRENT, OPTIONS): stored with the checkpoint.
    Private,
}

/// The shared files of one job's retained checkpoints.
#[derive(Default, Debug)]
pub struct SharedRegistry {
    /// (engine id, file name) -> shared name, for every stored shared file.
    stored: HashMap<(String, String), String>,
    /// The shared names each retained checkpoint references.
    references: BTreeMap<CheckpointId, HashSet<String>>,
}

/// The shared name of file `name` of engine `engine_id`.
pub fn shared_name(engine_id: &str, name: &str) -> String {
    format!("{engine_id}-{name}")
}

impl SharedRegistry {
    /// Where `file` of engine `engine_id` goes in the checkpoint being completed.
    pub fn place(&self, engine_id: &str, file: &EngineFile) -> Placement {
        if !file.shared {
            return Placement::Private;
        }
        match self.stored.get(&(engine_id.to_string(), file.name.clone())) {
            Some(name) => Placement::Reuse(name.clone()),
            None => Placement::Upload(shared_name(engine_id, &file.name)),
        }
    }

    /// Checkpoint `id` completed, referencing `files` ((engine id, file name) -> shared name).
    pub fn completed(&mut self, id: CheckpointId, files: Vec<((String, String), String)>) {
        let mut names = HashSet::new();
        for (file, name) in files {
            names.insert(name.clone());
            self.stored.insert(file, name);
        }
        self.references.insert(id, names);
    }

    /// Checkpoint `id` is no longer retained: the shared names nothing retained references any
    /// more, to delete (forgotten here, so a later checkpoint stores such a file again).
    pub fn discard(&mut self, id: CheckpointId) -> Vec<String> {
        let Some(names) = self.references.remove(&id) else { return Vec::new() };
        let still: HashSet<&String> = self.references.values().flatten().collect();
        let mut gone: Vec<String> = names.into_iter().filter(|n| !still.contains(n)).collect();
        gone.sort();
        let gone_set: HashSet<&String> = gone.iter().collect();
        self.stored.retain(|_, name| !gone_set.contains(name));
        gone
    }

    /// The shared names checkpoint `id` references (empty if it is not retained).
    pub fn referenced_by(&self, id: CheckpointId) -> Vec<String> {
        let mut names: Vec<String> = self.references.get(&id).into_iter().flatten().cloned().collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sst(name: &str) -> EngineFile {
        EngineFile { name: name.into(), size: 10, shared: true }
    }

    /// Completes checkpoint `id` of engine `e` with `files`, as the coordinator does: returns
    /// the names it uploaded.
    fn complete(r: &mut SharedRegistry, id: CheckpointId, e: &str, files: &[&str]) -> Vec<String> {
        let mut uploaded = Vec::new();
        let mut refs = Vec::new();
        for f in files {
            let name = match r.place(e, &sst(f)) {
                Placement::Upload(n) => {
                    uploaded.push(n.clone());
                    n
                }
                Placement::Reuse(n) => n,
                Placement::Private => unreachable!(),
            };
            refs.push(((e.to_string(), f.to_string()), name));
        }
        r.completed(id, refs);
        uploaded
    }

    #[test]
    fn only_new_files_are_stored_and_private_files_go_with_each_checkpoint() {
        let mut r = SharedRegistry::default();
        assert_eq!(complete(&mut r, 1, "a", &["1.sst", "2.sst"]), vec!["a-1.sst", "a-2.sst"]);
        assert_eq!(complete(&mut r, 2, "a", &["1.sst", "2.sst", "3.sst"]), vec!["a-3.sst"]);
        // Another engine's file of the same name is another file.
        assert_eq!(r.place("b", &sst("1.sst")), Placement::Upload("b-1.sst".into()));
        assert_eq!(r.place("a", &EngineFile { name: "MANIFEST-000005".into(), size: 1, shared: false }), Placement::Private);
    }

    #[test]
    fn subsumed_checkpoints_free_only_files_no_retained_checkpoint_references() {
        let mut r = SharedRegistry::default();
        complete(&mut r, 1, "a", &["1.sst", "2.sst"]);
        // Compaction merged 1 and 2 into 3; 2 is still referenced by checkpoint 2.
        complete(&mut r, 2, "a", &["2.sst", "4.sst"]);
        assert_eq!(r.discard(1), vec!["a-1.sst"]);
        complete(&mut r, 3, "a", &["5.sst"]);
        assert_eq!(r.discard(2), vec!["a-2.sst", "a-4.sst"]);
        assert_eq!(r.referenced_by(3), vec!["a-5.sst"]);
        // Discarding twice, or a checkpoint never completed (aborted), frees nothing.
        assert!(r.discard(2).is_empty());
        assert!(r.discard(9).is_empty());
        // A freed file is stored again if an engine still has it.
        assert_eq!(r.place("a", &sst("1.sst")), Placement::Upload("a-1.sst".into()));
        assert_eq!(r.place("a", &sst("5.sst")), Placement::Reuse("a-5.sst".into()));
    }

    #[test]
    fn with_several_retained_checkpoints_a_file_goes_with_the_last_one_referencing_it() {
        let mut r = SharedRegistry::default();
        complete(&mut r, 1, "a", &["1.sst"]);
        complete(&mut r, 2, "a", &["1.sst", "2.sst"]);
        complete(&mut r, 3, "a", &["2.sst", "3.sst"]);
        // Retaining 2: completing 3 subsumes 1, whose only file 2 still needs.
        assert!(r.discard(1).is_empty());
        assert_eq!(r.discard(2), vec!["a-1.sst"]);
        assert_eq!(r.discard(3), vec!["a-2.sst", "a-3.sst"]);
    }
}
