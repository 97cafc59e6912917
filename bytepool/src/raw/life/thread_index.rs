//! A small number per live thread: the index of its slot in every instance pool's table of
//! per-thread caches ([`Life`](super::life)). No two live threads hold the same index, which is
//! what makes a slot's unsynchronised cells the thread's own; a thread gives its index back
//! when it exits, and the next thread to ask gets the smallest free one (and with it the slots
//! the exited thread left, blocks and counts included).
//!
//! Safe code, but part of the unsafe module's argument: a thread uses an index only between
//! taking it and giving it back, and a thread that is exiting after giving it back gets none.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::sync::{lock, static_init, thread_local_const, Mutex, LOOM};

/// The index of a thread that has not asked yet.
const UNASSIGNED: usize = usize::MAX;
/// The index of a thread that gave its index back at exit.
const EXITED: usize = usize::MAX - 1;

/// Indices in use and given back.
struct Indices {
    /// One more than the largest index ever handed out.
    next: usize,
    /// Indices given back, smallest first.
    free: BinaryHeap<Reverse<usize>>,
}

impl Indices {
    fn take(&mut self) -> usize {
        match self.free.pop() {
            Some(Reverse(index)) => index,
            None => {
                self.next += 1;
                self.next - 1
            }
        }
    }
}

static_init! {
    static INDICES: Mutex<Indices> = Mutex::new(Indices {
        next: 0,
        free: BinaryHeap::new(),
    });
}

thread_local_const! {
    /// This thread's index, or one of the two markers. No destructor, so reading it costs no
    /// "destroyed yet?" check.
    static INDEX: Cell<usize> = Cell::new(UNASSIGNED);
    /// A number no other thread ever had, taken with the index (0 before).
    static SERIAL: Cell<u64> = Cell::new(0);
    /// Runs the thread's exit work and gives the index back when the thread exits.
    static RETURN: GiveBack = GiveBack {
        at_exit: RefCell::new(Vec::new()),
        prune_at: Cell::new(PRUNE_MIN),
    };
}

/// The fewest pieces of exit work kept before the first pruning.
const PRUNE_MIN: usize = 16;

/// Work to do when this thread exits, while it still holds its index: retiring its slot of an
/// instance pool (`life`). `run(data, id)` finds out for itself whether there is anything
/// left to do.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct AtExit {
    pub(crate) run: unsafe fn(*const (), u64),
    pub(crate) data: *const (),
    pub(crate) id: u64,
}

struct GiveBack {
    at_exit: RefCell<Vec<AtExit>>,
    /// The length at which `at_exit` next drops the work no longer needed.
    prune_at: Cell<usize>,
}

impl Drop for GiveBack {
    fn drop(&mut self) {
        // Under loom a thread's thread-locals are destroyed together (`INDEX` may be gone), and
        // the model's main thread ends after loom's primitives: exit work is not modelled there.
        if LOOM {
            return;
        }
        for work in self.at_exit.take() {
            // SAFETY: `data` and `id` were registered together with `run` by `at_exit`, whose
            // caller's contract `run` fulfils.
            unsafe { (work.run)(work.data, work.id) };
        }
        // Marked first: an instance pool used by a later thread-local destructor of this
        // thread then works without a slot instead of using an index another thread may hold.
        let index = INDEX.with(|index| index.replace(EXITED));
        if index < EXITED {
            lock(&INDICES).free.push(Reverse(index));
        }
    }
}

/// Registers work for this thread's exit; when the list has grown, first drops the work whose
/// `id` `needed` says is no longer needed. Does nothing on a thread that is exiting.
///
/// # Safety
/// `work.run(work.data, work.id)` must be sound to call once, at this thread's exit, whatever
/// has happened to `data` by then.
pub(crate) unsafe fn at_exit(work: AtExit, needed: impl Fn(u64) -> bool) {
    if LOOM {
        return;
    }
    let _ = RETURN.try_with(|give_back| {
        let mut list = give_back.at_exit.borrow_mut();
        if list.len() >= give_back.prune_at.get() {
            list.retain(|work| needed(work.id));
            give_back.prune_at.set((list.len() * 2).max(PRUNE_MIN));
        }
        list.push(work);
    });
}

/// This thread's index, taken on first use; `None` once the thread has begun to exit.
#[inline]
pub(crate) fn current() -> Option<usize> {
    let index = INDEX.with(Cell::get);
    if index < EXITED {
        Some(index)
    } else if index == EXITED {
        None
    } else {
        assign()
    }
}

/// This thread's index if it has one, without taking one.
pub(crate) fn held() -> Option<usize> {
    Some(INDEX.with(Cell::get)).filter(|&index| index < EXITED)
}

#[cold]
fn assign() -> Option<usize> {
    // Registering the destructor fails once the thread's thread-locals are being destroyed:
    // then the index could never be given back, so none is taken.
    RETURN.try_with(|_| ()).ok()?;
    let index = lock(&INDICES).take();
    INDEX.with(|cell| cell.set(index));
    // Std's atomic even under loom: serials need only differ, also across model executions.
    static NEXT_SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let serial = NEXT_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    SERIAL.with(|cell| cell.set(serial));
    Some(index)
}

/// This thread's serial: different for every thread that ever took an index, so a slot can
/// tell whether the thread now holding its index has seen it yet.
pub(crate) fn serial() -> u64 {
    SERIAL.with(Cell::get)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn live_threads_hold_distinct_indices_and_exited_ones_give_theirs_back() {
        let mine = current().unwrap();
        assert_eq!(current(), Some(mine));
        assert_eq!(held(), Some(mine));
        let (tx, rx) = std::sync::mpsc::channel();
        let first = std::thread::spawn(move || {
            let index = current().unwrap();
            tx.send(index).unwrap();
            index
        })
        .join()
        .unwrap();
        assert_ne!(first, mine);
        assert_eq!(rx.recv().unwrap(), first);
        // The exited thread's index is free again (other tests' threads may take it first).
        let second = std::thread::spawn(|| current().unwrap()).join().unwrap();
        assert_ne!(second, mine);
        assert!(lock(&INDICES).next > first.max(second));
    }
}
