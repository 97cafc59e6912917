//! Publishes a pool's statistics through the [`metrics`](::metrics) facade (the `metrics`
//! feature), so any `metrics` recorder (Prometheus, StatsD, …) exports them.
//!
//! [`publish`] takes a snapshot ([`PoolStats::stats`]) and sets one metric per counter. Call it
//! periodically, or just before each scrape; between calls the exported values stand still.
//! Counters are set to the snapshot's absolute values (`Counter::absolute`), so publishing
//! twice never double-counts. With no recorder installed, publishing does nothing.
//!
//! | metric (after `{prefix}`) | kind | labels | value |
//! |---|---|---|---|
//! | `_gets_total` | counter | `tier` | [`TierStats::gets`](crate::TierStats::gets) |
//! | `_puts_total` | counter | `tier` | [`TierStats::puts`](crate::TierStats::puts) |
//! | `_hits_total` | counter | `tier` | [`TierStats::hits`](crate::TierStats::hits) |
//! | `_misses_total` | counter | `tier` | [`TierStats::misses`](crate::TierStats::misses) |
//! | `_idle` | gauge | `tier` | [`TierStats::idle`](crate::TierStats::idle) (buffers) |
//! | `_outstanding` | gauge | | [`Stats::outstanding`] |
//! | `_high_water` | gauge | | [`Stats::high_water`] |
//! | `_idle_bytes` | gauge | | [`Stats::idle_bytes`] |
//! | `_discarded_total` | counter | | [`Stats::discarded`] |
//! | `_oversize_total` | counter | | [`Stats::oversize`] |
//! | `_detached_total` | counter | | [`Stats::detached`] |
//!
//! The `tier` label is the tier's size in bytes, in decimal (`tier="1500"`). Gauges are `f64`,
//! exact up to 2⁵³. The `{prefix}` is used as given and separated by `_`: choose one that is a
//! valid metric name for your exporter (`bytepool`, `myapp_packet_pool`).
//!
//! # Examples
//! ```
//! use bytepool::tiers::Stream;
//!
//! bytepool::metrics::describe("stream_pool"); // once: units and help texts
//! drop(Stream::pool().get(100));
//! // From a timer or the scrape handler:
//! bytepool::metrics::publish("stream_pool", Stream::pool());
//! ```

use ::metrics::{counter, describe_counter, describe_gauge, gauge, Unit};

use crate::{PoolStats, Stats};

/// Registers the units and help texts of the metrics [`publish`] sets under `prefix`.
///
/// Optional, and enough once per prefix (recorders keep descriptions); exporters such as
/// Prometheus print them as `# HELP` lines.
///
/// # Examples
/// ```
/// bytepool::metrics::describe("bytepool");
/// ```
pub fn describe(prefix: &str) {
    let per_tier = [
        ("gets_total", "Buffers handed out from the tier."),
        ("puts_total", "Buffers given back to the tier, kept or not."),
        ("hits_total", "Gets served from an idle buffer."),
        ("misses_total", "Gets that allocated a new buffer."),
    ];
    for (name, help) in per_tier {
        describe_counter!(format!("{prefix}_{name}"), Unit::Count, help);
    }
    describe_gauge!(
        format!("{prefix}_idle"),
        Unit::Count,
        "Idle buffers held by the tier, shared and in thread caches."
    );
    describe_gauge!(
        format!("{prefix}_outstanding"),
        Unit::Count,
        "Buffers handed out and not yet back."
    );
    describe_gauge!(
        format!("{prefix}_high_water"),
        Unit::Count,
        "The peak of outstanding buffers."
    );
    describe_gauge!(
        format!("{prefix}_idle_bytes"),
        Unit::Bytes,
        "Bytes held in idle buffers."
    );
    describe_counter!(
        format!("{prefix}_discarded_total"),
        Unit::Count,
        "Buffers the pool did not keep: oversize requests, returns to a full tier, foreign puts."
    );
    describe_counter!(
        format!("{prefix}_oversize_total"),
        Unit::Count,
        "Requests above the largest tier, allocated exactly and not pooled."
    );
    describe_counter!(
        format!("{prefix}_detached_total"),
        Unit::Count,
        "Buffers detached from the pool (into_vec, into_inner)."
    );
}

/// Takes a snapshot of `pool` and sets every metric under `prefix` to it: see the
/// [module docs](self) for the list.
///
/// # Examples
/// ```
/// use bytepool::{tiers::PowerOfTwo, BytePool};
///
/// let pool = BytePool::<PowerOfTwo>::new();
/// drop(pool.get(1000));
/// bytepool::metrics::publish("bytepool", &pool);
/// ```
pub fn publish(prefix: &str, pool: &(impl PoolStats + ?Sized)) {
    publish_stats(prefix, &pool.stats());
}

/// Sets every metric under `prefix` to the snapshot `stats` (what [`publish`] does after
/// taking one).
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, PoolStats};
///
/// let stats = Stream::pool().stats();
/// bytepool::metrics::publish_stats("stream_pool", &stats);
/// ```
pub fn publish_stats(prefix: &str, stats: &Stats) {
    let [gets, puts, hits, misses, idle] = [
        "gets_total",
        "puts_total",
        "hits_total",
        "misses_total",
        "idle",
    ]
    .map(|name| format!("{prefix}_{name}"));
    for tier in &stats.tiers {
        let size = tier.size.to_string();
        counter!(gets.clone(), "tier" => size.clone()).absolute(tier.gets);
        counter!(puts.clone(), "tier" => size.clone()).absolute(tier.puts);
        counter!(hits.clone(), "tier" => size.clone()).absolute(tier.hits);
        counter!(misses.clone(), "tier" => size.clone()).absolute(tier.misses);
        gauge!(idle.clone(), "tier" => size).set(tier.idle as f64);
    }
    gauge!(format!("{prefix}_outstanding")).set(stats.outstanding as f64);
    gauge!(format!("{prefix}_high_water")).set(stats.high_water as f64);
    gauge!(format!("{prefix}_idle_bytes")).set(stats.idle_bytes as f64);
    counter!(format!("{prefix}_discarded_total")).absolute(stats.discarded);
    counter!(format!("{prefix}_oversize_total")).absolute(stats.oversize);
    counter!(format!("{prefix}_detached_total")).absolute(stats.detached);
}
