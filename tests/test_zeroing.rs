//! `zero_on_release`: no block of a pool that zeroes is ever freed, or kept, with what its user
//! wrote. A global allocator scans every block freed in this binary for a secret; each path by
//! which a pool frees or keeps memory is taken with the secret in the buffer.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bytepool::tiers::Stream;
use bytepool::{BytePool, PoolStats};
use common::POOLING;

/// What every test writes into its buffers, and what no freed block may hold.
const SECRET: &[u8; 16] = b"\x8f-secret-key-\xa5\x01\x02";

/// Freed blocks that still held [`SECRET`].
static FOUND: AtomicUsize = AtomicUsize::new(0);

struct Scanning;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the scan only
// reads the block being freed, which the caller still owns until `System.dealloc` returns.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged: the caller upholds `System.alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live allocation of `layout.size()` bytes (the caller's contract),
        // initialised by its user or zeroed by the pool; it is read before it is freed.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
        if bytes.windows(SECRET.len()).any(|w| w == SECRET) {
            FOUND.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

/// The tests share `FOUND`, so they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `body` and asserts that no block freed meanwhile held the secret.
fn scrubbed(what: &str, body: impl FnOnce()) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = FOUND.load(Ordering::Relaxed);
    body();
    let found = FOUND.load(Ordering::Relaxed) - before;
    assert_eq!(
        found, 0,
        "{what}: {found} freed blocks still held the secret"
    );
}

fn zeroing() -> BytePool<Stream> {
    BytePool::<Stream>::builder().zero_on_release(true).build()
}

/// Frees every idle buffer of `pool` (on this thread) and checks each held only zeros.
fn trim_all(pool: &BytePool<Stream>) {
    pool.trim();
    assert_eq!(pool.stats().idle_bytes, 0);
}

#[test]
fn the_scanner_finds_a_secret_freed_as_it_is() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = FOUND.load(Ordering::Relaxed);
    let mut plain = vec![0u8; 4096];
    plain[100..116].copy_from_slice(SECRET);
    drop(std::hint::black_box(plain));
    assert_eq!(FOUND.load(Ordering::Relaxed) - before, 1);
}

#[test]
fn a_pool_without_zeroing_frees_what_its_users_wrote() {
    // The control: the same path as below with zeroing off leaves the secret.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = FOUND.load(Ordering::Relaxed);
    let pool = BytePool::<Stream>::new();
    pool.get(200_000)[..16].copy_from_slice(SECRET);
    assert_eq!(FOUND.load(Ordering::Relaxed) - before, 1);
}

#[test]
fn a_buffer_above_the_largest_tier_is_zeroed_before_it_is_freed() {
    scrubbed("oversize get", || {
        let pool = zeroing();
        let mut big = pool.get(200_000);
        big[150_000..150_016].copy_from_slice(SECRET);
        drop(big);
        assert_eq!(pool.stats().oversize, 1);
    });
}

#[test]
fn a_buffer_grown_past_the_largest_tier_is_zeroed_before_it_is_freed() {
    scrubbed("grown", || {
        let pool = zeroing();
        let mut buf = pool.get(16);
        buf.copy_from_slice(SECRET);
        buf.extend_from_slice(&[1; 200_000]); // moves to a plain allocation
        assert!(buf.capacity() > pool.max_size());
        drop(buf);
        trim_all(&pool);
    });
}

#[test]
fn blocks_left_behind_by_growth_and_shrinking_are_zeroed() {
    scrubbed("grown within the tiers, shrunk", || {
        let pool = zeroing();
        let mut buf = pool.get(16);
        buf.copy_from_slice(SECRET);
        buf.reserve(5000); // from the 1 KiB tier to 16 KiB
        buf.shrink_to_fit(); // back to 1 KiB
        assert_eq!(buf.capacity(), 1024);
        let shared = buf.freeze();
        drop(shared.clone());
        drop(shared);
        trim_all(&pool);
    });
}

#[test]
fn buffers_a_full_pool_cannot_keep_are_zeroed_before_they_are_freed() {
    scrubbed("full tiers", || {
        let pool = BytePool::<Stream>::builder()
            .zero_on_release(true)
            .max_idle_per_tier(0)
            .build();
        pool.get(16).copy_from_slice(SECRET);
        assert_eq!(pool.stats().discarded, u64::from(POOLING));
    });
}

#[test]
fn foreign_vectors_are_zeroed_whether_kept_or_not() {
    scrubbed("foreign puts", || {
        let pool = zeroing();
        for capacity in [1024, 1000, 300_000] {
            let mut vec = Vec::with_capacity(capacity);
            vec.extend_from_slice(SECRET);
            vec.resize(100, 7);
            pool.put(vec);
        }
        let s = pool.stats();
        assert_eq!((s.foreign_puts, s.tiers[0].idle), (3, usize::from(POOLING)));
        trim_all(&pool);
    });
}

#[test]
fn bytes_written_past_the_length_are_zeroed_too() {
    scrubbed("truncated", || {
        let pool = zeroing();
        let mut buf = pool.get(1000);
        buf[900..916].copy_from_slice(SECRET);
        buf.truncate(10);
        drop(buf);
        assert_eq!(&pool.get(1000)[900..916], &[0; 16]);
        trim_all(&pool);
    });
}

#[cfg(feature = "bytes")]
#[test]
fn buffers_converted_into_bytes_are_zeroed_when_the_last_clone_drops() {
    scrubbed("bytes::Bytes", || {
        let pool = zeroing();
        let mut buf = pool.get(16);
        buf.copy_from_slice(SECRET);
        let bytes = bytes::Bytes::from(buf.freeze());
        drop(bytes.slice(4..));
        drop(bytes);
        let mut big = pool.get(200_000);
        big[..16].copy_from_slice(SECRET);
        drop(bytes::Bytes::from(big));
        trim_all(&pool);
    });
}
