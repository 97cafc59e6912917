// `#[pooled(crate = path)]`: the path form, which `macro_rules!` wrappers can fill from a
// `$krate:path` fragment. The string form is in pooled-crate-path.rs.
mod reexport {
    pub use ::bytepool;
}

use reexport::bytepool::{Pooled, Reset};

#[derive(Pooled, Default)]
#[pooled(crate = reexport::bytepool)]
struct Entry {
    message: Vec<u8>,
}

#[derive(Pooled, Default)]
#[pooled(crate = crate::reexport::bytepool)]
struct Generic<T> {
    items: Vec<T>,
}

macro_rules! pooled_in {
    ($krate:path, $name:ident) => {
        #[derive(Pooled, Default)]
        #[pooled(crate = $krate)]
        struct $name {
            message: Vec<u8>,
        }
    };
}

pooled_in!(crate::reexport::bytepool, FromMacro);

fn main() {
    let mut entry = Entry::take();
    entry.message.push(1);
    entry.reset();
    assert!(entry.message.is_empty());

    let mut generic = Generic { items: vec![1u8] };
    generic.reset();
    assert!(generic.items.is_empty());

    let mut from_macro = FromMacro::take();
    from_macro.message.push(1);
    from_macro.reset();
    assert!(from_macro.message.is_empty());
}
