//! Typed object pools: [`Pool<T>`], its handles [`PoolBox`] and [`PoolArc`], the [`Reset`]
//! trait that cleans an object in place, and [`Pooled`], which `#[derive(Pooled)]` implements
//! to give a type its own process-wide pool.
//!
//! Objects live in boxed slots that carry a reference count, so [`PoolBox::into_shared`]
//! allocates nothing: the pooled allocation itself becomes the shared one.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::BuildHasher;
use std::mem;
use std::ops::{Deref, DerefMut};

use crate::cache::{Core, Local, ThreadCache, Tier};
use crate::raw::{Consume, Consumed, Emplace, Homed, Kept, Payload, RawArc, Slot};
use crate::stats::{Event, Stats};
use crate::sync::Arc;
use crate::PoolStats;

/// Idle objects a pool keeps when no capacity is given.
pub const DEFAULT_CAPACITY: usize = 1024;
/// Idle objects each thread's cache keeps for a process-wide typed pool, by default.
pub const DEFAULT_THREAD_CACHE: usize = 32;
/// The most idle objects (or buffers of one tier) a thread's cache keeps: the slots live in
/// the thread-local itself. `#[pooled(thread_cache = N)]` above this is a compile error.
///
/// # Examples
/// ```
/// assert!(bytepool::DEFAULT_THREAD_CACHE <= bytepool::MAX_THREAD_CACHE);
/// ```
pub const MAX_THREAD_CACHE: usize = crate::cache::MAGAZINE_SLOTS;

/// Cleans an object in place for reuse, keeping its allocations.
///
/// Implemented for the std types people pool: collections are cleared (capacity kept),
/// `Option` becomes `None`, numbers, `bool` and `char` become their default, and `Box`, arrays
/// and tuples reset their contents. `#[derive(Pooled)]` implements it field by field.
///
/// # Examples
/// ```
/// use bytepool::Reset;
///
/// let mut v = Vec::with_capacity(100);
/// v.push(1u8);
/// v.reset();
/// assert!(v.is_empty());
/// assert!(v.capacity() >= 100);
///
/// let mut pair = (Some(3), String::from("x"));
/// pair.reset();
/// assert_eq!(pair, (None, String::new()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `bytepool::Reset`",
    label = "no `Reset` for this type",
    note = "`#[derive(Pooled)]` resets every field: add `#[pooled(skip)]` to keep this field as is, \
            or `#[pooled(reset = path::to::fn)]` to reset it with a `fn(&mut T)`",
    note = "for a type of your own, derive `Pooled` or implement `bytepool::Reset`"
)]
pub trait Reset {
    /// Makes `self` ready for its next user.
    fn reset(&mut self);

    /// Whether [`reset`](Self::reset) would now run in line: no drop glue to run and no call
    /// out of line (for a collection, whether it is empty or its elements need no drop).
    /// A process-wide pool resets an object that says so in a function without a stack frame,
    /// and any other in a function of its own. Implemented by the std impls and
    /// `#[derive(Pooled)]`; the default (yes) keeps a hand-written `reset` in the first one.
    ///
    /// # Examples
    /// ```
    /// use bytepool::Reset;
    /// let mut names = vec![String::from("a")];
    /// assert!(!names.__resets_in_line()); // a `String` to drop
    /// names.reset();
    /// assert!(names.__resets_in_line());
    /// ```
    #[doc(hidden)]
    #[inline]
    fn __resets_in_line(&self) -> bool {
        true
    }
}

/// Collections whose allocation can be measured, for `#[pooled(max_capacity = N)]`.
///
/// # Examples
/// ```
/// use bytepool::Capacity;
/// assert!(Capacity::capacity(&Vec::<u8>::with_capacity(10)) >= 10);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no capacity to bound",
    label = "`max_capacity` needs a collection such as `Vec`, `String` or `HashMap`",
    note = "`#[pooled(max_capacity = N)]` applies to types implementing `bytepool::Capacity`"
)]
pub trait Capacity {
    /// How many elements the collection holds without reallocating.
    fn capacity(&self) -> usize;
}

macro_rules! reset_to_default {
    ($($t:ty)*) => {$(
        impl Reset for $t {
            #[inline]
            fn reset(&mut self) {
                *self = <$t>::default();
            }
        }
    )*};
}

reset_to_default!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 bool char);

impl Reset for () {
    #[inline]
    fn reset(&mut self) {}
}

/// Resets a collection by `clear`, which keeps its allocation. When the elements have drop
/// glue, the clear runs out of line and only for a non-empty collection: an idle `Vec<String>`
/// then costs a test in every reset, not an inlined drop loop whose saved registers every
/// return pays (about 0.3 ns of a typed round trip, measured). Without drop glue the clear
/// is a store or two and stays in line.
macro_rules! reset_by_clear {
    ($([$($g:tt)*] $t:ty => $elem:ty),* $(,)?) => {$(
        impl<$($g)*> Reset for $t {
            #[inline]
            fn reset(&mut self) {
                if !mem::needs_drop::<$elem>() {
                    self.clear();
                } else if !self.is_empty() {
                    out_of_line(self, Self::clear);
                }
            }

            #[inline]
            fn __resets_in_line(&self) -> bool {
                !mem::needs_drop::<$elem>() || self.is_empty()
            }
        }
    )*};
}

reset_by_clear!(
    [T] Vec<T> => T,
    [] String => u8,
    [T] VecDeque<T> => T,
    [T] BinaryHeap<T> => T,
    [K, V, S] HashMap<K, V, S> => (K, V),
    [T, S] HashSet<T, S> => T,
    [K, V] BTreeMap<K, V> => (K, V),
    [T] BTreeSet<T> => T,
);

/// Calls `f(value)` in a frame of its own.
#[inline(never)]
fn out_of_line<T: ?Sized>(value: &mut T, f: impl FnOnce(&mut T)) {
    f(value);
}

macro_rules! capacity {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> Capacity for $t {
            #[inline]
            fn capacity(&self) -> usize {
                <$t>::capacity(self)
            }
        }
    )*};
}

capacity!(
    [T] Vec<T>,
    [] String,
    [T] VecDeque<T>,
    [T] BinaryHeap<T>,
    [K, V, S: BuildHasher] HashMap<K, V, S>,
    [T, S: BuildHasher] HashSet<T, S>,
);

impl<T> Reset for Option<T> {
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        !mem::needs_drop::<T>() || self.is_none()
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        (**self).__resets_in_line()
    }
}

impl<T: Reset, const N: usize> Reset for [T; N] {
    #[inline]
    fn reset(&mut self) {
        self.iter_mut().for_each(Reset::reset);
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        self.iter().all(Reset::__resets_in_line)
    }
}

macro_rules! reset_tuple {
    ($($name:ident)+) => {
        impl<$($name: Reset),+> Reset for ($($name,)+) {
            #[inline]
            #[allow(non_snake_case)]
            fn reset(&mut self) {
                let ($($name,)+) = self;
                $($name.reset();)+
            }

            #[inline]
            #[allow(non_snake_case)]
            fn __resets_in_line(&self) -> bool {
                let ($($name,)+) = self;
                true $(&& $name.__resets_in_line())+
            }
        }
    };
}

reset_tuple!(A);
reset_tuple!(A B);
reset_tuple!(A B C);
reset_tuple!(A B C D);
reset_tuple!(A B C D E);
reset_tuple!(A B C D E F);
reset_tuple!(A B C D E F G);
reset_tuple!(A B C D E F G H);

/// Resets `value`, or replaces it with its default when its capacity grew beyond `max` (what
/// `#[pooled(max_capacity = N)]` generates).
///
/// # Examples
/// ```
/// let mut small = Vec::<u8>::with_capacity(8);
/// bytepool::reset_bounded(&mut small, 64);
/// assert!(small.capacity() >= 8);
/// let mut big = Vec::<u8>::with_capacity(1000);
/// bytepool::reset_bounded(&mut big, 64);
/// assert_eq!(big.capacity(), 0);
/// ```
#[inline]
pub fn reset_bounded<T: Reset + Capacity + Default>(value: &mut T, max: usize) {
    if value.capacity() > max {
        *value = T::default();
    } else {
        value.reset();
    }
}

/// A type with its own process-wide pool; implement it with `#[derive(Pooled)]`.
///
/// ```
/// use bytepool::{PoolArc, PoolBox, PoolStats, Pooled};
///
/// #[derive(Pooled, Default)]
/// #[pooled(capacity = 1024)]
/// struct LogEntry {
///     timestamp: i64,
///     message: Vec<u8>,
///     #[pooled(max_capacity = 65536)]
///     fields: Vec<(String, String)>,
///     #[pooled(skip)]
///     origin: &'static str,
/// }
///
/// let mut e: PoolBox<LogEntry> = LogEntry::take();
/// e.message.extend_from_slice(b"hello");
/// let shared: PoolArc<LogEntry> = e.into_shared();
/// drop(shared); // reset, back to the pool
/// let again = LogEntry::take();
/// assert!(again.message.is_empty() && again.message.capacity() >= 5);
/// assert_eq!(again.origin, ""); // skipped: kept as it was (here, never set)
/// println!("{}", LogEntry::pool().stats());
/// ```
///
/// The derive resets every field with [`Reset`] unless told otherwise: `#[pooled(skip)]` keeps
/// a field, `#[pooled(reset = path)]` calls a `fn(&mut Field)`, `#[pooled(max_capacity = N)]`
/// replaces a collection that grew beyond `N`. Struct attributes: `capacity = N` (idle objects
/// kept, default 1024), `thread_cache = N` (per-thread cache, default 32, at most
/// [`MAX_THREAD_CACHE`], 0 disables), `new = path` (constructor for types that are not
/// `Default`), `crate = "path"`.
///
/// A process-wide pool is a `static`, so it needs a non-generic `Send` type. A generic struct
/// gets only `Reset` from the derive and is pooled through an instance [`Pool`].
pub trait Pooled: Reset + Send + Sized + 'static {
    /// The type's process-wide pool, created on first use.
    fn pool() -> &'static Pool<Self>;

    /// An object from the type's pool.
    #[inline]
    fn take() -> PoolBox<Self> {
        get_cached::<Self>(&Self::pool().shared)
    }

    #[doc(hidden)]
    fn __with_cache<R, F: FnOnce(&ThreadCache<Entry<Self>>) -> R>(f: F) -> Option<R>;

    /// A new object (the derive's `new` path, or `Default`), called directly rather than
    /// through the pool's factory so that a large object is built in its slot.
    #[doc(hidden)]
    fn __new() -> Self;
}

/// A pooled object's slot: the object and the pool it returns to (kept while idle for a
/// process-wide pool; an instance pool's is set only while the object is handed out).
#[doc(hidden)]
pub struct Entry<T: 'static>(Box<Slot<Obj<T>>>);

impl<T> Kept for Entry<T> {
    type Boxed = Box<Slot<Obj<T>>>;

    #[inline(always)]
    fn into_boxed(self) -> Self::Boxed {
        self.0
    }

    #[inline(always)]
    fn from_boxed(boxed: Self::Boxed) -> Self {
        Entry(boxed)
    }
}

impl<T> fmt::Debug for Entry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entry")
    }
}

/// An object in its slot, with the pool it returns to.
pub(crate) type Obj<T> = Homed<T, Option<ObjHome<T>>>;

pub(crate) enum ObjHome<T: 'static> {
    Global(&'static ObjShared<T>),
    Instance(Arc<ObjShared<T>>),
}

impl<T> ObjHome<T> {
    fn shared(&self) -> &ObjShared<T> {
        match self {
            ObjHome::Global(shared) => shared,
            ObjHome::Instance(shared) => shared,
        }
    }
}

/// How a pool reaches its objects: through the thread cache (process-wide pools) or not.
struct ObjVtable<T: 'static> {
    get: fn(&ObjShared<T>) -> Entry<T>,
    put: fn(&ObjShared<T>, Entry<T>, bool),
    count: fn(&ObjShared<T>, ObjEvent),
    /// Where a handle from this pool returns (global pools: a `'static` reference, no count).
    home: fn(&Arc<ObjShared<T>>) -> ObjHome<T>,
    trim_cache: fn(&ObjShared<T>) -> usize,
}

#[derive(Clone, Copy)]
enum ObjEvent {
    Detach,
    DropReturned,
    ForeignPut,
}

type Resetter<T> = Box<dyn Fn(&mut T) + Send + Sync>;

pub(crate) struct ObjShared<T: 'static> {
    core: Core<Entry<T>>,
    factory: Emplace<T>,
    reset: Resetter<T>,
    vtable: &'static ObjVtable<T>,
    /// Resets a returned object and puts it back (a process-wide pool calls `T::reset`
    /// directly, so the derive's generated reset can be inlined). Here rather than in the
    /// vtable: a handle's drop calls it, one load fewer.
    release: Release<T>,
    global: bool,
}

type Release<T> = fn(&ObjShared<T>, Box<Slot<Obj<T>>>);

// As for byte pools: the pool's own state is consistent after a panic, including one in the
// user's reset (see `PoolBox`'s drop). Objects of a type that is not unwind-safe still make the
// handles that expose them not unwind-safe.
impl<T> std::panic::RefUnwindSafe for ObjShared<T> {}

/// A bounded pool of `T` objects, reset when they come back.
///
/// The typed counterpart of [`BytePool`](crate::BytePool): [`get`](Self::get) hands out a
/// [`PoolBox`], whose drop resets the object and returns it (or drops it when the pool already
/// holds `capacity` idle objects). Statistics are the same [`Stats`] as a byte pool's, with one
/// tier whose `size` is `size_of::<T>()`.
///
/// A panic inside the reset function leaves the pool consistent: that object is dropped (once),
/// not returned, and counted in [`Stats::discarded`]; the panic continues.
///
/// Pools made here are instance pools, without thread caches: each get and return visits the
/// shared queue and counters, and each handle holds a reference count on its pool. They cost
/// several times what the process-wide pool of a `#[derive(Pooled)]` type costs
/// ([`Pooled::take`], whose threads keep caches); for a small struct, more than `Box::new`.
///
/// # Examples
/// ```
/// use bytepool::{Pool, PoolStats};
///
/// let pool = Pool::with(|| Vec::<u32>::with_capacity(64), |v| v.clear());
/// let mut v = pool.get();
/// v.push(7);
/// drop(v);
/// let v = pool.get();
/// assert!(v.is_empty() && v.capacity() >= 64);
/// assert_eq!(pool.stats().tiers[0].hits, 1);
/// ```
pub struct Pool<T: 'static> {
    shared: Arc<ObjShared<T>>,
}

impl<T: Reset + Default + 'static> Pool<T> {
    /// An instance pool of `T::default()` objects, reset with [`Reset`], keeping up to
    /// [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<String>::new();
    /// pool.get().push_str("scratch");
    /// assert!(pool.get().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with(T::default, T::reset)
    }
}

impl<T: Reset + Default + 'static> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> Pool<T> {
    /// An instance pool of objects made by `factory` and cleaned by `reset` (the Go
    /// `sync.Pool`-style constructor), keeping up to [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::with(|| [0u8; 32], |a| a.fill(0));
    /// assert_eq!(*pool.get(), [0; 32]);
    /// ```
    #[must_use]
    pub fn with(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, factory, reset)
    }

    /// Like [`with`](Self::with), keeping at most `capacity` idle objects (`0` keeps none).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::with_capacity(1, String::new, String::clear);
    /// let (a, b) = (pool.get(), pool.get());
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert_eq!(pool.stats().discarded, 1);
    /// ```
    #[must_use]
    pub fn with_capacity(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Pool {
            shared: Arc::new(ObjShared {
                core: Core::new(
                    Box::new([Tier::new(mem::size_of::<T>(), capacity, 0)]),
                    None,
                    false,
                ),
                factory: Emplace::new(factory),
                reset: Box::new(reset),
                vtable: &UncachedVtable::<T>::VTABLE,
                release: UncachedVtable::<T>::RELEASE,
                global: false,
            }),
        }
    }

    /// An object from the pool: an idle one, reset when it came back, or a new one.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<Vec<u8>>::new();
    /// let mut v = pool.get();
    /// v.extend_from_slice(b"abc");
    /// assert_eq!(v.len(), 3);
    /// ```
    #[inline]
    pub fn get(&self) -> PoolBox<T> {
        let entry = (self.shared.vtable.get)(&self.shared);
        PoolBox::handed_out(entry, (self.shared.vtable.home)(&self.shared))
    }

    /// Resets `value` and keeps it idle (dropped if the pool is full). Counted in
    /// [`Stats::foreign_puts`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::<Vec<u8>>::new();
    /// pool.put(Vec::with_capacity(10));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert!(pool.get().capacity() >= 10);
    /// ```
    pub fn put(&self, mut value: T) {
        (self.shared.reset)(&mut value);
        let entry = Entry(Slot::new_homed(None, || value));
        (self.shared.vtable.count)(&self.shared, ObjEvent::ForeignPut);
        (self.shared.vtable.put)(&self.shared, entry, false);
    }

    /// Drops every idle object of the shared pool and of the calling thread's cache; returns
    /// how many bytes of `T` (`size_of::<T>()` each) that freed.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<u64>::new();
    /// drop(pool.get());
    /// assert_eq!(pool.trim(), 8);
    /// ```
    pub fn trim(&self) -> usize {
        (self.shared.vtable.trim_cache)(&self.shared) + self.shared.core.trim()
    }
}

impl<T: 'static> PoolStats for Pool<T> {
    fn stats(&self) -> Stats {
        let core = &self.shared.core;
        core.registry.snapshot(&[mem::size_of::<T>()], None)
    }
}

impl<T: 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("type", &std::any::type_name::<T>())
            .field("global", &self.shared.global)
            .finish_non_exhaustive()
    }
}

impl<T: Pooled> Pool<T> {
    /// Builds the process-wide pool of `T` (called once, by the code `#[derive(Pooled)]`
    /// generates).
    #[doc(hidden)]
    #[must_use]
    pub fn __new_global(capacity: usize, thread_cache: usize) -> Self {
        Pool {
            shared: Arc::new(ObjShared {
                core: Core::new(
                    Box::new([Tier::new(mem::size_of::<T>(), capacity, thread_cache)]),
                    None,
                    false,
                ),
                factory: Emplace::new(T::__new),
                reset: Box::new(T::reset),
                vtable: &CachedVtable::<T>::VTABLE,
                release: CachedVtable::<T>::RELEASE,
                global: true,
            }),
        }
    }
}

struct UncachedVtable<T>(T);

impl<T: 'static> UncachedVtable<T> {
    const VTABLE: ObjVtable<T> = ObjVtable {
        get: |shared| {
            get_in(&mut <Local<'_, _>>::uncached(&shared.core), || {
                Slot::new_from(None, &shared.factory)
            })
        },
        put: |shared, entry, returned| {
            <Local<'_, _>>::uncached(&shared.core).put_tier(0, entry, returned, true);
        },
        count: |shared, event| count_in(&mut <Local<'_, _>>::uncached(&shared.core), event),
        home: |shared| ObjHome::Instance(Arc::clone(shared)),
        trim_cache: |_| 0,
    };

    const RELEASE: Release<T> = |shared, slot| {
        release_with(
            shared,
            slot,
            |value| (shared.reset)(value),
            |entry| (Self::VTABLE.put)(shared, entry, true),
        );
    };
}

struct CachedVtable<T>(T);

impl<T: Pooled> CachedVtable<T> {
    const VTABLE: ObjVtable<T> = ObjVtable {
        get: |shared| get_global::<T>(shared),
        put: put_global::<T>,
        count: |shared, event| with_local::<T, _>(shared, |local| count_in(local, event)),
        home: |_| ObjHome::Global(&T::pool().shared),
        trim_cache: |shared| with_local::<T, _>(shared, |local| local.trim_cache()),
    };

    /// An object whose reset runs in line is reset and kept here, in a function that then
    /// needs no stack frame; any other is handed to a function of its own, whose frame holds
    /// what its out-of-line calls need (see [`Reset::__resets_in_line`]).
    const RELEASE: Release<T> = |shared, slot| {
        if slot.value.value.__resets_in_line() {
            reset_and_put(shared, slot);
        } else {
            reset_and_put_out_of_line(shared, slot);
        }
    };
}

/// Resets the object and keeps it in `T`'s process-wide pool.
#[inline(always)]
fn reset_and_put<T: Pooled>(shared: &ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    release_with(shared, slot, T::reset, |entry| {
        put_global(shared, entry, true)
    });
}

#[inline(never)]
fn reset_and_put_out_of_line<T: Pooled>(shared: &ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    reset_and_put(shared, slot);
}

/// An idle object, or a new one in the slot `make` builds.
fn get_in<T>(
    local: &mut Local<'_, Entry<T>>,
    make: impl FnOnce() -> Box<Slot<Obj<T>>>,
) -> Entry<T> {
    let made = local.get_tier(0, true, |_| Ok(Entry(make())));
    match made {
        Ok(entry) => entry,
        Err(err) => unreachable!("object factories do not fail: {err}"),
    }
}

fn count_in<T>(local: &mut Local<'_, Entry<T>>, event: ObjEvent) {
    match event {
        ObjEvent::Detach => local.detach(true),
        ObjEvent::DropReturned => local.drop_returned(0, true),
        ObjEvent::ForeignPut => local.count(Event::ForeignPut, true),
    }
}

/// Runs `f` in the calling thread's cache of `T`'s process-wide pool, or uncached.
#[inline]
fn with_local<T: Pooled, R>(
    shared: &ObjShared<T>,
    f: impl FnOnce(&mut Local<'_, Entry<T>>) -> R,
) -> R {
    let mut f = Some(f);
    if let Some(Some(done)) =
        T::__with_cache(|cache| f.take().map(|f| cache.run(global_core::<T>, f)))
    {
        return done;
    }
    match f.take() {
        Some(f) => f(&mut <Local<'_, _>>::uncached(&shared.core)),
        None => unreachable!("the thread cache consumed the operation without finishing it"),
    }
}

fn global_core<T: Pooled>() -> &'static Core<Entry<T>> {
    &T::pool().shared.core
}

/// An object of `T`'s process-wide pool: the calling thread's magazine, or the general path.
#[inline]
fn get_global<T: Pooled>(shared: &ObjShared<T>) -> Entry<T> {
    match T::__with_cache(|cache| cache.pop(0, 0, false, true)) {
        Some(Some(entry)) => entry,
        _ => get_global_slow(shared),
    }
}

/// The general path of [`get_global`], out of the hot path's straight line (see
/// `BytePool::get_block_slow`).
#[cold]
#[inline(never)]
fn get_global_slow<T: Pooled>(shared: &ObjShared<T>) -> Entry<T> {
    with_local::<T, _>(shared, |local| {
        get_in(local, || Slot::new_homed(None, T::__new))
    })
}

/// The fast path of [`Pooled::take`]: no vtable, no reference count.
#[inline]
fn get_cached<T: Pooled>(shared: &'static ObjShared<T>) -> PoolBox<T> {
    PoolBox::handed_out(get_global::<T>(shared), ObjHome::Global(shared))
}

/// Puts an object back into `T`'s process-wide pool: the calling thread's magazine when it
/// has room (and the object was handed out, not a foreign put), the general path otherwise.
#[inline(always)]
fn put_global<T: Pooled>(shared: &ObjShared<T>, entry: Entry<T>, returned: bool) {
    let mut entry = Some(entry);
    if returned {
        T::__with_cache(|cache| cache.push(0, &mut entry, true));
    }
    if let Some(entry) = entry {
        put_global_slow(shared, entry, returned);
    }
}

#[inline(never)]
fn put_global_slow<T: Pooled>(shared: &ObjShared<T>, entry: Entry<T>, returned: bool) {
    with_local::<T, _>(shared, |local| local.put_tier(0, entry, returned, true));
}

/// A unique handle to a pooled object; dropping it resets the object and returns it.
///
/// `Send` when `T` is; `Sync` when `T` is `Send + Sync`.
///
/// # Examples
/// ```
/// use bytepool::{Pool, PoolBox};
///
/// let pool = Pool::<Vec<u8>>::new();
/// let mut buf: PoolBox<Vec<u8>> = pool.get();
/// buf.push(1);
/// let owned: Vec<u8> = buf.into_inner(); // detached: never returned
/// assert_eq!(owned, [1]);
/// ```
#[must_use = "dropping a handle returns the object to the pool at once"]
pub struct PoolBox<T: 'static> {
    held: Consumed<Held<T>>,
}

/// What a [`PoolBox`] holds: its object's slot. Dropping the handle consumes it (see
/// [`Consume`]): the object is reset and returned.
struct Held<T: 'static>(Box<Slot<Obj<T>>>);

impl<T> Consume for Held<T> {
    #[inline(always)]
    fn consume(self) {
        let slot = self.0;
        match slot.value.home {
            // A process-wide pool's `'static` home stays in the slot for the next hand-out,
            // which spares writing it twice per round trip.
            Some(ObjHome::Global(shared)) => {
                if std::thread::panicking() {
                    return drop_while_unwinding(shared, slot);
                }
                (shared.release)(shared, slot);
            }
            _ => release_off_global(slot),
        }
    }
}

/// A handle dropped while its thread unwinds: the object is dropped, not reset (user code must
/// not run now: a second panic would abort), and counted as returned then dropped.
#[cold]
#[inline(never)]
fn drop_while_unwinding<T>(shared: &ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    (shared.vtable.count)(shared, ObjEvent::DropReturned);
    drop(slot);
}

/// The drop of a handle of an instance pool (or of no pool), out of line: the pool's reference
/// count released after the call would otherwise give every handle's drop a stack frame.
/// `#[cold]` keeps it out of the global path's straight line.
#[cold]
#[inline(never)]
fn release_off_global<T>(mut slot: Box<Slot<Obj<T>>>) {
    // An instance pool's reference leaves the slot, so that idle objects do not keep their
    // pool alive.
    let Some(ObjHome::Instance(shared)) = slot.value.home.take() else {
        // No home (not handed out by a pool): the object is simply dropped.
        return;
    };
    if std::thread::panicking() {
        return drop_while_unwinding(&shared, slot);
    }
    (shared.release)(&shared, slot);
}

impl<T: 'static> PoolBox<T> {
    #[inline(always)]
    fn from_slot(slot: Box<Slot<Obj<T>>>) -> Self {
        PoolBox {
            held: Consumed::new(Held(slot)),
        }
    }

    #[inline]
    fn handed_out(entry: Entry<T>, home: ObjHome<T>) -> Self {
        let mut slot = entry.0;
        // A process-wide pool's objects keep their home while idle (see `Held::consume`).
        slot.value.home.get_or_insert(home);
        PoolBox::from_slot(slot)
    }

    fn obj(&self) -> &Obj<T> {
        &self.held.0.value
    }

    fn obj_mut(&mut self) -> &mut Obj<T> {
        &mut self.held.0.value
    }

    fn take_slot(self) -> Box<Slot<Obj<T>>> {
        self.held.into_inner().0
    }

    /// Shares the object: a reference-counted [`PoolArc`] with a count of one. Allocates
    /// nothing: the pooled slot carries the count.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<String>::new();
    /// let mut s = pool.get();
    /// s.push_str("hi");
    /// let a = s.into_shared();
    /// let b = a.clone();
    /// assert_eq!((b.as_str(), a.ref_count()), ("hi", 2));
    /// ```
    pub fn into_shared(self) -> PoolArc<T> {
        PoolArc {
            raw: RawArc::from_box(self.take_slot()),
        }
    }

    /// Detaches the object from its pool: it will never be returned. Counted in
    /// [`Stats::detached`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::<String>::new();
    /// let s: String = pool.get().into_inner();
    /// assert_eq!(pool.stats().detached, 1);
    /// # drop(s);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        let slot = self.take_slot();
        let Obj { value, home } = slot.value;
        if let Some(home) = home {
            let shared = home.shared();
            (shared.vtable.count)(shared, ObjEvent::Detach);
        }
        value
    }
}

/// Resets a returned object with `reset` and hands it to `put`. If `reset` panics, the object
/// is counted as returned-then-dropped and dropped once, by the unwinding `slot`.
#[inline]
fn release_with<T>(
    shared: &ObjShared<T>,
    mut slot: Box<Slot<Obj<T>>>,
    reset: impl FnOnce(&mut T),
    put: impl FnOnce(Entry<T>),
) {
    let guard = CountOnUnwind { shared };
    reset(&mut slot.value.value);
    mem::forget(guard);
    put(Entry(slot));
}

/// Counts the object as dropped when the user's reset panics (the object itself is dropped by
/// the unwinding `slot`, once).
struct CountOnUnwind<'a, T: 'static> {
    shared: &'a ObjShared<T>,
}

impl<T> Drop for CountOnUnwind<'_, T> {
    fn drop(&mut self) {
        (self.shared.vtable.count)(self.shared, ObjEvent::DropReturned);
    }
}

impl<T: 'static> Deref for PoolBox<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.obj().value
    }
}

impl<T: 'static> DerefMut for PoolBox<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.obj_mut().value
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for PoolBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PoolBox").field(&**self).finish()
    }
}

impl<T> Payload for Obj<T> {
    fn last_release(slot: Box<Slot<Self>>) {
        drop(PoolBox::from_slot(slot));
    }
}

/// A shared handle to a pooled object: `clone` retains, drop releases, and the last release
/// resets the object and returns it exactly once.
///
/// `Send` and `Sync` when `T` is `Send + Sync`. A count that would overflow aborts.
///
/// # Examples
/// ```
/// let pool = bytepool::Pool::<Vec<u32>>::new();
/// let mut v = pool.get();
/// v.extend([1, 2, 3]);
/// let shared = v.into_shared();
/// let worker = shared.clone();
/// std::thread::spawn(move || assert_eq!(worker.len(), 3)).join().unwrap();
/// let mut unique = shared.try_unwrap().unwrap(); // the worker's clone is gone
/// unique.clear();
/// ```
#[must_use = "dropping the last reference returns the object to the pool at once"]
pub struct PoolArc<T: 'static> {
    raw: RawArc<Obj<T>>,
}

impl<T: 'static> PoolArc<T> {
    /// The number of references (other threads may change it at any time).
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::Pool::<u8>::new().get().into_shared();
    /// assert_eq!(a.ref_count(), 1);
    /// ```
    #[inline]
    pub fn ref_count(&self) -> usize {
        self.raw.ref_count()
    }

    /// Mutable access when this is the only reference.
    ///
    /// # Examples
    /// ```
    /// let mut a = bytepool::Pool::<u8>::new().get().into_shared();
    /// *a.get_mut().unwrap() = 5;
    /// let b = a.clone();
    /// assert!(a.get_mut().is_none());
    /// # drop(b);
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.raw.get_mut().map(|obj| &mut obj.value)
    }

    /// The unique handle back when this is the only reference; `self` otherwise.
    ///
    /// # Errors
    /// Returns `self` when other references exist.
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::Pool::<u8>::new().get().into_shared();
    /// let b = a.clone();
    /// let a = a.try_unwrap().unwrap_err();
    /// drop(b);
    /// assert!(a.try_unwrap().is_ok());
    /// ```
    pub fn try_unwrap(self) -> Result<PoolBox<T>, Self> {
        match self.raw.try_unwrap() {
            Ok(slot) => Ok(PoolBox::from_slot(slot)),
            Err(raw) => Err(PoolArc { raw }),
        }
    }
}

impl<T: 'static> Clone for PoolArc<T> {
    #[inline]
    fn clone(&self) -> Self {
        PoolArc {
            raw: self.raw.clone(),
        }
    }
}

impl<T: 'static> Deref for PoolArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.raw.get().value
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for PoolArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolArc")
            .field("value", &**self)
            .field("ref_count", &self.ref_count())
            .finish()
    }
}

/// Asserts at compile time that a type can have a process-wide pool.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Send`, so it cannot have a process-wide pool",
    label = "not `Send`",
    note = "use an instance pool instead: `bytepool::Pool::<{Self}>::new()`, which may stay on one thread"
)]
pub trait AssertSend {}

// Without this, rustc looks through the blanket impl and reports the plain "cannot be sent
// between threads" error instead of the message above.
#[diagnostic::do_not_recommend]
impl<T: ?Sized + Send> AssertSend for T {}
