//! Key groups: keys hash into a fixed number of groups (the max parallelism), and each parallel
//! instance of a keyed operator owns a contiguous range of them. State kept per key group can be
//! redistributed when a job restores at another parallelism. The formulas are Flink's.

use std::ops::Range;

/// Flink's lower bound for the default max parallelism.
pub const DEFAULT_MAX_PARALLELISM: usize = 128;

/// The default max parallelism for a job whose largest operator parallelism is `parallelism`:
/// 1.5 x parallelism rounded up to a power of two, at least 128, at most 32768 (as Flink).
pub fn default_max_parallelism(parallelism: usize) -> usize {
    let wanted = (parallelism + parallelism / 2).next_power_of_two();
    wanted.clamp(DEFAULT_MAX_PARALLELISM, 1 << 15)
}

/// Scrambles a key hash so that weak hashes (Python hashes small ints to themselves) still spread
/// evenly over key groups. This is murmur3's 64-bit finalizer.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The key group of a key with hash `hash`.
pub fn key_group_of(hash: u64, max_parallelism: usize) -> usize {
    (mix(hash) % max_parallelism as u64) as usize
}

/// The parallel instance that owns `key_group`.
pub fn operator_index_of(key_group: usize, parallelism: usize, max_parallelism: usize) -> usize {
    key_group * parallelism / max_parallelism
}

/// The key groups owned by parallel instance `index` (the inverse of [`operator_index_of`]).
pub fn key_group_range(index: usize, parallelism: usize, max_parallelism: usize) -> Range<usize> {
    let start = (index * max_parallelism).div_ceil(parallelism);
    let end = ((index + 1) * max_parallelism).div_ceil(parallelism);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_partition_all_groups_and_match_assignment() {
        for max_p in [128usize, 256] {
            for p in 1..=17 {
                let mut next = 0;
                for i in 0..p {
                    let r = key_group_range(i, p, max_p);
                    assert_eq!(r.start, next, "ranges must be contiguous");
                    for kg in r.clone() {
                        assert_eq!(operator_index_of(kg, p, max_p), i);
                    }
                    next = r.end;
                }
                assert_eq!(next, max_p);
            }
        }
    }

    #[test]
    fn small_int_hashes_spread_over_instances() {
        let mut counts = [0usize; 4];
        for h in 0..10_000u64 {
            counts[operator_index_of(key_group_of(h, 128), 4, 128)] += 1;
        }
        for c in counts {
            assert!(c > 2000 && c < 3000, "uneven spread: {counts:?}");
        }
    }

    #[test]
    fn default_max_parallelism_follows_flink() {
        assert_eq!(default_max_parallelism(1), 128);
        assert_eq!(default_max_parallelism(100), 256);
        assert_eq!(default_max_parallelism(1000), 2048);
    }
}
