/// What a piece of keyed state belongs to inside its key: nothing in particular (plain keyed
/// state), or a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Namespace {
    Void,
    /// A time window `[start, end)`.
    Window { start: i64, end: i64 },
    /// The single window of `GlobalWindows`.
    Global,
    /// A count window by its id.
    Count(i64),
}

impl Namespace {
    /// A hash mixed into state and timer lookups.
    pub fn hash(&self) -> u64 {
        let (tag, a, b) = match *self {
            Namespace::Void => (0u64, 0i64, 0i64),
            Namespace::Window { start, end } => (1, start, end),
            Namespace::Global => (2, 0, 0),
            Namespace::Count(id) => (3, id, 0),
        };
        let mut h = tag.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= (a as u64).wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(17);
        h ^= (b as u64).wrapping_mul(0xc4ce_b9fe_1a85_ec53).rotate_left(41);
        h
    }
}
