//! Large pooled types: taking one from its pool needs no more stack than `Box::new(T::default())`
//! does. Each step runs in a child process (a stack overflow aborts the process) on a thread
//! with a given stack size: wherever `Box::new` fits, so must `take()` and an instance pool's
//! `get()`.

use std::process::Command;

use bytepool::{Pool, Pooled};

/// One mebibyte of payload.
#[derive(Pooled)]
struct Huge {
    bytes: [u8; 1 << 20],
}

impl Default for Huge {
    fn default() -> Self {
        Huge {
            bytes: [0; 1 << 20],
        }
    }
}

/// The environment variable that tells a child which step to run, as `step:stack_kib`.
const CHILD: &str = "BYTEPOOL_LARGE_OBJECTS_CHILD";
const TEST: &str = "a_large_type_needs_no_more_stack_from_a_pool_than_from_box_new";

/// The ways to get a `Huge`, each run on a fresh thread of the child.
const STEPS: [(&str, fn()); 3] = [
    ("box", || {
        let huge = Box::new(Huge::default());
        assert_eq!(std::hint::black_box(&huge.bytes)[4096], 0);
    }),
    ("take", || {
        let huge = Huge::take();
        assert_eq!(std::hint::black_box(&huge.bytes)[4096], 0);
        drop(huge);
        let again = Huge::take(); // from the pool: nothing built
        assert_eq!(std::hint::black_box(&again.bytes)[4096], 0);
    }),
    ("instance", || {
        let pool = Pool::<Huge>::new();
        let huge = pool.get();
        assert_eq!(std::hint::black_box(&huge.bytes)[4096], 0);
    }),
];

/// Whether `step` ran to completion on a thread with `stack_kib` KiB of stack, in a child.
fn fits(step: &str, stack_kib: usize) -> bool {
    Command::new(std::env::current_exe().expect("the test binary"))
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{step}:{stack_kib}"))
        .output()
        .expect("run the test binary again")
        .status
        .success()
}

#[test]
#[cfg_attr(miri, ignore)] // Miri cannot spawn processes
fn a_large_type_needs_no_more_stack_from_a_pool_than_from_box_new() {
    if let Ok(child) = std::env::var(CHILD) {
        let (step, stack_kib) = child.split_once(':').expect("step:stack_kib");
        let body = STEPS
            .iter()
            .find(|(name, _)| *name == step)
            .expect("a step")
            .1;
        let thread = std::thread::Builder::new()
            .stack_size(stack_kib.parse::<usize>().expect("a size") << 10)
            .spawn(body)
            .expect("spawn");
        thread.join().expect("the step panicked");
        return;
    }
    let mut box_fits_somewhere = false;
    for stack_mib in 1..=4 {
        let kib = stack_mib << 10;
        if !fits("box", kib) {
            continue;
        }
        box_fits_somewhere = true;
        for (step, _) in &STEPS[1..] {
            assert!(
                fits(step, kib),
                "`Box::new(Huge::default())` fits a {stack_mib} MiB stack but `{step}` does not"
            );
        }
    }
    assert!(
        box_fits_somewhere,
        "`Box::new` of 1 MiB overflowed even a 4 MiB stack"
    );
}
