//! The `serde` feature: [`Expvar`], the JSON shape the Go original publishes through
//! `expvar`.
//!
//! `Serialize` and `Deserialize` for [`Stats`] and [`TierStats`] are derived where the types
//! are declared (`stats/mod.rs`), so the two cannot disagree on the shape and a new field is
//! in both at once.

use ::serde::ser::{Serialize, SerializeMap, Serializer};

use crate::{Stats, TierStats};

/// A [`Stats`] snapshot in the JSON shape of the Go original's `GetPoolStats`, which its
/// `Expvar` publishes: made by [`Stats::expvar`].
///
/// ```json
/// {"discarded":1,"pools":{"1024":{"get":2,"put":2},"4096":{"get":0,"put":0}},
///  "recent_lengths":[100,900,5000],"total_get":2,"total_put":2}
/// ```
///
/// - `pools`: one entry per tier, keyed by its size, with its `get` and `put` counts
///   ([`TierStats::gets`], [`TierStats::puts`]);
/// - `discarded`: [`Stats::discarded`] (requests above the largest tier, as in Go, plus the
///   returns this pool did not keep);
/// - `total_get` / `total_put`: the sums of the tiers' `get` / `put`, which is what Go counts
///   (only buffers that came from or went back to a tier). [`Stats::total_gets`] also counts
///   requests above the largest tier;
/// - `recent_lengths`: [`Stats::recent_lengths`], oldest first.
///
/// Keys are written in the order Go's `encoding/json` sorts them (as strings, so `"1024"`
/// comes before `"128"`), so the output is byte for byte what the Go original publishes for
/// the same counters.
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, BytePool, PoolStats};
///
/// fn is_serialize(_: &impl serde::Serialize) {}
/// let pool = BytePool::<Stream>::new();
/// drop(pool.get(100));
/// let stats = pool.stats();
/// is_serialize(&stats.expvar()); // `serde_json::to_string(&stats.expvar())`, for example
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Expvar<'a> {
    stats: &'a Stats,
}

impl Stats {
    /// This snapshot in the JSON shape the Go original publishes through `expvar`: see
    /// [`Expvar`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    ///
    /// fn is_serialize(_: &impl serde::Serialize) {}
    /// let stats = BytePool::<Stream>::new().stats();
    /// is_serialize(&stats.expvar());
    /// ```
    #[must_use]
    pub fn expvar(&self) -> Expvar<'_> {
        Expvar { stats: self }
    }
}

impl Serialize for Expvar<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stats = self.stats;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("discarded", &stats.discarded)?;
        map.serialize_entry("pools", &Pools(&stats.tiers))?;
        map.serialize_entry("recent_lengths", &stats.recent_lengths)?;
        map.serialize_entry(
            "total_get",
            &stats.tiers.iter().map(|t| t.gets).sum::<u64>(),
        )?;
        map.serialize_entry(
            "total_put",
            &stats.tiers.iter().map(|t| t.puts).sum::<u64>(),
        )?;
        map.end()
    }
}

/// The `pools` object: tier size (as a string, in string order) to its counts.
struct Pools<'a>(&'a [TierStats]);

impl Serialize for Pools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tiers: Vec<(String, &TierStats)> =
            self.0.iter().map(|t| (t.size.to_string(), t)).collect();
        tiers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = serializer.serialize_map(Some(tiers.len()))?;
        for (size, tier) in &tiers {
            map.serialize_entry(size, &GetPut(tier))?;
        }
        map.end()
    }
}

/// One tier's `{"get": n, "put": n}`.
struct GetPut<'a>(&'a TierStats);

impl Serialize for GetPut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("get", &self.0.gets)?;
        map.serialize_entry("put", &self.0.puts)?;
        map.end()
    }
}
