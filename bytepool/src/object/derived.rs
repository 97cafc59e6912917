//! What the code `#[derive(Pooled)]` generates checks and calls (through `__private`, not
//! public API): the `Send` check of a process-wide pool, field by field, and the inherent
//! `take()` and `pool()` a struct gets, which need no `use bytepool::Pooled`.
//!
//! Both pick their code by method resolution, which prefers an inherent method whose bounds
//! hold to a trait method of the same name (dtolnay's autoref specialization). That lets the
//! generated code say "this if a bound holds, else that" about a type the derive cannot
//! inspect.

use std::marker::PhantomData;

use super::{Pool, PoolBox, Pooled};

/// The check that a pooled type is `Send`, made once per field.
///
/// `{Self}` is the struct, `F` a field type that is not `Send`: rustc reports the struct's
/// problem on the field that causes it. A struct with an `unsafe impl Send` passes whatever its
/// fields are, since only the struct is required to be `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Send`, so it cannot have a process-wide pool",
    label = "`{F}` is not `Send`",
    note = "use an instance pool instead: `bytepool::Pool::<{Self}>::new()`, which may stay on one thread"
)]
pub trait AssertSend<F: ?Sized> {
    /// Called, as `AssertSend::<F>::assert_send(&owner)`, so that the obligation comes from the
    /// trait path itself: rustc then adds no "required by a bound in" note pointing here.
    #[inline(always)]
    fn assert_send(&self) {}
}

// Without `do_not_recommend`, rustc looks through the blanket impl and reports the plain
// "cannot be sent between threads" error instead of the message above.
#[diagnostic::do_not_recommend]
impl<T: ?Sized + Send, F: ?Sized> AssertSend<F> for T {}

/// Picks what [`AssertSend`] is asked of for one field of type `F` in the struct `O`:
/// [`SendProbe::probe`] (a `Send` stand-in, always fine) when the field is `Send`, else
/// [`NotSendField::probe`], which names the struct itself.
pub struct SendProbe<F: ?Sized, O: ?Sized>(PhantomData<fn(&F, &O)>);

/// What [`SendProbe::probe`] hands [`AssertSend`] for a field that is `Send`.
#[derive(Debug)]
pub struct SendField;

impl<F: ?Sized, O: ?Sized> SendProbe<F, O> {
    /// The probe, as a value to call `probe` on.
    pub const NEW: Self = SendProbe(PhantomData);
}

impl<F: ?Sized, O: ?Sized> std::fmt::Debug for SendProbe<F, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendProbe")
    }
}

impl<F: ?Sized + Send, O: ?Sized> SendProbe<F, O> {
    /// The field is `Send`: nothing to ask of the struct.
    #[inline(always)]
    pub fn probe(&self) -> &'static SendField {
        &SendField
    }
}

/// The fallback of [`SendProbe::probe`], for a field that is not `Send`: the struct must be.
/// The generated code only type-checks this call, in a closure it never runs.
pub trait NotSendField<F: ?Sized, O: ?Sized> {
    /// The struct, for [`AssertSend`] to be asked of.
    fn probe(&self) -> &'static O {
        unreachable!("the `Send` check of `#[derive(Pooled)]` is never run")
    }
}

impl<F: ?Sized, O: ?Sized> NotSendField<F, O> for SendProbe<F, O> {}

/// The body of the inherent `take()` and `pool()` of a non-generic `#[derive(Pooled)]` struct:
/// [`Gate::take`] and [`Gate::pool`] when `T: Pooled` holds, else (the struct is not `Send`,
/// which its `Send` check reports) [`NotPooled`]'s stubs, so that every call of `T::take()` does
/// not repeat that error.
pub struct Gate<T>(PhantomData<fn() -> T>);

impl<T> Gate<T> {
    /// The gate, as a value to call `take` or `pool` on.
    pub const NEW: Self = Gate(PhantomData);
}

impl<T> std::fmt::Debug for Gate<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gate")
    }
}

impl<T: Pooled> Gate<T> {
    /// [`Pooled::take`].
    #[inline(always)]
    pub fn take(&self) -> PoolBox<T> {
        T::take()
    }

    /// [`Pooled::pool`].
    #[inline(always)]
    pub fn pool(&self) -> &'static Pool<T> {
        T::pool()
    }
}

/// The fallback of [`Gate`] for a type that is not [`Pooled`]: never runs, since that type's
/// `Send` check fails to compile.
pub trait NotPooled<T: 'static> {
    /// Stands in for [`Gate::take`].
    fn take(&self) -> PoolBox<T> {
        unreachable!("a `#[derive(Pooled)]` type that is not `Send` does not compile")
    }

    /// Stands in for [`Gate::pool`].
    fn pool(&self) -> &'static Pool<T> {
        unreachable!("a `#[derive(Pooled)]` type that is not `Send` does not compile")
    }
}

impl<T: 'static> NotPooled<T> for Gate<T> {}

/// What the inherent `take()` and `pool()` of a generic `#[derive(Pooled)]` struct require: no
/// type implements it, so a call fails to compile with this message, where rustc would
/// otherwise suggest `Iterator::take`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no process-wide pool: `#[derive(Pooled)]` gives one only to a struct without generic parameters",
    label = "a generic type has no process-wide pool",
    note = "use an instance pool: `let pool = bytepool::Pool::<{Self}>::new();` (or `Pool::with(factory, reset)`), then `pool.get()`"
)]
pub trait NoProcessWidePool: 'static {}
