//! Soak: 4 threads run random operations on a process-wide pool, an instance pool and a typed
//! pool at once, under a counting global allocator.
//!
//! - While they run, a monitor checks that the bytes held in blocks of each tier size (what the
//!   allocator says is live) never exceed what the pools may hold: the handles in use, plus
//!   each shared tier's bound, plus one thread cache per thread (`pool.rs`: a shared tier keeps
//!   `clamp(16 MiB / size, 8, 1024)` blocks, a thread cache `min(32, 1 MiB / size)`).
//! - Each thread ends with a flood of foreign vectors, which fills the shared tiers to their
//!   bounds.
//! - At quiescence every pool has `outstanding == 0`, the idle bytes `stats()` reports equal the
//!   block bytes the allocator says are live, and `trim()` gives every one of them back.
//! - The allocator checks that every deallocation names the size it was allocated with (a size
//!   header in front of every allocation; under Miri, which checks that itself, no header).
//!
//! CI runs 4 threads x 250 000 operations (`cargo test --test test_soak`, about 20 s in a debug
//! build on 2 cores); `BYTEPOOL_SOAK_OPS=<per thread>` runs longer, e.g.
//! `BYTEPOOL_SOAK_OPS=20000000 cargo test --release --test test_soak -- --nocapture`.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bytepool::{Buffer, BufferMut, BytePool, Pool, PoolBox, PoolStats};
use common::Rng;

bytepool::define_tiers! {
    /// Sizes no other allocation of this test binary is likely to have, so the allocator can
    /// count the pools' blocks by size.
    pub SoakTiers = [100, 1000, 5000, 20000];
}

const SIZES: [usize; 4] = [100, 1000, 5000, 20000];
const THREADS: usize = 4;
/// Handles one thread holds at most.
const HELD: usize = 16;
/// `Buffer`s in flight to one thread at most (a bounded channel).
const INBOX: usize = 16;
/// The instance pool's bound per tier.
const INSTANCE_IDLE: usize = 16;
/// The typed pool's bound.
const TYPED_IDLE: usize = 64;

/// A process-wide pool's bound per shared tier (`pool.rs`: `IDLE_BYTES`, `IDLE_MIN`, `IDLE_MAX`).
fn global_shared_cap(size: usize) -> usize {
    ((16 << 20) / size).clamp(8, 1024)
}

/// A thread cache's bound per tier (`pool.rs`: `CACHE_BYTES`, `CACHE_MAX`).
fn thread_cache_cap(size: usize) -> usize {
    ((1 << 20) / size).clamp(1, 32).min(global_shared_cap(size))
}

// -------------------------------------------------------------------------------------------
// The counting allocator

/// Live allocations of each tier size, all live bytes, and deallocations whose size differed
/// from the allocation's.
static LIVE_BY_TIER: [AtomicI64; 4] = [const { AtomicI64::new(0) }; 4];
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static SIZE_MISMATCHES: AtomicU64 = AtomicU64::new(0);

/// `System`, counting live allocations by size.
///
/// Natively, a header in front of every allocation records its size, so a deallocation that
/// names another size is noticed. Under Miri there is no header: Miri itself reports a
/// deallocation whose layout differs from the allocation's (as undefined behaviour), and
/// reading the header through the caller's pointer would be undefined behaviour in its own
/// right under Stacked Borrows (the pointer a `Box` or a `Vec` gives back has permission for
/// the bytes it owns, not for the 8 before them).
struct Counting;

/// Room for the header, keeping the caller's alignment.
fn header(layout: Layout) -> usize {
    layout.align().max(16)
}

/// What `System` is asked for: the caller's layout grown by the header in front, aligned to
/// at least the header (so the size sits 8-aligned just before the caller's pointer even when
/// the caller asked for alignment 1, which `malloc` rounds up but need not).
fn full_layout(size: usize, layout: Layout) -> Option<Layout> {
    let head = header(layout);
    Layout::from_size_align(size.checked_add(head)?, head).ok()
}

fn tier_index(size: usize) -> Option<usize> {
    SIZES.iter().position(|&s| s == size)
}

// SAFETY: under Miri every method forwards to `System` unchanged. Otherwise every method
// forwards to `System` with `full_layout`: the caller's size grown by `header(layout)` bytes in
// front, aligned to the header (a multiple of the caller's alignment, so the returned pointer
// keeps it); `dealloc` recomputes exactly that layout from the recorded size, so `System`
// frees what it allocated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let user = if cfg!(miri) {
            // SAFETY: the caller's layout has a non-zero size (the caller's contract).
            unsafe { System.alloc(layout) }
        } else {
            let head = header(layout);
            let Some(full) = full_layout(layout.size(), layout) else {
                return std::ptr::null_mut();
            };
            // SAFETY: `full` has a non-zero size (at least the header).
            let base = unsafe { System.alloc(full) };
            if base.is_null() {
                return base;
            }
            // SAFETY: `head <= full.size()`, so the pointer stays in the allocation.
            let user = unsafe { base.add(head) };
            // SAFETY: `base` is `head`-aligned and `head` is a multiple of 16, so `user - 8`
            // is 8-aligned, inside the header this allocation owns (`head >= 16`).
            unsafe { user.sub(8).cast::<usize>().write(layout.size()) };
            user
        };
        if !user.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
            if let Some(t) = tier_index(layout.size()) {
                LIVE_BY_TIER[t].fetch_add(1, Ordering::Relaxed);
            }
        }
        user
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let recorded = if cfg!(miri) {
            // SAFETY: `ptr` came from `System.alloc` with this layout (the caller's contract;
            // Miri checks it).
            unsafe { System.dealloc(ptr, layout) };
            layout.size()
        } else {
            // SAFETY: `ptr` came from `alloc` (the caller's contract), so the size header sits
            // 8 bytes before it.
            let recorded = unsafe { ptr.sub(8).cast::<usize>().read() };
            let head = header(layout);
            let full = full_layout(recorded, layout).expect("the layout `alloc` made");
            // SAFETY: `ptr - head` is the pointer `System.alloc` returned for `full` (the
            // recorded size plus the same header, with the same alignment).
            unsafe { System.dealloc(ptr.sub(head), full) };
            recorded
        };
        if recorded != layout.size() {
            SIZE_MISMATCHES.fetch_add(1, Ordering::Relaxed);
        }
        LIVE_BYTES.fetch_sub(recorded as i64, Ordering::Relaxed);
        if let Some(t) = tier_index(recorded) {
            LIVE_BY_TIER[t].fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_by_tier() -> [i64; 4] {
    std::array::from_fn(|t| LIVE_BY_TIER[t].load(Ordering::SeqCst))
}

/// The tests of this binary share the allocator's counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

// -------------------------------------------------------------------------------------------
// The workload

/// A handle a worker holds, with the stamp written into its first and last bytes.
enum Held {
    Mut(BufferMut, u64),
    Shared(Buffer, u64),
    Typed(PoolBox<Vec<u8>>, u64),
}

impl Held {
    fn check(&self) {
        let (bytes, stamp): (&[u8], u64) = match self {
            Held::Mut(b, s) => (b, *s),
            Held::Shared(b, s) => (b, *s),
            Held::Typed(v, s) => (v, *s),
        };
        let s = stamp.to_le_bytes();
        let len = bytes.len();
        for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
            assert_eq!(
                bytes[j],
                s[j % 8],
                "a held buffer was overwritten (byte {j} of {len})"
            );
        }
    }
}

/// Writes `stamp` into the first and last 8 bytes (byte `j` gets the stamp's byte `j % 8`, so
/// the two ends agree where they overlap).
fn stamp_into(bytes: &mut [u8], stamp: u64) {
    let s = stamp.to_le_bytes();
    let len = bytes.len();
    for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
        bytes[j] = s[j % 8];
    }
}

fn random_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0 => 0,
        1 => SIZES[rng.below(4) as usize],
        2 => SIZES[rng.below(4) as usize] + 1,
        3 => 20_001 + rng.below(30_000) as usize, // above the largest tier
        _ => 1 + rng.below(20_000) as usize,
    }
}

struct Pools {
    instance: BytePool<SoakTiers>,
    typed: Pool<Vec<u8>>,
}

fn worker(
    id: usize,
    ops: usize,
    pools: &Pools,
    inbox: &mpsc::Receiver<(Buffer, u64)>,
    peers: &[mpsc::SyncSender<(Buffer, u64)>],
) {
    let mut rng = Rng(0x5EED_0000 + id as u64);
    let mut held: Vec<Held> = Vec::with_capacity(HELD);
    let mut stamp = (id as u64 + 1) << 48;
    for _ in 0..ops {
        while let Ok((buf, s)) = inbox.try_recv() {
            let h = Held::Shared(buf, s);
            h.check();
            if held.len() < HELD {
                held.push(h);
            }
        }
        stamp += 1;
        let global = rng.below(2) == 0;
        match rng.below(16) {
            0..=4 if held.len() < HELD => {
                let len = random_len(&mut rng);
                let mut buf = if global {
                    SoakTiers::pool().get(len)
                } else {
                    pools.instance.get(len)
                };
                assert!(buf.capacity() >= len);
                stamp_into(&mut buf, stamp);
                held.push(Held::Mut(buf, stamp));
            }
            0..=7 => {
                if !held.is_empty() {
                    let h = held.swap_remove(rng.below(held.len() as u64) as usize);
                    h.check();
                }
            }
            8 => {
                // Share with another thread: the last holder returns the block.
                if let Some(Held::Mut(..)) = held.last() {
                    let Some(Held::Mut(buf, s)) = held.pop() else {
                        unreachable!()
                    };
                    let shared = buf.freeze();
                    let to = rng.below(THREADS as u64) as usize;
                    let _ = peers[to].try_send((shared.clone(), s));
                    held.push(Held::Shared(shared, s));
                }
            }
            9 => {
                if let Some(Held::Mut(buf, s)) = held.last_mut() {
                    let add = rng.below(6_000) as usize;
                    buf.extend_from_slice(&vec![0xEE; add]);
                    let s = *s;
                    stamp_into(buf, s);
                }
            }
            10 => {
                // Detach, then give the vector back (as the Go `Put`).
                if let Some(Held::Mut(..)) = held.last() {
                    let Some(Held::Mut(buf, _)) = held.pop() else {
                        unreachable!()
                    };
                    let vec = buf.into_vec();
                    if global {
                        SoakTiers::pool().put(vec);
                    } else {
                        pools.instance.put(vec);
                    }
                }
            }
            11 => {
                // A foreign vector of a tier's capacity: fills shared tiers towards their bound.
                let vec = Vec::with_capacity(SIZES[rng.below(4) as usize]);
                if global {
                    SoakTiers::pool().put(vec);
                } else {
                    pools.instance.put(vec);
                }
            }
            12 | 13 if held.len() < HELD => {
                let mut obj = pools.typed.get();
                assert!(obj.is_empty(), "a typed object came back dirty");
                obj.extend_from_slice(&stamp.to_le_bytes());
                held.push(Held::Typed(obj, stamp));
            }
            14 if rng.below(64) == 0 => {
                if global {
                    SoakTiers::pool().trim();
                } else {
                    pools.instance.trim();
                }
            }
            _ => {
                if let Some(h) = held.last() {
                    h.check();
                }
            }
        }
    }
    for h in held.drain(..) {
        h.check();
    }
    // A flood of foreign vectors of every tier's capacity, into both pools: the shared tiers
    // fill to their bounds and the rest is discarded.
    for k in 0..(ops / 50).min(5_000) {
        let size = SIZES[k % SIZES.len()];
        SoakTiers::pool().put(Vec::with_capacity(size));
        pools.instance.put(Vec::with_capacity(size));
    }
}

fn ops_per_thread() -> usize {
    std::env::var("BYTEPOOL_SOAK_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(miri) { 300 } else { 250_000 })
}

/// The most blocks of tier `t` that may be live at any moment.
fn live_bound(t: usize) -> i64 {
    let size = SIZES[t];
    // In use: held handles and in-flight `Buffer`s per thread, plus one block mid-growth.
    let in_use = THREADS * (HELD + INBOX + 1);
    let idle = global_shared_cap(size) + INSTANCE_IDLE + (THREADS + 1) * thread_cache_cap(size);
    (in_use + idle) as i64
}

#[test]
fn soak_four_threads() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ops = ops_per_thread();
    // Settle this thread's cache and the shared tiers before taking the baseline.
    SoakTiers::pool().trim();
    let base = live_by_tier();
    let mismatches = SIZE_MISMATCHES.load(Ordering::SeqCst);
    let pools = Arc::new(Pools {
        instance: BytePool::builder().max_idle_per_tier(INSTANCE_IDLE).build(),
        typed: Pool::with_capacity(TYPED_IDLE, Vec::new, Vec::clear),
    });
    let start = Instant::now();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| mpsc::sync_channel(INBOX)).unzip();
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(id, rx)| {
            let (pools, txs, done) = (Arc::clone(&pools), txs.clone(), Arc::clone(&done));
            thread::spawn(move || {
                worker(id, ops, &pools, &rx, &txs);
                drop(txs);
                done.fetch_add(1, Ordering::SeqCst);
                // Drain what others still send until every worker is done.
                while done.load(Ordering::SeqCst) < THREADS {
                    while rx.try_recv().is_ok() {}
                    thread::sleep(Duration::from_millis(1));
                }
                while rx.try_recv().is_ok() {}
            })
        })
        .collect();
    drop(txs);

    // The monitor: the live blocks of each tier never exceed the bound.
    let mut peak = [0i64; 4];
    let mut samples = 0u64;
    while done.load(Ordering::SeqCst) < THREADS {
        let live = live_by_tier();
        for t in 0..4 {
            let n = live[t] - base[t];
            peak[t] = peak[t].max(n);
            assert!(
                n <= live_bound(t),
                "tier {}: {n} blocks live, bound {}",
                SIZES[t],
                live_bound(t)
            );
        }
        samples += 1;
        thread::sleep(Duration::from_millis(2));
    }
    for w in workers {
        w.join().expect("a soak worker panicked");
    }
    let elapsed = start.elapsed();

    // Quiescence: the workers have exited, so their caches are flushed to the shared tiers.
    let g = SoakTiers::pool().stats();
    let i = pools.instance.stats();
    let ty = pools.typed.stats();
    assert_eq!(
        (g.outstanding, i.outstanding, ty.outstanding),
        (0, 0, 0),
        "{g:?}\n{i:?}\n{ty:?}"
    );
    for (t, &size) in SIZES.iter().enumerate() {
        assert!(
            g.tiers[t].idle <= global_shared_cap(size) + thread_cache_cap(size),
            "{g:?}"
        );
        assert!(i.tiers[t].idle <= INSTANCE_IDLE, "{i:?}");
    }
    assert!(ty.tiers[0].idle <= TYPED_IDLE);
    let live = live_by_tier();
    let live_bytes: i64 = (0..4).map(|t| (live[t] - base[t]) * SIZES[t] as i64).sum();
    assert_eq!(
        live_bytes,
        (g.idle_bytes + i.idle_bytes) as i64,
        "idle bytes per stats vs live block bytes per the allocator (by tier: {:?} vs {:?} / {:?})",
        (0..4).map(|t| live[t] - base[t]).collect::<Vec<_>>(),
        g.tiers.iter().map(|t| t.idle).collect::<Vec<_>>(),
        i.tiers.iter().map(|t| t.idle).collect::<Vec<_>>(),
    );

    // `trim` gives everything back.
    let freed = SoakTiers::pool().trim() + pools.instance.trim();
    assert_eq!(freed as i64, live_bytes);
    assert_eq!(live_by_tier(), base, "blocks still live after trim");
    assert_eq!(
        SoakTiers::pool().stats().idle_bytes + pools.instance.stats().idle_bytes,
        0
    );
    pools.typed.trim();
    assert_eq!(
        SIZE_MISMATCHES.load(Ordering::SeqCst),
        mismatches,
        "a deallocation named the wrong size"
    );
    eprintln!(
        "soak: {THREADS} threads x {ops} ops in {elapsed:.2?}; peak live blocks by tier {peak:?} \
         (bounds {:?}); {samples} samples; global {} gets, {} discarded; {} allocations in \
         all, {} bytes live now",
        (0..4).map(live_bound).collect::<Vec<_>>(),
        g.total_gets,
        g.discarded,
        ALLOCATIONS.load(Ordering::Relaxed),
        LIVE_BYTES.load(Ordering::Relaxed),
    );
}

/// The allocator's own check: it counts a block of a tier's size while it lives, and (not
/// under Miri, which checks layouts itself) its header records the size, so a deallocation with
/// the wrong size is noticed.
#[test]
fn allocator_header_records_sizes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let layout = Layout::from_size_align(100, 1).unwrap();
    let before = live_by_tier();
    // SAFETY: a non-zero layout; the pointer is freed below with the same layout.
    let p = unsafe { GLOBAL.alloc(layout) };
    assert!(!p.is_null());
    assert_eq!(live_by_tier()[0], before[0] + 1);
    if !cfg!(miri) {
        // SAFETY: the header `alloc` wrote, 8 bytes before `p` (`p` is `alloc`'s own pointer,
        // with the whole allocation's provenance).
        assert_eq!(unsafe { p.sub(8).cast::<usize>().read() }, 100);
    }
    // SAFETY: allocated above with `layout`.
    unsafe { GLOBAL.dealloc(p, layout) };
    assert_eq!(live_by_tier(), before);
}
