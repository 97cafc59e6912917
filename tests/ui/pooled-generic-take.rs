// A generic struct has no process-wide pool (a `static` cannot be generic): calling `take()`
// or `pool()` on it says so and names the instance pool to use, where rustc would otherwise
// suggest `Iterator::take`.
#[derive(bytepool::Pooled, Default)]
struct Frame<T> {
    samples: Vec<T>,
}

fn main() {
    let mut frame = Frame::<u32>::take();
    // The call's type is still known: using the object adds no error.
    frame.samples.push(1);
}
