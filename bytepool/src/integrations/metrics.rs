//! Publishes a pool's statistics through the [`metrics`](::metrics) facade (the `metrics`
//! feature), so any `metrics` recorder (Prometheus, StatsD, …) exports them.
//!
//! [`publish`] takes a snapshot ([`PoolStats::stats`]) and sets one metric per counter. Call it
//! from a timer, or just before each scrape; between calls the exported values stand still.
//! Counters are set to the snapshot's absolute values (`Counter::absolute`), so publishing
//! twice never double-counts. With no recorder installed, publishing does nothing.
//!
//! Every pool publishes under the same names, told apart by a `pool` label whose value is the
//! name given to [`publish`]; the per-tier metrics also carry a `tier` label, the tier's size
//! in bytes in decimal (`tier="1500"`). Names follow the Prometheus naming guide: a `bytepool_`
//! namespace, counters end in `_total`, gauges in their unit (`_buffers`, `_bytes`).
//!
//! | metric | kind | labels | value |
//! |---|---|---|---|
//! | `bytepool_gets_total` | counter | `pool`, `tier` | [`TierStats::gets`] |
//! | `bytepool_puts_total` | counter | `pool`, `tier` | [`TierStats::puts`] |
//! | `bytepool_hits_total` | counter | `pool`, `tier` | [`TierStats::hits`] |
//! | `bytepool_misses_total` | counter | `pool`, `tier` | [`TierStats::misses`] |
//! | `bytepool_idle_buffers` | gauge | `pool`, `tier` | [`TierStats::idle`] |
//! | `bytepool_idle_bytes` | gauge | `pool`, `tier` | [`TierStats::idle`] × [`TierStats::size`] |
//! | `bytepool_outstanding_buffers` | gauge | `pool` | [`Stats::outstanding`] |
//! | `bytepool_high_water_buffers` | gauge | `pool` | [`Stats::high_water`] |
//! | `bytepool_discarded_total` | counter | `pool` | [`Stats::discarded`] |
//! | `bytepool_oversize_total` | counter | `pool` | [`Stats::oversize`] |
//! | `bytepool_detached_total` | counter | `pool` | [`Stats::detached`] |
//!
//! So one query covers every pool, or every pool's tiers: in PromQL,
//! `sum by (pool) (bytepool_idle_bytes)` is each pool's [`Stats::idle_bytes`], and
//! `sum(rate(bytepool_misses_total[5m]))` the allocations per second of all pools' tiers. Give
//! each pool its own name: two pools published under one name overwrite each other's values.
//! Gauges are `f64`, exact up to 2⁵³.
//!
//! Earlier versions put the pool's name into the metric names instead (`publish(prefix, …)`
//! set `{prefix}_gets_total`, …), which kept PromQL from summing across pools, and named two
//! gauges without their unit. For `publish("relay", …)`, `relay_gets_total{tier}` (and the
//! other per-tier counters) is now `bytepool_gets_total{pool="relay",tier}`, `relay_idle{tier}`
//! is `bytepool_idle_buffers{pool="relay",tier}`, `relay_outstanding` is
//! `bytepool_outstanding_buffers{pool="relay"}`, `relay_high_water` is
//! `bytepool_high_water_buffers{pool="relay"}`, `relay_idle_bytes` (one per pool) is
//! `bytepool_idle_bytes{pool="relay",tier}` (one per tier: sum them for the pool's), and
//! `relay_discarded_total`, `relay_oversize_total`, `relay_detached_total` are
//! `bytepool_…_total{pool="relay"}`. [`describe`] takes no prefix any more.
//!
//! # Examples
//! ```
//! use bytepool::tiers::Stream;
//!
//! bytepool::metrics::describe(); // once: units and help texts
//! drop(Stream::pool().get(100));
//! // From a timer or the scrape handler:
//! bytepool::metrics::publish("stream", Stream::pool());
//! ```

use ::metrics::{counter, describe_counter, describe_gauge, gauge, SharedString, Unit};

use crate::{PoolStats, Stats, TierStats};

const GETS: &str = "bytepool_gets_total";
const PUTS: &str = "bytepool_puts_total";
const HITS: &str = "bytepool_hits_total";
const MISSES: &str = "bytepool_misses_total";
const IDLE_BUFFERS: &str = "bytepool_idle_buffers";
const IDLE_BYTES: &str = "bytepool_idle_bytes";
const OUTSTANDING: &str = "bytepool_outstanding_buffers";
const HIGH_WATER: &str = "bytepool_high_water_buffers";
const DISCARDED: &str = "bytepool_discarded_total";
const OVERSIZE: &str = "bytepool_oversize_total";
const DETACHED: &str = "bytepool_detached_total";

/// Registers the units and help texts of the metrics [`publish`] sets.
///
/// Optional, and enough once (recorders keep descriptions, and every pool shares the names);
/// exporters such as Prometheus print them as `# HELP` lines.
///
/// # Examples
/// ```
/// bytepool::metrics::describe();
/// ```
pub fn describe() {
    let counters = [
        (GETS, "Buffers handed out from the tier."),
        (PUTS, "Buffers given back to the tier, kept or not."),
        (HITS, "Gets served from an idle buffer."),
        (MISSES, "Gets that allocated a new buffer."),
        (
            DISCARDED,
            "Buffers the pool did not keep: oversize requests, returns to a full tier, \
             puts of a capacity that is no tier's.",
        ),
        (
            OVERSIZE,
            "Requests above the largest tier, allocated exactly and not pooled.",
        ),
        (
            DETACHED,
            "Buffers detached from the pool (into_vec, into_inner).",
        ),
    ];
    for (name, help) in counters {
        describe_counter!(name, Unit::Count, help);
    }
    let gauges = [
        (
            IDLE_BUFFERS,
            Unit::Count,
            "Idle buffers held by the tier, shared and in thread caches.",
        ),
        (
            IDLE_BYTES,
            Unit::Bytes,
            "Bytes held in the tier's idle buffers.",
        ),
        (
            OUTSTANDING,
            Unit::Count,
            "Buffers handed out and not yet back.",
        ),
        (HIGH_WATER, Unit::Count, "The peak of outstanding buffers."),
    ];
    for (name, unit, help) in gauges {
        describe_gauge!(name, unit, help);
    }
}

/// Takes a snapshot of `pool` and sets every metric with the label `pool="{name}"` to it: see
/// the [module docs](self) for the list.
///
/// # Examples
/// ```
/// use bytepool::{tiers::PowerOfTwo, BytePool};
///
/// let pool = BytePool::<PowerOfTwo>::new();
/// drop(pool.get(1000));
/// bytepool::metrics::publish("scratch", &pool);
/// ```
pub fn publish(name: &str, pool: &(impl PoolStats + ?Sized)) {
    publish_stats(name, &pool.stats());
}

/// Sets every metric with the label `pool="{name}"` to the snapshot `stats` (what
/// [`publish`] does after taking one).
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, PoolStats};
///
/// let stats = Stream::pool().stats();
/// bytepool::metrics::publish_stats("stream", &stats);
/// ```
pub fn publish_stats(name: &str, stats: &Stats) {
    let pool = SharedString::from(name.to_owned());
    for tier in &stats.tiers {
        let TierStats {
            size,
            gets,
            puts,
            hits,
            misses,
            idle,
        } = *tier;
        let labels = [
            ("pool", pool.clone()),
            ("tier", SharedString::from(size.to_string())),
        ];
        counter!(GETS, &labels).absolute(gets);
        counter!(PUTS, &labels).absolute(puts);
        counter!(HITS, &labels).absolute(hits);
        counter!(MISSES, &labels).absolute(misses);
        gauge!(IDLE_BUFFERS, &labels).set(idle as f64);
        gauge!(IDLE_BYTES, &labels).set(idle.saturating_mul(size) as f64);
    }
    let labels = [("pool", pool)];
    gauge!(OUTSTANDING, &labels).set(stats.outstanding as f64);
    gauge!(HIGH_WATER, &labels).set(stats.high_water as f64);
    counter!(DISCARDED, &labels).absolute(stats.discarded);
    counter!(OVERSIZE, &labels).absolute(stats.oversize);
    counter!(DETACHED, &labels).absolute(stats.detached);
}
