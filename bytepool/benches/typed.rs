//! Typed pools, in two groups:
//!
//! - `typed`: take a `LogEntry`, fill it, give it back.
//! - `typed_vec`: take a `Vec<u8>` of capacity 1024, write 64 bytes, give it back: an instance
//!   `Pool::with(|| Vec::with_capacity(1024), Vec::clear)` against lockfree-object-pool's
//!   `LinearObjectPool` built the same way, and `Vec::with_capacity` as the baseline.
//!
//! In `typed`:
//! `bytepool_take` is `LogEntry::take()` from the derived process-wide pool, `bytepool_instance`
//! an instance `bytepool::Pool<LogEntry>`, `Box::new` the baseline (a fresh default entry every
//! time), and the peers hold the same struct. Every pool resets the entry with the derived
//! `Reset` (object-pool has no reset hook, so the benchmark calls it before the drop), so every
//! variant hands out a clean entry. Two inputs: `timestamp` writes one field, `message` also
//! appends 64 bytes to `message` (which the pools keep the capacity of and `Box::new`
//! allocates again).

mod common;

use std::hint::black_box;
use std::time::Duration;

use bytepool::{Pool, PoolBox, Pooled, Reset};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lockfree_object_pool::LinearObjectPool;

#[derive(Pooled, Default)]
struct LogEntry {
    timestamp: i64,
    message: Vec<u8>,
    fields: Vec<(String, String)>,
}

const MESSAGE: &[u8; 64] = b"GET /index.html 200 1532 bytes in 0.8 ms from 192.0.2.7 (cached)";

/// What each variant does with the entry it holds.
#[derive(Clone, Copy)]
enum Fill {
    Timestamp,
    Message,
}

impl Fill {
    const ALL: [Fill; 2] = [Fill::Timestamp, Fill::Message];

    fn name(self) -> &'static str {
        match self {
            Fill::Timestamp => "timestamp",
            Fill::Message => "message",
        }
    }

    #[inline(always)]
    fn apply(self, entry: &mut LogEntry) {
        entry.timestamp = black_box(1_700_000_000);
        if let Fill::Message = self {
            entry.message.extend_from_slice(black_box(MESSAGE));
        }
        black_box(&*entry);
    }
}

fn bench_typed(c: &mut Criterion) {
    let mut group = c.benchmark_group("typed");
    let instance = Pool::<LogEntry>::new();
    let lockfree = LinearObjectPool::new(LogEntry::default, LogEntry::reset);
    let object_pool = object_pool::Pool::new(4, LogEntry::default);
    for fill in Fill::ALL {
        group.bench_function(BenchmarkId::new("bytepool_take", fill.name()), |b| {
            b.iter(|| {
                let mut entry: PoolBox<LogEntry> = LogEntry::take();
                fill.apply(&mut entry);
                drop(entry);
            });
        });
        group.bench_function(BenchmarkId::new("bytepool_instance", fill.name()), |b| {
            b.iter(|| {
                let mut entry = instance.get();
                fill.apply(&mut entry);
                drop(entry);
            });
        });
        group.bench_function(BenchmarkId::new("Box::new", fill.name()), |b| {
            b.iter(|| {
                let mut entry = Box::new(LogEntry::default());
                fill.apply(&mut entry);
                drop(entry);
            });
        });
        group.bench_function(BenchmarkId::new("lockfree-object-pool", fill.name()), |b| {
            b.iter(|| {
                let mut entry = lockfree.pull();
                fill.apply(&mut entry);
                drop(entry);
            });
        });
        group.bench_function(BenchmarkId::new("object-pool", fill.name()), |b| {
            b.iter(|| {
                let mut entry = object_pool.pull(LogEntry::default);
                fill.apply(&mut entry);
                entry.reset();
                drop(entry);
            });
        });
    }
    group.finish();
}

/// The capacity of the vectors of `typed_vec`.
const VEC_CAPACITY: usize = 1024;

fn bench_typed_vec(c: &mut Criterion) {
    let mut group = c.benchmark_group("typed_vec");
    let instance = Pool::with(|| Vec::<u8>::with_capacity(VEC_CAPACITY), Vec::clear);
    let lockfree = LinearObjectPool::new(
        || Vec::<u8>::with_capacity(VEC_CAPACITY),
        |v: &mut Vec<u8>| v.clear(),
    );
    let n = VEC_CAPACITY;
    group.bench_function(BenchmarkId::new("bytepool_instance", n), |b| {
        b.iter(|| {
            let mut v = instance.get();
            v.extend_from_slice(black_box(MESSAGE));
            black_box(&*v);
        });
    });
    group.bench_function(BenchmarkId::new("lockfree-object-pool", n), |b| {
        b.iter(|| {
            let mut v = lockfree.pull();
            v.extend_from_slice(black_box(MESSAGE));
            black_box(&*v);
        });
    });
    group.bench_function(BenchmarkId::new("Vec::with_capacity", n), |b| {
        b.iter(|| {
            let mut v = Vec::<u8>::with_capacity(VEC_CAPACITY);
            v.extend_from_slice(black_box(MESSAGE));
            black_box(&v);
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config(Duration::from_secs(2), 40);
    targets = bench_typed, bench_typed_vec
}
criterion_main!(benches);
