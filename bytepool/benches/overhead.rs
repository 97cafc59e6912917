//! What the pool's own machinery costs, in two groups:
//!
//! - `overhead_stats`: the 128 B round trip on two global pools with identical tier lists, one
//!   with statistics (`stats_on`) and one with them compiled out by `#[tiers(stats = false)]`
//!   (`stats_off`, the baseline).
//! - `overhead_build`: building an instance pool and dropping it unused (`BytePool::new()` of
//!   `PowerOfTwo`, and a typed `Pool::<Vec<u8>>::new()`), and the same after one round trip,
//!   which makes the calling thread's slot and so measures its cost too.
//! - `overhead_lookup`: the generated `class_of` against `SIZES.partition_point(|&s| s < len)`,
//!   a binary search over the same table read from memory, on a fixed array of pseudo-random
//!   lengths (xorshift, seeded; log-uniform so that every tier is hit), for `PowerOfTwo` (bit
//!   arithmetic) and an irregular 8-tier list (a comparison chain). The time is per array of
//!   `LOOKUPS` lengths (the report divides by the elements).

mod common;

use std::hint::black_box;
use std::time::Duration;

use bytepool::tiers::PowerOfTwo;
use bytepool::{BytePool, Pool, Tiers};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

bytepool::define_tiers! {
    /// `PowerOfTwo`'s first six tiers, with statistics.
    StatsOn = [128, 256, 512, 1KiB, 2KiB, 4KiB];
    /// The same tiers, statistics compiled out.
    #[tiers(stats = false)]
    StatsOff = [128, 256, 512, 1KiB, 2KiB, 4KiB];
    /// Eight tiers that are not powers of two (MTU-like and page-like sizes).
    Irregular8 = [64, 256, 576, 1500, 4KiB, 9000, 16KiB, 64KiB];
}

/// Lengths per measured iteration of the lookup benchmarks.
const LOOKUPS: usize = 1024;

fn bench_stats(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead_stats");
    group.bench_function(BenchmarkId::new("stats_on", 128), |b| {
        let pool = StatsOn::pool();
        b.iter(|| {
            let mut buf = pool.get(black_box(128));
            buf[0] = 1;
            black_box(&buf);
        });
    });
    group.bench_function(BenchmarkId::new("stats_off", 128), |b| {
        let pool = StatsOff::pool();
        b.iter(|| {
            let mut buf = pool.get(black_box(128));
            buf[0] = 1;
            black_box(&buf);
        });
    });
    group.finish();
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead_build");
    group.bench_function(BenchmarkId::new("byte_pool", "empty"), |b| {
        b.iter(|| drop(black_box(BytePool::<PowerOfTwo>::new())));
    });
    group.bench_function(BenchmarkId::new("byte_pool", "one_get"), |b| {
        b.iter(|| {
            let pool = black_box(BytePool::<PowerOfTwo>::new());
            drop(pool.get(black_box(128)));
        });
    });
    group.bench_function(BenchmarkId::new("typed_pool", "empty"), |b| {
        b.iter(|| drop(black_box(Pool::<Vec<u8>>::new())));
    });
    group.bench_function(BenchmarkId::new("typed_pool", "one_get"), |b| {
        b.iter(|| {
            let pool = black_box(Pool::<Vec<u8>>::new());
            drop(pool.get());
        });
    });
    group.finish();
}

/// `LOOKUPS` lengths in `1..=max`, log-uniform, from a seeded xorshift64.
fn lengths(max: usize) -> Vec<usize> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let bits = usize::BITS - max.leading_zeros();
    (0..LOOKUPS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Truncation is fine: any bits of a pseudo-random word will do.
            let word = state as usize;
            let width = (word % bits as usize) as u32 + 1;
            let len = (word >> 8) & ((1usize << width) - 1);
            len.clamp(1, max)
        })
        .collect()
}

/// The generated lookup.
#[inline(always)]
fn generated<T: Tiers>(lengths: &[usize]) -> usize {
    lengths.iter().fold(0, |acc, &len| {
        acc.wrapping_add(T::class_of(black_box(len)).unwrap_or(usize::MAX))
    })
}

/// The same answers by binary search; `black_box` keeps the table a slice in memory rather
/// than constants the compiler could unroll.
#[inline(always)]
fn binary_search<T: Tiers>(lengths: &[usize]) -> usize {
    let table: &[usize] = black_box(T::SIZES);
    lengths.iter().fold(0, |acc, &len| {
        let tier = table.partition_point(|&s| s < black_box(len));
        acc.wrapping_add(if tier < table.len() { tier } else { usize::MAX })
    })
}

fn lookup_pair<T: Tiers>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    let lengths = lengths(*T::SIZES.last().expect("tiers are never empty"));
    assert_eq!(generated::<T>(&lengths), binary_search::<T>(&lengths));
    group.bench_function(BenchmarkId::new("class_of", name), |b| {
        b.iter(|| generated::<T>(black_box(&lengths)));
    });
    group.bench_function(BenchmarkId::new("binary_search", name), |b| {
        b.iter(|| binary_search::<T>(black_box(&lengths)));
    });
}

fn bench_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead_lookup");
    group.throughput(Throughput::Elements(LOOKUPS as u64));
    lookup_pair::<PowerOfTwo>(&mut group, "PowerOfTwo");
    lookup_pair::<Irregular8>(&mut group, "Irregular8");
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config(Duration::from_secs(2), 40);
    targets = bench_stats, bench_build, bench_lookup
}
criterion_main!(benches);
