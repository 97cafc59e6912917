//! Byte buffers against their peers, in three groups that share one set of peer adapters:
//!
//! - `round_trip`: one thread gets a buffer of N bytes, writes one byte and gives it back.
//! - `two_threads`: two threads do their own round trips on one shared pool; the time is the
//!   first thread's, per round trip, measured by the same loop as `round_trip`.
//! - `cross_thread`: thread A gets buffers and sends them through a bounded channel, thread B
//!   gives them back; the time is per buffer, until B has given back the last one. The channel
//!   is crossbeam's, which spins before it parks: with std's `sync_channel` a thread parks and
//!   is woken so often that the channel alone (sending a `usize`) measured 200 ns a message,
//!   more than any pool sent through it, so the pools' differences drowned in it.
//!
//! Every peer is a [`Peer`]: `take` gets N bytes and writes one, `give` returns them. Object pools
//! of `Vec<u8>` get one pool per N whose vectors are pre-sized to N bytes, so no peer zeroes or
//! grows anything in steady state (`vec![0u8; N]` is the baseline that does). Run one group with
//! `cargo bench --bench round_trip -- two_threads`.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use bytepool::tiers::PowerOfTwo;
use bytepool::{Buffer, BufferMut, BytePool};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::{LinearObjectPool, LinearReusable};
use opool::PoolAllocator;

/// Buffer sizes of the single-thread group.
const SIZES: [usize; 4] = [128, 4096, 65536, 1 << 20];
/// Buffer sizes of the multi-thread groups.
const THREAD_SIZES: [usize; 2] = [128, 65536];
/// Bound of the `cross_thread` channel: buffers in flight at most.
const CHANNEL_BOUND: usize = 64;
/// Idle objects kept by the peers that take a bound.
const POOL_BOUND: usize = 1024;

/// One pool (or allocator) under test, for buffers of one size.
///
/// Every peer is `Sync`, so every peer takes part in the multi-thread groups, and every handle
/// is `Send`, so every peer takes part in `cross_thread`.
trait Peer: Sync {
    /// The function id in every group.
    const NAME: &'static str;

    /// What `take` hands out.
    type Handle<'a>: Send
    where
        Self: 'a;

    /// A buffer of the peer's size, with one byte written.
    fn take(&self) -> Self::Handle<'_>;

    /// Returns a buffer (possibly on another thread than the one that took it).
    #[inline(always)]
    fn give<'a>(&'a self, handle: Self::Handle<'a>) {
        drop(handle);
    }
}

/// One get, one write, one give back.
#[inline(always)]
fn round_trip<P: Peer>(peer: &P) {
    let handle = peer.take();
    black_box(&handle);
    peer.give(handle);
}

/// A buffer of `n` bytes from `pool`, with one byte written.
#[inline(always)]
fn get_written(pool: &BytePool<PowerOfTwo>, n: usize) -> BufferMut {
    let mut buf = pool.get(n);
    buf[0] = 1;
    buf
}

/// `PowerOfTwo::pool()`, the process-wide pool with per-thread caches.
struct Global {
    pool: &'static BytePool<PowerOfTwo>,
    n: usize,
}

impl Global {
    fn new(n: usize) -> Self {
        Global {
            pool: PowerOfTwo::pool(),
            n,
        }
    }
}

impl Peer for Global {
    const NAME: &'static str = "bytepool_global";
    type Handle<'a> = BufferMut;

    #[inline(always)]
    fn take(&self) -> BufferMut {
        get_written(self.pool, self.n)
    }
}

/// An instance pool, `BytePool::<PowerOfTwo>::new()`: the same tiers, with its own per-thread
/// caches (slots found through the thread's index) and handles that hold a ticket, counted in
/// the thread's slot, instead of a reference count.
struct Instance {
    pool: BytePool<PowerOfTwo>,
    n: usize,
}

impl Peer for Instance {
    const NAME: &'static str = "bytepool_instance";
    type Handle<'a> = BufferMut;

    #[inline(always)]
    fn take(&self) -> BufferMut {
        get_written(&self.pool, self.n)
    }
}

/// The global pool's buffer frozen into a refcounted `Buffer`; giving it back clones it once
/// and drops both references.
struct Refcounted(Global);

impl Peer for Refcounted {
    const NAME: &'static str = "bytepool_refcounted";
    type Handle<'a> = Buffer;

    #[inline(always)]
    fn take(&self) -> Buffer {
        self.0.take().freeze()
    }

    #[inline(always)]
    fn give(&self, handle: Buffer) {
        let other = handle.clone();
        black_box(&other);
        drop(handle);
        drop(other);
    }
}

/// The allocator: `Vec::with_capacity(N)` and one push.
struct WithCapacity(usize);

impl Peer for WithCapacity {
    const NAME: &'static str = "Vec::with_capacity";
    type Handle<'a> = Vec<u8>;

    #[inline(always)]
    fn take(&self) -> Vec<u8> {
        let mut vec = Vec::with_capacity(self.0);
        vec.push(1);
        vec
    }
}

/// The allocator, zeroed: `vec![0u8; N]`.
struct Zeroed(usize);

impl Peer for Zeroed {
    const NAME: &'static str = "vec![0u8;N]";
    type Handle<'a> = Vec<u8>;

    #[inline(always)]
    fn take(&self) -> Vec<u8> {
        let mut vec = vec![0u8; self.0];
        vec[0] = 1;
        vec
    }
}

/// `lockfree_object_pool::LinearObjectPool` of pre-sized vectors, reset doing nothing.
struct LockFree(LinearObjectPool<Vec<u8>>);

impl LockFree {
    fn new(n: usize) -> Self {
        LockFree(LinearObjectPool::new(move || vec![0u8; n], |_| {}))
    }
}

impl Peer for LockFree {
    const NAME: &'static str = "lockfree-object-pool";
    type Handle<'a> = LinearReusable<'a, Vec<u8>>;

    #[inline(always)]
    fn take(&self) -> Self::Handle<'_> {
        let mut vec = self.0.pull();
        vec[0] = 1;
        vec
    }
}

/// `object_pool::Pool` (a mutex around a `Vec`) of pre-sized vectors.
struct ObjectPool {
    pool: object_pool::Pool<Vec<u8>>,
    n: usize,
}

impl ObjectPool {
    fn new(n: usize) -> Self {
        ObjectPool {
            pool: object_pool::Pool::new(4, move || vec![0u8; n]),
            n,
        }
    }
}

impl Peer for ObjectPool {
    const NAME: &'static str = "object-pool";
    type Handle<'a> = object_pool::Reusable<'a, Vec<u8>>;

    #[inline(always)]
    fn take(&self) -> Self::Handle<'_> {
        let n = self.n;
        let mut vec = self.pool.pull(move || vec![0u8; n]);
        vec[0] = 1;
        vec
    }
}

/// `opool`'s allocator for pre-sized vectors (its default reset does nothing).
struct VecAlloc(usize);

impl PoolAllocator<Vec<u8>> for VecAlloc {
    fn allocate(&self) -> Vec<u8> {
        vec![0u8; self.0]
    }
}

/// `opool::Pool` (a `crossbeam_queue::ArrayQueue`) of pre-sized vectors.
struct OPool(opool::Pool<VecAlloc, Vec<u8>>);

impl OPool {
    fn new(n: usize) -> Self {
        OPool(opool::Pool::new(POOL_BOUND, VecAlloc(n)))
    }
}

impl Peer for OPool {
    const NAME: &'static str = "opool";
    type Handle<'a> = opool::RefGuard<'a, VecAlloc, Vec<u8>>;

    #[inline(always)]
    fn take(&self) -> Self::Handle<'_> {
        let mut vec = self.0.get();
        vec[0] = 1;
        vec
    }
}

/// A vector that `sharded_slab` keeps as it is when its slot is cleared (the crate's own
/// `Clear for Vec` would truncate it, and the next user would have to zero it again).
#[derive(Default)]
struct Block(Vec<u8>);

impl sharded_slab::Clear for Block {
    fn clear(&mut self) {}
}

/// `sharded_slab::Pool`: `create` a slot, write through the guard, `clear` its key to give it
/// back (the handle that crosses threads is the key).
struct ShardedSlab {
    pool: sharded_slab::Pool<Block>,
    n: usize,
}

impl ShardedSlab {
    fn new(n: usize) -> Self {
        ShardedSlab {
            pool: sharded_slab::Pool::new(),
            n,
        }
    }
}

impl Peer for ShardedSlab {
    const NAME: &'static str = "sharded-slab";
    type Handle<'a> = usize;

    #[inline(always)]
    fn take(&self) -> usize {
        let mut slot = self.pool.create().expect("sharded-slab: the shard is full");
        if slot.0.len() != self.n {
            slot.0 = vec![0u8; self.n];
        }
        slot.0[0] = 1;
        slot.key()
    }

    #[inline(always)]
    fn give(&self, key: usize) {
        let cleared = self.pool.clear(key);
        debug_assert!(cleared);
    }
}

/// `byte_pool::BytePool` (two `SegQueue`s), one per size: its `alloc` only reuses a block of
/// exactly the requested length, so a pool shared by several sizes would mostly allocate.
struct BytePoolCrate {
    pool: byte_pool::BytePool<Vec<u8>>,
    n: usize,
}

impl BytePoolCrate {
    fn new(n: usize) -> Self {
        BytePoolCrate {
            pool: byte_pool::BytePool::new(),
            n,
        }
    }
}

impl Peer for BytePoolCrate {
    const NAME: &'static str = "byte-pool";
    type Handle<'a> = byte_pool::Block<'a, Vec<u8>>;

    #[inline(always)]
    fn take(&self) -> Self::Handle<'_> {
        let mut block = self.pool.alloc(self.n);
        block[0] = 1;
        block
    }
}

/// `zeropool::ZeroPool` (thread caches over `ArrayQueue`s), through `alloc_uninit`: like the
/// other pools it does not zero reused memory (its `alloc` zeroes N bytes every time).
struct ZeroPool {
    pool: zeropool::ZeroPool,
    n: usize,
}

impl ZeroPool {
    fn new(n: usize) -> Self {
        ZeroPool {
            pool: zeropool::ZeroPool::new(),
            n,
        }
    }
}

impl Peer for ZeroPool {
    const NAME: &'static str = "zeropool";
    type Handle<'a> = zeropool::BufUninit<'a>;

    #[inline(always)]
    fn take(&self) -> Self::Handle<'_> {
        let mut buf = self.pool.alloc_uninit(self.n);
        buf.as_uninit_mut()[0].write(1);
        buf
    }
}

/// A `crossbeam_queue::ArrayQueue<Vec<u8>>` used as a plain free list of pre-sized vectors.
struct FreeList {
    queue: ArrayQueue<Vec<u8>>,
    n: usize,
}

impl FreeList {
    fn new(n: usize) -> Self {
        FreeList {
            queue: ArrayQueue::new(POOL_BOUND),
            n,
        }
    }
}

impl Peer for FreeList {
    const NAME: &'static str = "crossbeam-ArrayQueue";
    type Handle<'a> = Vec<u8>;

    #[inline(always)]
    fn take(&self) -> Vec<u8> {
        let mut vec = self.queue.pop().unwrap_or_else(|| vec![0u8; self.n]);
        vec[0] = 1;
        vec
    }

    #[inline(always)]
    fn give(&self, vec: Vec<u8>) {
        // A full queue drops the vector.
        let _ = self.queue.push(vec);
    }
}

/// Something to do with every peer of one size (a generic closure, in effect).
trait Visit {
    fn visit<P: Peer>(&mut self, peer: &P);
}

/// Builds every peer for buffers of `n` bytes, hands each to `visit`, then drops it.
fn each_peer(n: usize, visit: &mut impl Visit) {
    visit.visit(&Global::new(n));
    visit.visit(&Refcounted(Global::new(n)));
    visit.visit(&Instance {
        pool: BytePool::new(),
        n,
    });
    visit.visit(&WithCapacity(n));
    visit.visit(&Zeroed(n));
    visit.visit(&LockFree::new(n));
    visit.visit(&ObjectPool::new(n));
    visit.visit(&OPool::new(n));
    visit.visit(&ShardedSlab::new(n));
    visit.visit(&BytePoolCrate::new(n));
    visit.visit(&ZeroPool::new(n));
    visit.visit(&FreeList::new(n));
}

/// Single thread: `take`, write, `give`.
struct OneThread<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    n: usize,
}

impl Visit for OneThread<'_, '_> {
    fn visit<P: Peer>(&mut self, peer: &P) {
        self.group
            .bench_function(BenchmarkId::new(P::NAME, self.n), |b| {
                b.iter(|| round_trip(peer));
            });
    }
}

/// Two threads doing their own round trips on the same peer; times the calling thread.
///
/// The timed thread runs exactly the loop of [`OneThread`] (`Bencher::iter` over
/// [`round_trip`]), so the two groups differ only in the second thread, which loops from before
/// the timing starts until after it ends. A hand-written timed loop would be compiled
/// differently: perf showed such a loop moving the handle with 16-byte loads of two 8-byte
/// stores (a failed store forward) that the `OneThread` loop does not have, so the ratio of the
/// groups measured the compiler, not contention.
struct TwoThreads<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    n: usize,
}

impl Visit for TwoThreads<'_, '_> {
    fn visit<P: Peer>(&mut self, peer: &P) {
        self.group
            .bench_function(BenchmarkId::new(P::NAME, self.n), |b| {
                let start_line = Barrier::new(2);
                let stop = AtomicBool::new(false);
                thread::scope(|s| {
                    s.spawn(|| {
                        start_line.wait();
                        while !stop.load(Ordering::Relaxed) {
                            for _ in 0..64 {
                                round_trip(peer);
                            }
                        }
                    });
                    start_line.wait();
                    b.iter(|| round_trip(peer));
                    stop.store(true, Ordering::Relaxed);
                });
            });
    }
}

/// Thread A takes, a bounded channel carries, thread B gives back; times A's first send to B's
/// last give.
struct CrossThread<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    n: usize,
}

impl Visit for CrossThread<'_, '_> {
    fn visit<P: Peer>(&mut self, peer: &P) {
        self.group
            .bench_function(BenchmarkId::new(P::NAME, self.n), |b| {
                b.iter_custom(|iters| {
                    let (tx, rx) = crossbeam_channel::bounded::<P::Handle<'_>>(CHANNEL_BOUND);
                    thread::scope(|s| {
                        let consumer = s.spawn(move || {
                            for handle in rx {
                                peer.give(handle);
                            }
                        });
                        let start = Instant::now();
                        for _ in 0..iters {
                            let handle = peer.take();
                            if tx.send(handle).is_err() {
                                panic!("cross_thread: the consumer stopped early");
                            }
                        }
                        drop(tx);
                        consumer
                            .join()
                            .expect("cross_thread: the consumer panicked");
                        start.elapsed()
                    })
                });
            });
    }
}

fn bench_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    for n in SIZES {
        each_peer(
            n,
            &mut OneThread {
                group: &mut group,
                n,
            },
        );
    }
    group.finish();
}

fn bench_two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_threads");
    for n in THREAD_SIZES {
        each_peer(
            n,
            &mut TwoThreads {
                group: &mut group,
                n,
            },
        );
    }
    group.finish();
}

fn bench_cross_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_thread");
    for n in THREAD_SIZES {
        each_peer(
            n,
            &mut CrossThread {
                group: &mut group,
                n,
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config(Duration::from_millis(1500), 30);
    targets = bench_round_trip, bench_two_threads, bench_cross_thread
}
criterion_main!(benches);
