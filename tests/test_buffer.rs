//! `BufferMut` and `Buffer`: growth, conversions, reference counting across threads, and a
//! two-thread stress test that proves no buffer is ever held twice.

mod common;

use std::io::Write;
use std::sync::mpsc;
use std::thread;

use bytepool::{Buffer, BufferMut, BytePool, Error, PoolStats};
use common::{scaled, Rng, POOLING};

bytepool::define_tiers! {
    Small = [16, 64, 256];
}

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

/// Four words: the block (pointer and capacity), the length, and the way home (one tagged
/// pointer). Each word more is a store and a load more per round trip where the handle goes
/// through memory (a 128 B round trip read 4.70-5.05 ns with five words, 4.41-4.69 with four).
#[test]
fn a_buffer_mut_is_four_words_and_its_option_too() {
    let word = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<BufferMut>(), 4 * word);
    assert_eq!(std::mem::size_of::<Option<BufferMut>>(), 4 * word);
}

#[test]
fn smoke() {
    assert_send_sync_static::<BufferMut>();
    assert_send_sync_static::<Buffer>();
    let pool = BytePool::<Small>::new();
    let mut buf = pool.with_capacity(10);
    buf.extend_from_slice(b"hello");
    write!(buf, " {}", 42).unwrap();
    assert_eq!(&buf[..], b"hello 42");
    let shared = buf.freeze();
    let clone = shared.clone();
    assert_eq!(shared.ref_count(), 2);
    assert_eq!(&clone[..], b"hello 42");
}

#[test]
fn growth_moves_through_tiers_then_to_plain_allocations() {
    let pool = BytePool::<Small>::new();
    let mut buf = pool.get(0);
    let mut expected = Vec::new();
    let mut caps = Vec::new();
    for i in 0..1000u32 {
        let byte = (i % 251) as u8;
        buf.extend_from_slice(&[byte]);
        expected.push(byte);
        if caps.last() != Some(&buf.capacity()) {
            caps.push(buf.capacity());
        }
    }
    assert_eq!(&buf[..], &expected[..]);
    // Through every tier, then geometric growth above the largest.
    assert_eq!(caps[..3], [16, 64, 256]);
    assert_eq!(caps[3], 512, "above the largest tier, capacity doubles");
    assert!(
        caps.windows(2).skip(3).all(|w| w[1] >= w[0] * 2),
        "{caps:?}"
    );
    drop(buf);
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    assert_eq!(s.total_gets, s.total_puts);
    assert_eq!(s.total_gets, caps.len() as u64);
    assert_eq!(
        tier_puts(&s),
        [1, 1, 1],
        "each old block went back to its own tier"
    );
}

bytepool::define_tiers! {
    /// Used by one test only, so its process-wide pool's numbers are that test's.
    GrowGlobal = [16, 64, 256];
}

#[test]
fn growth_and_shrinking_on_the_global_pool_return_each_block_to_its_tier() {
    let pool = GrowGlobal::pool();
    let mut buf = pool.get(10);
    buf.resize(200, 7); // 16 -> 256
    buf.resize(300, 7); // 256 -> unpooled
    buf.truncate(50);
    buf.shrink_to_fit(); // -> 64
    assert_eq!(buf.capacity(), 64);
    drop(buf);
    let s = pool.stats();
    assert_eq!(s.outstanding, 0);
    // 16, 256 and 64 went back to their tiers (through the thread's cache); the unpooled block
    // was freed.
    assert_eq!(tier_puts(&s), [1, 1, 1]);
    assert_eq!((s.oversize, s.discarded), (1, 1));
    // A get of each size is now a hit: each block sits in the magazine of its own tier.
    let again: Vec<_> = [16, 64, 256].iter().map(|&n| pool.get(n)).collect();
    assert_eq!(
        pool.stats()
            .tiers
            .iter()
            .map(|t| t.hits)
            .collect::<Vec<_>>(),
        POOLING_HITS
    );
    drop(again);
}

const POOLING_HITS: [u64; 3] = if POOLING { [1, 1, 1] } else { [0, 0, 0] };

fn tier_puts(s: &bytepool::Stats) -> Vec<u64> {
    s.tiers.iter().map(|t| t.puts).collect()
}

#[test]
fn resize_truncate_clear() {
    let mut buf = BytePool::<Small>::new().get(4);
    buf.copy_from_slice(b"abcd");
    buf.resize(6, b'!');
    assert_eq!(&buf[..], b"abcd!!");
    buf.truncate(2);
    assert_eq!(&buf[..], b"ab");
    buf.truncate(10);
    assert_eq!(buf.len(), 2);
    buf.resize(100, 0);
    assert_eq!((buf.len(), buf.capacity()), (100, 256));
    assert_eq!(&buf[..2], b"ab");
    assert!(buf[2..].iter().all(|&b| b == 0));
    buf.clear();
    assert!(buf.is_empty());
    assert_eq!(buf.capacity(), 256);
}

#[test]
fn growth_that_would_overflow_is_an_error_and_changes_nothing() {
    let pool = BytePool::<Small>::new();
    let mut buf = pool.get(10);
    for additional in [usize::MAX, usize::MAX - 5, isize::MAX as usize] {
        assert_eq!(buf.try_reserve(additional), Err(Error::CapacityOverflow));
        assert_eq!((buf.len(), buf.capacity()), (10, 16));
    }
    let err = buf.write(&[]).map(|_| ());
    assert!(err.is_ok());
    assert_eq!(pool.stats().outstanding, 1);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn reserve_near_usize_max_panics() {
    let mut buf = BytePool::<Small>::new().get(10);
    buf.reserve(usize::MAX - 5);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn resize_near_usize_max_panics() {
    let mut buf = BufferMut::new();
    buf.extend_from_slice(b"x");
    buf.resize(usize::MAX, 0);
}

#[test]
fn unpooled_buffers_work_like_vectors() {
    let mut buf = BufferMut::from(b"abc".to_vec());
    assert_eq!(&buf[..], b"abc");
    buf.extend_from_slice(&[1; 100]);
    assert_eq!(buf.len(), 103);
    let vec = buf.into_vec();
    assert_eq!(&vec[..3], b"abc");
    let mut empty = BufferMut::default();
    empty.extend(b"xy".iter().copied());
    assert_eq!(empty.as_slice(), b"xy");
}

#[test]
fn as_ref_as_mut_and_slices() {
    let mut buf = BytePool::<Small>::new().get(3);
    buf.as_mut().copy_from_slice(b"abc");
    assert_eq!(buf.as_ref(), b"abc");
    buf.as_mut_slice()[0] = b'A';
    assert_eq!(buf.as_slice(), b"Abc");
    let frozen = buf.freeze();
    assert_eq!(frozen.as_ref(), b"Abc");
    assert_eq!(frozen.as_slice(), b"Abc");
}

#[test]
fn buffer_retain_release_and_try_into_mut() {
    let pool = BytePool::<Small>::new();
    let a = pool.get(5).freeze();
    let b = a.retain();
    assert_eq!(a.ref_count(), 2);
    let a = a.try_into_mut().unwrap_err();
    b.release();
    assert_eq!(a.ref_count(), 1);
    let mut unique = a.try_into_mut().unwrap();
    unique[0] = 9;
    assert_eq!(pool.stats().outstanding, 1);
    drop(unique);
    let s = pool.stats();
    assert_eq!((s.outstanding, s.total_puts), (0, 1));
}

#[test]
fn the_last_release_returns_the_buffer_exactly_once_across_threads() {
    let pool = BytePool::<Small>::new();
    let rounds = scaled(2000);
    for _ in 0..rounds {
        let shared = pool.get(64).freeze();
        let clones: Vec<Buffer> = (0..3).map(|_| shared.clone()).collect();
        let threads: Vec<_> = clones
            .into_iter()
            .map(|c| thread::spawn(move || drop(c)))
            .collect();
        drop(shared);
        for t in threads {
            t.join().unwrap();
        }
    }
    let s = pool.stats();
    assert_eq!(s.total_gets, rounds as u64);
    assert_eq!(
        s.total_puts, rounds as u64,
        "each buffer returned exactly once"
    );
    assert_eq!(s.outstanding, 0);
    if POOLING {
        assert_eq!(s.tiers[1].misses, 1, "one buffer served every round");
    }
}

#[test]
fn handles_move_into_threads_and_back() {
    let buf = Small::pool().get(200);
    let buf = thread::spawn(move || {
        let mut buf = buf;
        buf[0] = 1;
        buf
    })
    .join()
    .unwrap();
    assert_eq!(buf[0], 1);
    let shared = buf.freeze();
    let seen: Vec<u8> = (0..4)
        .map(|_| {
            let s = shared.clone();
            thread::spawn(move || s[0])
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(seen, [1; 4]);
}

/// The longest buffer `stress_no_buffer_is_ever_held_twice` asks for.
const STRESS_MAX_LEN: usize = 3000;

/// Whether every byte of `buf` is `mark`. A comparison of whole slices (a `memcmp`), which
/// Miri runs as one operation rather than a loop over the bytes; that loop made the stress
/// test below take minutes under Miri.
fn all_marked(buf: &[u8], mark: u8) -> bool {
    let expected = [mark; STRESS_MAX_LEN];
    buf == &expected[..buf.len()]
}

/// Two threads take buffers of random sizes, stamp every byte with an owner mark, exchange
/// some of them, and check the stamp before giving each back: if the pool ever handed one
/// block to two owners, the other owner's stamp would show up.
#[test]
fn stress_no_buffer_is_ever_held_twice() {
    bytepool::define_tiers! {
        StressTiers = [32, 128, 512, 2048];
    }
    assert!(!all_marked(&[1, 1, 2], 1) && all_marked(&[7; STRESS_MAX_LEN], 7));
    let ops = scaled(40_000);
    let (to_b, from_a) = mpsc::sync_channel::<(u8, BufferMut)>(64);
    let worker = |me: u8, seed: u64, tx: Option<mpsc::SyncSender<(u8, BufferMut)>>| {
        move || {
            let mut rng = Rng(seed);
            let mut held: Vec<(u8, BufferMut)> = Vec::new();
            for i in 0..ops {
                let len = 1 + rng.below(STRESS_MAX_LEN as u64) as usize;
                let mut buf = StressTiers::pool().get(len);
                let mark = me.wrapping_mul(64).wrapping_add((i % 63) as u8);
                buf.fill(mark);
                held.push((mark, buf));
                if held.len() > 8 || rng.below(2) == 0 {
                    let (mark, buf) = held.swap_remove(rng.below(held.len() as u64) as usize);
                    assert!(all_marked(&buf, mark), "a buffer had two owners");
                    match &tx {
                        Some(tx) if rng.below(4) == 0 => tx.send((mark, buf)).unwrap(),
                        _ => drop(buf),
                    }
                }
            }
            for (mark, buf) in held {
                assert!(all_marked(&buf, mark), "a buffer had two owners");
            }
        }
    };
    let a = thread::spawn(worker(1, 7, Some(to_b)));
    let receiver = thread::spawn(move || {
        let mut n = 0;
        for (mark, buf) in from_a {
            assert!(all_marked(&buf, mark), "a buffer had two owners");
            n += 1;
        }
        n
    });
    let b = thread::spawn(worker(2, 11, None));
    a.join().unwrap();
    b.join().unwrap();
    let exchanged = receiver.join().unwrap();
    assert!(exchanged > 0);
    let s = StressTiers::pool().stats();
    assert_eq!(s.outstanding, 0, "{s}");
    assert_eq!(s.total_gets, 2 * ops as u64);
    assert_eq!(s.total_gets, s.total_puts);
}

#[test]
fn shrink_to_fit_moves_to_the_smallest_fitting_tier() {
    let pool = BytePool::<Small>::new();
    let mut buf = pool.with_capacity(200);
    buf.extend_from_slice(b"0123456789");
    buf.shrink_to_fit();
    assert_eq!((buf.len(), buf.capacity()), (10, 16));
    assert_eq!(&buf[..], b"0123456789");
    buf.shrink_to_fit(); // already the smallest: nothing happens
    assert_eq!(buf.capacity(), 16);
    let mut empty = pool.with_capacity(200);
    empty.shrink_to_fit(); // empty: keeps its block
    assert_eq!(empty.capacity(), 256);
    let mut big = pool.get(1000); // above every tier: nothing smaller fits
    big.shrink_to_fit();
    assert_eq!(big.capacity(), 1000);
    drop((buf, empty, big));
    let s = pool.stats();
    assert_eq!((s.outstanding, s.total_gets, s.total_puts), (0, 4, 4));
    // The 256-byte block left by shrinking, then `buf` (16) and `empty` (256); `big` unpooled.
    assert_eq!(tier_puts(&s), [1, 0, 2]);
}
