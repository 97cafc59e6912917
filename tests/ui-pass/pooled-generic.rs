// A generic struct gets `Reset` only (a static cannot be generic) and is pooled through an
// instance pool.
use bytepool::{Pool, Pooled, Reset};

#[derive(Pooled, Default, Clone)]
struct G<T> {
    v: Vec<T>,
}

// A field whose type is a bare parameter gets a `T: Reset` bound on the impl.
#[derive(Pooled)]
struct Wrapper<'a, T, const N: usize>
where
    T: Clone,
{
    inner: T,
    #[pooled(skip)]
    name: &'a str,
    #[pooled(skip)]
    sizes: [usize; N],
}

fn assert_reset<T: Reset>() {}

fn main() {
    let pool = Pool::<G<u8>>::new();
    let mut g = pool.get();
    g.v.push(1);
    drop(g);
    assert!(pool.get().v.is_empty());

    assert_reset::<Wrapper<'static, G<u8>, 2>>();
    let mut w = Wrapper {
        inner: G { v: vec![1u8] },
        name: "w",
        sizes: [1, 2],
    };
    w.reset();
    assert!(w.inner.v.is_empty());
    assert_eq!((w.name, w.sizes), ("w", [1, 2]));
}
