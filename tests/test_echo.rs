//! The echo server example end to end on loopback: every byte comes back, every buffer goes
//! back to the pool, and after warm-up the pool stops allocating.

// The example's command line (its `main`, argument parsing, progress bars) is not used here:
// the test drives its `server` and `client` modules directly.
#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;

use std::time::Duration;

use bytepool::{tiers::Stream, BytePool, PoolStats, Stats};
use echo_server::client::{self, Limit, Load, LoadReport};
use echo_server::server::{self, ServerReport};
use indicatif::ProgressBar;
use tokio::net::TcpListener;
use tokio::sync::watch;

bytepool::define_tiers! {
    /// The example's read tiers, with a process-wide pool no other test touches.
    EchoTestTiers = [4KiB, 16KiB, 64KiB];
}

const CLIENTS: usize = 16;
const WARM_UP_BYTES: u64 = 16 << 20;
const MAIN_BYTES: u64 = 64 << 20;

/// Whether pools really reuse buffers: not under `bytepool/passthrough`, which the root
/// package's `passthrough` feature (and so `cfg!`) does not see when it is enabled directly.
fn pooling() -> bool {
    let pool = BytePool::<Stream>::new();
    drop(pool.get(1));
    drop(pool.get(1));
    pool.stats().tiers[0].hits == 1
}

fn load(addr: std::net::SocketAddr, bytes: u64, seed: u64) -> Load {
    Load {
        addr,
        clients: CLIENTS,
        limit: Limit::Bytes(bytes),
        max_payload: 64 << 10,
        seed,
    }
}

/// Runs a warm-up load and a main load against one server, then stops it; returns the loads'
/// and the server's reports with the pool's statistics after each phase and after shutdown.
async fn echo_phases() -> ([LoadReport; 2], ServerReport, [Stats; 3]) {
    let pool = EchoTestTiers::pool();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(server::serve(listener, pool, stopped));
    let progress = ProgressBar::hidden();

    let warm_up = client::run(&load(addr, WARM_UP_BYTES, 1), &progress).await;
    let after_warm_up = pool.stats();
    let main = client::run(&load(addr, MAIN_BYTES, 2), &progress).await;
    let after_main = pool.stats();

    stop.send_replace(true);
    let server = server.await.unwrap();
    let (warm_up, main) = (warm_up.unwrap(), main.unwrap());
    (
        [warm_up, main],
        server,
        [after_warm_up, after_main, pool.stats()],
    )
}

// Miri does not support the socket and epoll calls tokio's networking makes.
#[cfg_attr(miri, ignore)]
#[cfg_attr(
    not(bytepool_tsan),
    tokio::test(flavor = "multi_thread", worker_threads = 2)
)]
// Under ThreadSanitizer (`.ci/sanitize` sets `--cfg bytepool_tsan`) the test runs on one
// thread. On a multi-thread runtime TSan reports a data race inside tokio, between the
// non-atomic initialisation of a socket's `ScheduledIo` (`Arc::new` in
// `RegistrationSet::allocate`, on the worker that registers the socket) and the I/O driver's
// atomic `ScheduledIo::set_readiness` on another worker. The driver finds that `ScheduledIo`
// through the token `epoll_wait` returns, which `epoll_ctl` registered after the
// initialisation: the kernel orders the two, and TSan cannot see synchronisation through
// syscalls. No bytepool code is in either stack (the example's only frame is its client's
// `TcpStream::connect`); tokio itself does not test under TSan because of such reports
// (tokio-rs/tokio#7299). With one thread every socket is registered and polled on the thread
// that made it; the echo and the pool's accounting are checked the same way, and the pool's
// cross-thread paths are covered under TSan by the other tests.
#[cfg_attr(bytepool_tsan, tokio::test(flavor = "current_thread"))]
async fn smoke() {
    let run = tokio::time::timeout(Duration::from_secs(60), echo_phases());
    let ([warm_up, main], server, [after_warm_up, after_main, after_shutdown]) =
        run.await.expect("the echo test took over a minute");

    // Every byte was echoed: each client compared each payload with its echo and saw the
    // server close after the last one; the server echoed exactly what was sent.
    assert_eq!(warm_up.bytes, WARM_UP_BYTES);
    assert_eq!(main.bytes, MAIN_BYTES);
    assert_eq!(server.bytes, WARM_UP_BYTES + MAIN_BYTES);
    assert_eq!(server.connections, 2 * CLIENTS as u64);
    assert_eq!(server.errors, 0);

    // Every connection is closed and every task joined: no buffer is still out.
    assert_eq!(after_shutdown.outstanding, 0, "{after_shutdown}");
    assert_eq!(after_shutdown.total_gets, after_shutdown.total_puts);
    assert_eq!(after_shutdown.oversize, 0);

    // After warm-up the pool serves the main phase from idle buffers: the buffers out at once
    // are bounded (16 connections, at most 10 buffers each) and so is what the thread caches
    // hold, so allocations level off.
    let main_phase = after_main.since(&after_warm_up);
    let (gets, misses) = (main_phase.total_gets, main_phase.allocations());
    println!("main phase: {misses} misses in {gets} gets\n{main_phase}");
    assert!(
        gets >= main.requests,
        "{gets} gets for {} requests",
        main.requests
    );
    if pooling() {
        assert!(
            misses * 20 < gets,
            "{misses} misses in {gets} gets after warm-up\n\
             after warm-up:\n{after_warm_up}\nthe main phase:\n{main_phase}"
        );
    }
}
