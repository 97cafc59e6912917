//! Asymmetric fences: [`light`] on a hot path and [`heavy`] on a rare one order memory as a
//! `SeqCst` fence on each side would, while `light` costs nothing at run time. This is how
//! userspace RCU and folly's hazard pointers keep fences off their readers.
//!
//! On Linux, `heavy` is the `membarrier` system call (`MEMBARRIER_CMD_PRIVATE_EXPEDITED`): the
//! kernel runs a full barrier on every CPU running a thread of this process, and a thread that
//! is not running passes one when it is scheduled again, so `light` needs only to keep the
//! compiler from moving accesses across it. Where `membarrier` is missing (other systems, old
//! kernels, a sandbox that filters it) both sides issue a `SeqCst` fence: slower, as correct.
//! Under loom and Miri, which cannot see a system call's effect, both sides fence too.
//!
//! The choice is made once, by [`init`], before the first user of the pair exists, and never
//! changes, so both sides of any pair agree on it.

use crate::sync::{fence, Ordering};

/// Chooses between the process-wide barrier and plain fences, once. Call it before creating
/// anything whose accesses `light` and `heavy` will order: everything created after it sees its
/// choice.
pub(crate) fn init() {
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    linux::init();
}

/// The fast side: no instruction when `heavy` is a process-wide barrier, a `SeqCst` fence
/// otherwise.
#[inline(always)]
pub(crate) fn light() {
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    if linux::expedited() {
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        return;
    }
    fence(Ordering::SeqCst);
}

/// Whether [`light`] emits no instruction (only keeps the compiler from moving accesses
/// across it), as decided by [`init`]: a caller may then skip it on its fastest path, as long
/// as it still keeps the compiler from reordering.
#[inline(always)]
pub(crate) fn light_is_free() -> bool {
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    return linux::expedited();
    #[cfg(not(all(target_os = "linux", not(any(loom, miri)))))]
    false
}

/// The slow side: a barrier on every thread of the process (or a `SeqCst` fence, as `light`
/// then is one too).
pub(crate) fn heavy() {
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    if linux::expedited() {
        linux::membarrier();
        return;
    }
    fence(Ordering::SeqCst);
}

#[cfg(all(target_os = "linux", not(any(loom, miri))))]
mod linux {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Once;

    /// Whether this process registered for the expedited barrier (set once, by `init`).
    static EXPEDITED: AtomicBool = AtomicBool::new(false);
    static INIT: Once = Once::new();

    pub(super) fn init() {
        INIT.call_once(|| {
            let query = sys_membarrier(libc::MEMBARRIER_CMD_QUERY);
            let needed = (libc::MEMBARRIER_CMD_PRIVATE_EXPEDITED
                | libc::MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
                as libc::c_long;
            let registered = query >= 0
                && query & needed == needed
                && sys_membarrier(libc::MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
            // `Relaxed` suffices: `Once` orders this store before anything that follows an
            // `init` call, and both sides of a pair follow one.
            EXPEDITED.store(registered, Ordering::Relaxed);
        });
    }

    #[inline(always)]
    pub(super) fn expedited() -> bool {
        EXPEDITED.load(Ordering::Relaxed)
    }

    pub(super) fn membarrier() {
        if sys_membarrier(libc::MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 {
            // After a successful registration this cannot fail; if it did, the light side
            // would have run without a fence, and nothing could be trusted any more.
            eprintln!(
                "bytepool: membarrier failed after registration: {}",
                std::io::Error::last_os_error()
            );
            std::process::abort();
        }
    }

    fn sys_membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: `membarrier(cmd, flags = 0)` takes two integers, reads and writes no memory
        // of ours, and reports failure through its return value.
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_int) }
    }
}
