//! The std/loom switch: every atomic, lock, cell and lazily-initialised static used by the pools
//! comes from here, so `RUSTFLAGS="--cfg loom"` model-checks the real code (sharded-slab's
//! pattern).
//!
//! `crossbeam_queue::ArrayQueue` is not loom-aware, so under loom it is replaced by a
//! mutex-protected stand-in with the same (bounded, non-blocking) interface.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use crossbeam_queue::ArrayQueue;

/// Declares a `const fn` where std's atomics allow it: loom's constructors are not `const`.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name() -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name() -> $ret $body
    };
}
pub(crate) use const_unless_loom;

/// Waits a moment in a retry loop (under loom, lets another thread run).
pub(crate) fn spin() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Locks `mutex`, ignoring poisoning: every critical section in this crate leaves the data
/// consistent before it can panic, so a poisoned lock holds valid data.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(loom)]
pub(crate) use loom_queue::ArrayQueue;

#[cfg(loom)]
mod loom_queue {
    use std::collections::VecDeque;

    /// A loom-visible stand-in for `crossbeam_queue::ArrayQueue`: same bounded interface.
    #[derive(Debug)]
    pub(crate) struct ArrayQueue<T> {
        cap: usize,
        items: loom::sync::Mutex<VecDeque<T>>,
    }

    impl<T> ArrayQueue<T> {
        pub(crate) fn new(cap: usize) -> Self {
            assert!(cap > 0, "capacity must be non-zero");
            ArrayQueue {
                cap,
                items: loom::sync::Mutex::new(VecDeque::with_capacity(cap)),
            }
        }

        pub(crate) fn push(&self, value: T) -> Result<(), T> {
            let mut items = self.items.lock().unwrap();
            if items.len() == self.cap {
                return Err(value);
            }
            items.push_back(value);
            Ok(())
        }

        pub(crate) fn pop(&self) -> Option<T> {
            self.items.lock().unwrap().pop_front()
        }

        pub(crate) fn len(&self) -> usize {
            self.items.lock().unwrap().len()
        }
    }
}
