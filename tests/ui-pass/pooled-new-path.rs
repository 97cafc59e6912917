// `new = path` supplies the constructor of a type that is not `Default`.
use bytepool::{Pooled, Reset};

#[derive(Pooled)]
#[pooled(new = Connection::fresh, capacity = 4, thread_cache = 0)]
struct Connection {
    id: u64,
    buffer: Vec<u8>,
}

impl Connection {
    fn fresh() -> Self {
        Connection {
            id: 7,
            buffer: Vec::with_capacity(16),
        }
    }
}

// The string form is accepted too, for `new` and `reset`.
#[derive(Pooled)]
#[pooled(new = "Session::open")]
struct Session {
    #[pooled(reset = "Vec::clear")]
    log: Vec<u8>,
}

impl Session {
    fn open() -> Self {
        Session { log: Vec::new() }
    }
}

fn main() {
    let connection = Connection::take();
    assert_eq!(connection.id, 7);
    assert!(connection.buffer.capacity() >= 16);

    let mut session = Session::take();
    session.log.push(1);
    session.reset();
    assert!(session.log.is_empty());
}
