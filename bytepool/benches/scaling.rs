//! The 128 B round trip on the global pool with 1, 2, 4 and 8 threads (`scaling` group).
//!
//! Every thread does the same number of round trips, started together by a barrier; the time
//! is the calling thread's, per round trip, so a flat curve means no contention. With more
//! threads than cores the threads also share the cores, and the time per thread grows with
//! `threads / cores` even without contention: compare against the `Vec::with_capacity`
//! baseline at the same thread count (the allocator's per-thread arenas scale well).

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use bytepool::tiers::PowerOfTwo;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const THREADS: [usize; 4] = [1, 2, 4, 8];
const LEN: usize = 128;

#[inline(always)]
fn pooled() {
    let mut buf = PowerOfTwo::pool().get(LEN);
    buf[0] = 1;
    black_box(&buf);
}

#[inline(always)]
fn allocated() {
    let mut vec = Vec::<u8>::with_capacity(LEN);
    vec.push(1);
    black_box(&vec);
}

/// `iters` calls of `op` on each of `threads` threads; the calling thread's time.
fn run(threads: usize, iters: u64, op: impl Fn() + Sync) -> Duration {
    let op = &op;
    let start_line = Barrier::new(threads);
    thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(|| {
                start_line.wait();
                for _ in 0..iters {
                    op();
                }
            });
        }
        start_line.wait();
        let start = Instant::now();
        for _ in 0..iters {
            op();
        }
        start.elapsed()
    })
}

fn bench_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    for threads in THREADS {
        group.bench_function(BenchmarkId::new("bytepool_global", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, pooled));
        });
        group.bench_function(BenchmarkId::new("Vec::with_capacity", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, allocated));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config(Duration::from_secs(2), 30);
    targets = bench_scaling
}
criterion_main!(benches);
