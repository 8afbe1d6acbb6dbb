//! Embedded RocksDB as oxflow's large-state backend (Flink's `EmbeddedRocksDBStateBackend`).
//!
//! Each keyed operator instance gets its own RocksDB instance in a directory of the job's
//! working directory (removed when the job ends); all instances of a factory share one block
//! cache. Writes skip the write-ahead log: the database is a working copy, durability comes
//! from checkpoints.
//!
//! Checkpoints are incremental by default (as Flink's `execution.checkpointing.incremental`):
//! a checkpoint flushes the memtable and takes a RocksDB checkpoint (hard links of the live SST
//! files plus the small MANIFEST/CURRENT/OPTIONS files), and the checkpoint stores only the SST
//! files no earlier retained checkpoint stored (see `oxflow_core::checkpoint::incremental`).
//! With `incremental: false`, and always for savepoints, every entry is written in oxflow's
//! backend-neutral format instead, which restores into either backend.

use std::path::Path;

use rocksdb::checkpoint::Checkpoint;

use oxflow_core::error::{message, BoxError};
use oxflow_core::state::{EngineFile, EngineSpec, KvEngine, KvEngineFactory, DEFAULT_CACHE_ENTRIES};
use rocksdb::{BlockBasedOptions, Cache, ColumnFamilyDescriptor, DBCompressionType, Options, WriteBatch, WriteOptions, DB, DEFAULT_COLUMN_FAMILY_NAME};

/// Settings of the RocksDB backend.
#[derive(Clone, Debug)]
pub struct RocksDbConfig {
    /// Bytes of the block cache all instances share (reads of data not in memtables).
    pub block_cache_bytes: usize,
    /// Bytes of one instance's memtable before it is flushed to a file.
    pub write_buffer_bytes: usize,
    /// Decoded entries each store keeps in front of RocksDB (see `KvEngineFactory`).
    pub cache_entries: usize,
    /// Checkpoints store RocksDB's files incrementally (the default) instead of every entry.
    pub incremental: bool,
}

impl Default for RocksDbConfig {
    fn default() -> Self {
        RocksDbConfig { block_cache_bytes: 64 << 20, write_buffer_bytes: 4 << 20, cache_entries: DEFAULT_CACHE_ENTRIES, incremental: true }
    }
}

/// Creates one RocksDB instance per keyed operator instance.
pub struct RocksDbFactory {
    config: RocksDbConfig,
    block_cache: Cache,
}

impl RocksDbFactory {
    pub fn new(config: RocksDbConfig) -> Self {
        let block_cache = Cache::new_lru_cache(config.block_cache_bytes);
        RocksDbFactory { config, block_cache }
    }

    fn options(&self) -> Options {
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&self.block_cache);
        // Most lookups are point gets, many of them for keys not there yet (a new key's first
        // element): bloom filters answer those without reading blocks.
        table.set_bloom_filter(10.0, false);
        // Index and filter blocks stay in the table readers' own memory, not in the block cache:
        // a filter block of an SST holding ~1M keys is larger than one of the cache's shards, so
        // cached it would be evicted and re-read on every get (8.9K updates/s at 1M keys).
        table.set_cache_index_and_filter_blocks(false);
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_block_based_table_factory(&table);
        opts.set_write_buffer_size(self.config.write_buffer_bytes);
        opts.set_max_write_buffer_number(2);
        opts.set_compression_type(DBCompressionType::Lz4);
        // Point lookups of keys that are not in the memtable (most, with many keys) skip its
        // skip list through a whole-key bloom filter.
        opts.set_memtable_whole_key_filtering(true);
        opts.set_memtable_prefix_bloom_ratio(0.1);
        // One writer per instance: no need for the concurrent (CAS-based) memtable insert.
        opts.set_allow_concurrent_memtable_write(false);
        // A working copy on local disk: keep RocksDB's own log small.
        opts.set_keep_log_file_num(1);
        opts.set_max_log_file_size(1 << 20);
        opts
    }
}

impl Default for RocksDbFactory {
    fn default() -> Self {
        RocksDbFactory::new(RocksDbConfig::default())
    }
}

impl KvEngineFactory for RocksDbFactory {
    fn name(&self) -> &str {
        "rocksdb"
    }

    fn create(&self, spec: &EngineSpec<'_>) -> Result<Box<dyn KvEngine>, BoxError> {
        Ok(Box::new(RocksDbEngine::open(spec.working_dir, &self.options())?))
    }

    fn cache_entries(&self) -> usize {
        self.config.cache_entries
    }

    fn incremental(&self) -> bool {
        self.config.incremental
    }
}

fn rocks(e: rocksdb::Error) -> BoxError {
    message(format!("RocksDB: {e}"))
}

/// One RocksDB instance.
pub struct RocksDbEngine {
    db: DB,
    write: WriteOptions,
}

impl RocksDbEngine {
    pub fn open(path: &Path, options: &Options) -> Result<Self, BoxError> {
        // Opened with its default column family named, so that batched lookups can address it.
        let default = ColumnFamilyDescriptor::new(DEFAULT_COLUMN_FAMILY_NAME, options.clone());
        let db = DB::open_cf_descriptors(options, path, [default]).map_err(rocks)?;
        let mut write = WriteOptions::default();
        write.disable_wal(true);
        Ok(RocksDbEngine { db, write })
    }
}

impl KvEngine for RocksDbEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
        Ok(self.db.get_pinned(key).map_err(rocks)?.map(|v| v.to_vec()))
    }

    fn multi_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, BoxError> {
        let cf = self.db.cf_handle(DEFAULT_COLUMN_FAMILY_NAME).ok_or_else(|| message("RocksDB: no default column family"))?;
        // The store hands the keys sorted.
        let sorted = keys.windows(2).all(|w| w[0] <= w[1]);
        self.db.batched_multi_get_cf(&cf, keys, sorted).into_iter().map(|v| v.map(|v| v.map(|v| v.to_vec())).map_err(rocks)).collect()
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BoxError> {
        self.db.put_opt(key, value, &self.write).map_err(rocks)
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), BoxError> {
        self.db.delete_opt(key, &self.write).map_err(rocks)
    }

    fn put_all(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<(), BoxError> {
        let mut batch = WriteBatch::default();
        for (k, v) in entries {
            batch.put(k, v);
        }
        self.db.write_opt(batch, &self.write).map_err(rocks)
    }

    fn scan_from(&self, start: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Result<bool, BoxError>) -> Result<(), BoxError> {
        // The raw iterator lends keys and values without copying them.
        let mut it = self.db.raw_iterator();
        it.seek(start);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !visit(k, v)? {
                break;
            }
            it.next();
        }
        it.status().map_err(rocks)
    }

    fn checkpoint_to(&mut self, dir: &Path) -> Result<Option<Vec<EngineFile>>, BoxError> {
        // Flushes the memtable first (the write-ahead log is off: only SST files hold data).
        Checkpoint::new(&self.db).and_then(|c| c.create_checkpoint(dir)).map_err(rocks)?;
        let listed = |e: std::io::Error| message(format!("cannot list the RocksDB checkpoint '{}': {e}", dir.display()));
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(listed)? {
            let entry = entry.map_err(listed)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let size = entry.metadata().map_err(listed)?.len();
            // SST files never change once written; the MANIFEST, CURRENT, OPTIONS and log
            // files belong to this checkpoint alone.
            files.push(EngineFile { shared: name.ends_with(".sst"), name, size });
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(files))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod incremental_tests;
