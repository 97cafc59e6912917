//! The std/loom switch: every atomic, lock, cell and lazily-initialised static used by the pools
//! comes from here, so `RUSTFLAGS="--cfg loom"` model-checks the real code (sharded-slab's
//! pattern).
//!
//! `crossbeam_queue::ArrayQueue` is not loom-aware, so under loom it is replaced by a
//! mutex-protected stand-in with the same (bounded, non-blocking) interface.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{
        fence, AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    },
    Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{
        fence, AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    },
    Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use crossbeam_queue::ArrayQueue;

#[cfg(loom)]
pub(crate) use loom::cell::Cell;
/// A thread cache's cells: loom's checks every access for a data race, which is how the models
/// see one thread touching another's magazine.
#[cfg(not(loom))]
pub(crate) use std::cell::Cell;

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

/// Whether this is a loom build: sizes that loom explores state by state (a ring of recent
/// lengths, the buckets of a life's slot table, the counts in a length word) are kept small
/// there, and what loom does not model (exit work of a thread) is skipped.
pub(crate) const LOOM: bool = cfg!(loom);

/// Declares a static built at compile time; under loom, built on first use in each model
/// execution (loom's atomics and locks are neither `const` nor shared across executions).
/// Either way `&*NAME` is the `&'static` value.
macro_rules! static_init {
    ($(#[$attr:meta])* static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        static $name: $ty = $init;
        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$attr])*
            static ref $name: $ty = $init;
        }
    };
    ($(#[$attr:meta])* pub(crate) static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        pub(crate) static $name: $ty = $init;
        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$attr])*
            pub(crate) static ref $name: $ty = $init;
        }
    };
}
pub(crate) use static_init;

/// `N` atomics at zero, in a `const` context where std allows it.
macro_rules! zeroed_atomics {
    ($atomic:ident; $n:expr) => {{
        #[cfg(not(loom))]
        let atomics = [const { $atomic::new(0) }; $n];
        #[cfg(loom)]
        let atomics = std::array::from_fn(|_| $atomic::new(0));
        atomics
    }};
}
pub(crate) use zeroed_atomics;

/// Waits a moment in a retry loop (under loom, lets another thread run).
pub(crate) fn spin() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Waits for another thread in a loop: spins briefly, then yields the processor (under loom,
/// lets another thread run at once).
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    inner: crossbeam_utils::Backoff,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            #[cfg(not(loom))]
            inner: crossbeam_utils::Backoff::new(),
        }
    }

    pub(crate) fn snooze(&self) {
        #[cfg(not(loom))]
        self.inner.snooze();
        #[cfg(loom)]
        loom::thread::yield_now();
    }
}

/// Declares thread-locals whose initialisers are `const` where std allows it (no lazy-init
/// check on access); loom's thread-locals take the same initialisers, lazily.
macro_rules! thread_local_const {
    ($($(#[$attr:meta])* static $name:ident: $ty:ty = $init:expr;)*) => {
        #[cfg(not(loom))]
        std::thread_local! {
            $($(#[$attr])* static $name: $ty = const { $init };)*
        }
        #[cfg(loom)]
        loom::thread_local! {
            $($(#[$attr])* static $name: $ty = $init;)*
        }
    };
}
pub(crate) use thread_local_const;

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

/// A bounded queue allocated on its first push, so that a tier that never keeps a block costs
/// no allocation (building an instance pool allocates no queue). Under loom, allocated at once.
pub(crate) struct LazyQueue<T> {
    #[cfg(not(loom))]
    cap: usize,
    #[cfg(not(loom))]
    queue: std::sync::OnceLock<ArrayQueue<T>>,
    #[cfg(loom)]
    queue: ArrayQueue<T>,
}

impl<T> LazyQueue<T> {
    pub(crate) fn new(cap: usize) -> Self {
        LazyQueue {
            #[cfg(not(loom))]
            cap,
            #[cfg(not(loom))]
            queue: std::sync::OnceLock::new(),
            #[cfg(loom)]
            queue: ArrayQueue::new(cap),
        }
    }

    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        #[cfg(not(loom))]
        let queue = self.queue.get_or_init(|| ArrayQueue::new(self.cap));
        #[cfg(loom)]
        let queue = &self.queue;
        queue.push(value)
    }

    pub(crate) fn pop(&self) -> Option<T> {
        #[cfg(not(loom))]
        let queue = self.queue.get()?;
        #[cfg(loom)]
        let queue = &self.queue;
        queue.pop()
    }

    pub(crate) fn len(&self) -> usize {
        #[cfg(not(loom))]
        let queue = self.queue.get();
        #[cfg(loom)]
        let queue = Some(&self.queue);
        queue.map_or(0, ArrayQueue::len)
    }
}

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

/// What the code that `define_tiers!` and `#[derive(Pooled)]` generate reaches through
/// `bytepool::__private`, std's or loom's.
pub(crate) mod generated {
    #[cfg(loom)]
    pub use loom;
    #[cfg(not(loom))]
    pub use std::sync::OnceLock;

    #[cfg(not(loom))]
    pub use crate::raw::{Anchored, Keeper};
}

/// A `&'static` to a value created on first use (the one std/loom switch for the generated
/// process-wide pools: loom's statics are reset for every model execution).
///
/// With `checked { statements }`, the statements are type-checked (never run) in the length of
/// the one-element array that holds the `static`: if they fail to compile, the array's type is
/// an error and rustc checks nothing else about the `static` (see `__pooled_items!`).
#[doc(hidden)]
#[macro_export]
#[cfg(not(loom))]
macro_rules! __global_static {
    ($ty:ty = $init:expr) => {{
        static __STATIC: $crate::__private::OnceLock<$ty> = $crate::__private::OnceLock::new();
        __STATIC.get_or_init(|| $init)
    }};
    ($ty:ty = $init:expr, checked { $($check:tt)* }) => {{
        static __STATIC: [$crate::__private::OnceLock<$ty>; {
            $($check)*
            1
        }] = [$crate::__private::OnceLock::new()];
        __STATIC[0].get_or_init(|| $init)
    }};
}

#[doc(hidden)]
#[macro_export]
#[cfg(loom)]
macro_rules! __global_static {
    ($ty:ty = $init:expr $(, checked { $($check:tt)* })?) => {{
        $(const _: () = { $($check)* };)?
        $crate::__private::loom::lazy_static! {
            static ref __STATIC: $ty = $init;
        }
        &*__STATIC
    }};
}

/// Runs `$f` with the calling thread's cache of type `$ty`: a destructor-free thread-local,
/// next to the thread-local [`Keeper`](crate::raw::Keeper) that links it to its pool and
/// empties it at thread exit. Always `Some` (the `Option` is for loom, whose thread-locals can
/// be destroyed).
#[doc(hidden)]
#[macro_export]
#[cfg(not(loom))]
macro_rules! __thread_cache {
    ($ty:ty, $f:expr) => {{
        fn __hold(attached: <$ty as $crate::__private::Anchored>::Target) -> bool {
            $crate::__private::Keeper::hold(&__KEEPER, &__CACHE, attached)
        }
        ::std::thread_local! {
            static __CACHE: $ty = const { $crate::__private::ThreadCache::new(__hold) };
            static __KEEPER: $crate::__private::Keeper<$ty> =
                const { $crate::__private::Keeper::new() };
        }
        $crate::__private::core::option::Option::Some(__CACHE.with(|__cache| $f(__cache)))
    }};
}

#[doc(hidden)]
#[macro_export]
#[cfg(loom)]
macro_rules! __thread_cache {
    ($ty:ty, $f:expr) => {{
        $crate::__private::loom::thread_local! {
            static __CACHE: $ty = $crate::__private::ThreadCache::new();
        }
        __CACHE.try_with(|__cache| $f(__cache)).ok()
    }};
}
