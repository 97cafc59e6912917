// The generated code names everything by absolute path: it compiles without the prelude, next
// to local items that shadow the names it uses, and contains no `unsafe`.
#![forbid(unsafe_code)]
#![no_implicit_prelude]
#![deny(warnings, unused_qualifications, rust_2018_idioms)]

#[allow(dead_code)]
type Option = ();
#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
type Box = ();
#[allow(dead_code)]
type Vec = ();
#[allow(dead_code)]
struct Pool;
#[allow(dead_code)]
struct Reset;
#[allow(dead_code)]
trait Default {}
#[allow(dead_code)]
trait Send {}
#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}
#[allow(dead_code)]
mod bytepool {}
#[allow(dead_code)]
fn reset_bounded() {}
#[allow(dead_code)]
fn assert_send() {}

use ::bytepool::Pooled;

#[derive(Pooled, ::core::default::Default)]
#[pooled(capacity = 16)]
struct Entry {
    message: ::std::vec::Vec<u8>,
    #[pooled(max_capacity = 64)]
    fields: ::std::vec::Vec<u8>,
    #[pooled(reset = clear)]
    tags: ::std::vec::Vec<u8>,
    #[pooled(skip)]
    origin: &'static str,
}

#[derive(Pooled)]
#[pooled(new = Tuple::make)]
struct Tuple(::std::vec::Vec<u8>, #[pooled(skip)] u8);

impl Tuple {
    fn make() -> Self {
        Tuple(::std::vec::Vec::new(), 0)
    }
}

#[derive(Pooled, ::core::default::Default)]
struct Generic<T> {
    items: ::std::vec::Vec<T>,
}

fn clear(v: &mut ::std::vec::Vec<u8>) {
    v.clear();
}

fn main() {
    let entry = Entry::take();
    let _ = (entry.origin, Tuple::take().1);
    let mut generic = <Generic<u8> as ::core::default::Default>::default();
    ::bytepool::Reset::reset(&mut generic);
}
