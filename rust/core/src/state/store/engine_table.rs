//! The engine mode of the keyed state store: entries live serialized in a [`KvEngine`], with a
//! bounded write-back cache of decoded entries in front so that the store can still hand out
//! `&mut Slot` (callers change slots in place, as with the in-memory table).
//!
//! Every cached entry counts as dirty (a `&mut Slot` may have changed it): the whole cache is
//! written back, then cleared, when it is full, on `flush`, and before anything scans the
//! engine (snapshots, iteration). Removals go to the engine at once.
//!
//! Two keys are the same key here when their encodings (`DataModel::encode_key`) are equal,
//! as in Flink's RocksDB backend; the in-memory table uses `DataModel::key_eq`. They agree for
//! keys whose equal values encode equally (ints, strings, tuples of them); keys such as `1` and
//! `1.0` in Python are one key in memory and two here.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::codec::{encode_slot, entry_key, parse_key, parse_slot};
use super::{live_in_snapshot, snapshot_entry, EntryMut, Slot, StateDecl};
use crate::checkpoint::engine_files::{active_checkpoint, contribute, DeclaredState, LocalEngineCheckpoint};
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::state::engine::{EngineDirs, KvEngine};
use crate::state::StateBackend;
use crate::state::{Namespace, StateId};

struct Cached<D: DataModel> {
    hash: u64,
    /// The entry's engine key.
    db_key: Box<[u8]>,
    key_hash: u64,
    slot: Slot<D>,
    touched: i64,
}

/// Where an entry is.
enum Found {
    Cached,
    /// Only in the engine, with its engine value.
    Stored(Vec<u8>),
    Missing,
}

pub(super) struct EngineTable<D: DataModel> {
    cache: HashTable<Cached<D>>,
    hasher: DefaultHashBuilder,
    cache_limit: usize,
    /// Entries in the engine and the cache together.
    len: usize,
    max_parallelism: usize,
    /// The engine key of the entry being looked up.
    scratch: Vec<u8>,
    /// Engine keys the last prefetch found in neither the cache nor the engine: their first
    /// access creates them without asking the engine again (a new key's first element).
    absent: hashbrown::HashSet<Box<[u8]>>,
    /// Where the incremental cleanup goes on: the engine key it checks next (empty: the first).
    cursor: Vec<u8>,
    /// Set for a store of a job's state backend: who it is in checkpoints (engine files).
    identity: Option<EngineIdentity>,
    // Declared before the directories: the engine closes before they are removed.
    engine: Box<dyn KvEngine>,
    _dirs: Option<EngineDirs>,
}

/// Which operator instance a store belongs to, and its job's backend (for engine checkpoints).
pub(super) struct EngineIdentity {
    pub(super) uid: String,
    pub(super) subtask: usize,
    pub(super) parallelism: usize,
    pub(super) engine_id: String,
    pub(super) backend: StateBackend,
}

impl<D: DataModel> EngineTable<D> {
    pub(super) fn new(engine: Box<dyn KvEngine>, dirs: Option<EngineDirs>, max_parallelism: usize, cache_limit: usize) -> Self {
        EngineTable {
            cache: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            cache_limit: cache_limit.max(1),
            len: 0,
            max_parallelism,
            scratch: Vec::new(),
            absent: hashbrown::HashSet::new(),
            cursor: Vec::new(),
            identity: None,
            engine,
            _dirs: dirs,
        }
    }

    pub(super) fn with_identity(mut self, identity: EngineIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Counts the engine's entries (after the engine was opened over restored files).
    pub(super) fn recount(&mut self) -> Result<(), BoxError> {
        let mut n = 0;
        self.engine.scan_prefix(&[], &mut |_, _| {
            n += 1;
            Ok(())
        })?;
        self.len = n;
        Ok(())
    }

    /// Adds entries of engine keys and values as they are (restored, already placed).
    pub(super) fn put_raw(&mut self, batch: &[(Vec<u8>, Vec<u8>)]) -> Result<(), BoxError> {
        self.absent.clear();
        self.engine.put_all(batch)?;
        self.len += batch.len();
        Ok(())
    }

    /// In an incremental checkpoint (inside `engine_files::collect`, with a backend that
    /// checkpoints incrementally), hands the engine's files to the checkpoint: `true` if done,
    /// `false` if the entries must go into the neutral snapshot. The cache is written back.
    fn checkpoint_files(&mut self, states: &[StateDecl]) -> Result<bool, BoxError> {
        let (Some(identity), Some(id)) = (&self.identity, active_checkpoint()) else { return Ok(false) };
        if !identity.backend.incremental() {
            return Ok(false);
        }
        let dir = identity.backend.scratch_dir(&format!("{}-chk-{id}", identity.engine_id))?;
        let Some(files) = self.engine.checkpoint_to(&dir)? else { return Ok(false) };
        contribute(LocalEngineCheckpoint {
            uid: identity.uid.clone(),
            subtask: identity.subtask,
            parallelism: identity.parallelism,
            engine_id: identity.engine_id.clone(),
            states: states.iter().map(|d| DeclaredState { name: d.name.clone(), value: d.value_table.is_some() }).collect(),
            files,
            dir,
            backend: identity.backend.clone(),
        });
        Ok(true)
    }

    /// Encodes the entry's engine key into `scratch` and finds the entry.
    fn find(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<(u64, Found), BoxError> {
        entry_key::<D>(&mut self.scratch, key, state, namespace, self.max_parallelism)?;
        let hash = self.hasher.hash_one(&self.scratch[..]);
        let scratch = &self.scratch;
        if self.cache.find(hash, |c| c.hash == hash && *c.db_key == **scratch).is_some() {
            return Ok((hash, Found::Cached));
        }
        if !self.absent.is_empty() && self.absent.contains(&scratch[..]) {
            return Ok((hash, Found::Missing));
        }
        Ok((hash, self.engine.get(scratch)?.map_or(Found::Missing, Found::Stored)))
    }

    /// Reads ahead the entries of `keys` (in `state`, under `namespace`) that are not cached,
    /// with one engine multi-get, and caches them decoded, so that the accesses of a record
    /// batch that follow find them in memory. Keys found absent are remembered until the next
    /// prefetch. At most half the cache's bound is read ahead at once; the cache is written
    /// back first if the batch's keys would not fit beside what it holds.
    pub(super) fn prefetch<'k>(
        &mut self,
        keys: impl IntoIterator<Item = &'k Keyed<D::Key>>,
        state: StateId,
        namespace: &Namespace,
    ) -> Result<(), BoxError>
    where
        D::Key: 'k,
    {
        self.absent.clear();
        let room = (self.cache_limit / 2).max(1);
        let mut wanted: Vec<(Vec<u8>, u64)> = Vec::new();
        // A key may repeat in a batch: each is read once (a hash collision only skips a key).
        let mut seen = hashbrown::HashSet::new();
        for key in keys {
            if wanted.len() == room {
                break;
            }
            entry_key::<D>(&mut self.scratch, key, state, namespace, self.max_parallelism)?;
            let hash = self.hasher.hash_one(&self.scratch[..]);
            let scratch = &self.scratch;
            if self.cache.find(hash, |c| c.hash == hash && *c.db_key == **scratch).is_none() && seen.insert(hash) {
                wanted.push((self.scratch.clone(), hash));
            }
        }
        // Sorted as the engine keeps them (a batched lookup's fastest input).
        wanted.sort_unstable();
        if wanted.is_empty() {
            return Ok(());
        }
        if self.cache.len() + wanted.len() >= self.cache_limit {
            self.flush()?;
        }
        let (db_keys, hashes): (Vec<Vec<u8>>, Vec<u64>) = wanted.into_iter().unzip();
        let values = self.engine.multi_get(&db_keys)?;
        for ((db_key, hash), stored) in db_keys.into_iter().zip(hashes).zip(values) {
            match stored {
                // The room was made above: caching does not write back.
                Some(bytes) => {
                    self.scratch = db_key;
                    self.load(hash, &bytes)?;
                }
                None => {
                    self.absent.insert(db_key.into_boxed_slice());
                }
            }
        }
        Ok(())
    }

    /// The cached entry `find` just located (or `insert` just added).
    fn cached(&mut self, hash: u64) -> &mut Cached<D> {
        let scratch = &self.scratch;
        self.cache.find_mut(hash, |c| c.hash == hash && *c.db_key == **scratch).expect("the entry was just cached")
    }

    /// Caches the entry under the engine key in `scratch`, writing the cache back first if full.
    fn insert(&mut self, hash: u64, key_hash: u64, slot: Slot<D>, touched: i64) -> Result<&mut Cached<D>, BoxError> {
        if self.cache.len() >= self.cache_limit {
            self.flush()?;
        }
        if !self.absent.is_empty() {
            self.absent.remove(&self.scratch[..]);
        }
        let entry = Cached { hash, db_key: self.scratch.as_slice().into(), key_hash, slot, touched };
        Ok(self.cache.insert_unique(hash, entry, |c| c.hash).into_mut())
    }

    /// Caches a stored entry, decoded.
    fn load(&mut self, hash: u64, stored: &[u8]) -> Result<&mut Cached<D>, BoxError> {
        let parsed = parse_slot(stored)?;
        let slot = parsed.decode::<D>()?;
        self.insert(hash, parsed.key_hash, slot, parsed.touched)
    }

    /// Drops the entry whose engine key is in `scratch` from the cache and the engine.
    fn forget(&mut self, hash: u64) -> Result<Option<Cached<D>>, BoxError> {
        let scratch = &self.scratch;
        let cached = self.cache.find_entry(hash, |c| c.hash == hash && *c.db_key == **scratch).ok().map(|e| e.remove().0);
        self.engine.delete(&self.scratch)?;
        self.len -= 1;
        Ok(cached)
    }

    pub(super) fn find_mut(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<Option<EntryMut<'_, D>>, BoxError> {
        let (hash, found) = self.find(key, state, namespace)?;
        let cached = match found {
            Found::Missing => return Ok(None),
            Found::Cached => self.cached(hash),
            Found::Stored(bytes) => self.load(hash, &bytes)?,
        };
        Ok(Some(EntryMut { slot: &mut cached.slot, touched: &mut cached.touched }))
    }

    pub(super) fn put(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, slot: Slot<D>, now: i64) -> Result<(), BoxError> {
        let (hash, found) = self.find(key, state, namespace)?;
        match found {
            Found::Cached => {
                let entry = self.cached(hash);
                entry.slot = slot;
                entry.touched = now;
            }
            // The stored value is replaced whole: no need to decode it.
            Found::Stored(_) => {
                self.insert(hash, key.hash, slot, now)?;
            }
            Found::Missing => {
                self.insert(hash, key.hash, slot, now)?;
                self.len += 1;
            }
        }
        Ok(())
    }

    pub(super) fn get_or_insert_with(
        &mut self,
        key: &Keyed<D::Key>,
        state: StateId,
        namespace: &Namespace,
        now: i64,
        make: impl FnOnce() -> Slot<D>,
    ) -> Result<(&mut Slot<D>, bool), BoxError> {
        let (hash, found) = self.find(key, state, namespace)?;
        Ok(match found {
            Found::Cached => (&mut self.cached(hash).slot, false),
            Found::Stored(bytes) => (&mut self.load(hash, &bytes)?.slot, false),
            Found::Missing => {
                self.len += 1;
                (&mut self.insert(hash, key.hash, make(), now)?.slot, true)
            }
        })
    }

    pub(super) fn remove(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<Option<Slot<D>>, BoxError> {
        let (hash, found) = self.find(key, state, namespace)?;
        match found {
            Found::Missing => Ok(None),
            Found::Cached => Ok(self.forget(hash)?.map(|c| c.slot)),
            Found::Stored(bytes) => {
                let slot = parse_slot(&bytes)?.decode::<D>()?;
                self.forget(hash)?;
                Ok(Some(slot))
            }
        }
    }

    /// The incremental cleanup: checks up to `budget` entries of states with time-to-live and
    /// background cleanup (looking at most `visits` entries), in engine key order from where the
    /// last run stopped, and removes those wholly expired. The cache's version of an entry is
    /// the one checked; entries only in the cache wait until written back.
    pub(super) fn cleanup_incrementally(&mut self, states: &[StateDecl], budget: usize, visits: usize, now: i64) -> Result<(), BoxError> {
        let ttl_of = |state: StateId| states.get(state.0 as usize).and_then(|d| d.ttl).filter(|t| t.incremental_cleanup > 0);
        let (mut due, mut visited, mut next) = (Vec::new(), 0, None);
        self.engine.scan_from(&self.cursor, &mut |k, v| {
            if due.len() == budget || visited == visits {
                next = Some(k.to_vec());
                return Ok(false);
            }
            visited += 1;
            if let Some(ttl) = ttl_of(parse_key(k)?.1) {
                due.push((k.to_vec(), v.to_vec(), ttl));
            }
            Ok(true)
        })?;
        self.cursor = next.unwrap_or_default();
        for (db_key, stored, ttl) in due {
            self.scratch = db_key;
            let hash = self.hasher.hash_one(&self.scratch[..]);
            let scratch = &self.scratch;
            let expired = match self.cache.find_mut(hash, |c| c.hash == hash && *c.db_key == **scratch) {
                Some(c) => c.slot.purge(c.touched, &ttl, now),
                None => {
                    let stored = parse_slot(&stored)?;
                    stored.decode::<D>()?.purge(stored.touched, &ttl, now)
                }
            };
            if expired {
                self.forget(hash)?;
            }
        }
        Ok(())
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Writes every cached entry back to the engine and empties the cache.
    pub(super) fn flush(&mut self) -> Result<(), BoxError> {
        if self.cache.is_empty() {
            return Ok(());
        }
        let mut batch = Vec::with_capacity(self.cache.len());
        for c in self.cache.iter() {
            let mut value = Vec::new();
            encode_slot::<D>(&mut value, c.key_hash, c.touched, &c.slot)?;
            batch.push((c.db_key.to_vec(), value));
        }
        self.engine.put_all(&batch)?;
        self.cache.clear();
        Ok(())
    }

    /// Every entry as snapshot entries (encoded key, [`EntrySnapshot`]) for a checkpoint at
    /// `now`, straight from the engine's bytes: nothing is decoded. In an incremental
    /// checkpoint, the engine's files instead (see `checkpoint_files`; `cleanup_full_snapshot`
    /// does not apply to those, as in Flink).
    pub(super) fn snapshot_into(
        &mut self,
        states: &[StateDecl],
        now: i64,
        emit: &mut dyn FnMut(Vec<u8>, Vec<u8>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        self.flush()?;
        if self.checkpoint_files(states)? {
            return Ok(());
        }
        self.engine.scan_prefix(&[], &mut |k, v| {
            let (key, state, namespace) = parse_key(k)?;
            let stored = parse_slot(v)?;
            let decl = states.get(state.0 as usize).ok_or_else(|| crate::error::message("state backend holds an undeclared state"))?;
            match snapshot_entry(&decl.name, namespace, stored.to_snapshot(), stored.touched, live_in_snapshot(decl.ttl, now))? {
                Some(body) => emit(key.to_vec(), body),
                None => Ok(()),
            }
        })
    }

    /// Calls `f` with every entry, decoded, in engine key order.
    pub(super) fn for_each(
        &mut self,
        f: &mut dyn FnMut(&D::Key, u64, StateId, &Namespace, &Slot<D>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        self.flush()?;
        self.engine.scan_prefix(&[], &mut |k, v| {
            let (key, state, namespace) = parse_key(k)?;
            let stored = parse_slot(v)?;
            let slot = stored.decode::<D>()?;
            f(&D::decode_key(key)?, stored.key_hash, state, &namespace, &slot)
        })
    }

    /// Takes every entry out, in engine key order.
    pub(super) fn drain(&mut self, f: &mut dyn FnMut(Keyed<D::Key>, StateId, Namespace, Slot<D>)) -> Result<(), BoxError> {
        self.flush()?;
        let mut taken = Vec::new();
        self.engine.scan_prefix(&[], &mut |k, v| {
            let (key, state, namespace) = parse_key(k)?;
            let stored = parse_slot(v)?;
            taken.push((k.to_vec(), Keyed { key: D::decode_key(key)?, hash: stored.key_hash }, state, namespace, stored.decode::<D>()?));
            Ok(())
        })?;
        for (db_key, key, state, namespace, slot) in taken {
            self.engine.delete(&db_key)?;
            self.len -= 1;
            f(key, state, namespace, slot);
        }
        Ok(())
    }
}
