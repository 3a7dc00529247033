//! An order-keeping parallel map over a slice on the machine's cores: scoped std threads (at
//! most 8; the calling thread works too), items handed out in small batches so that a run of
//! costly items is shared. Used where independent work is large enough to pay for a thread:
//! verify's static checks, diagnose's rules, reading and parsing migration files. Does no I/O
//! itself.

use std::sync::atomic::{AtomicUsize, Ordering};

/// At most this many threads.
const MAX_THREADS: usize = 8;
/// Each helper thread's stack: the main thread's usual 8 MB.
const STACK: usize = 8 << 20;

/// `f` over `items`, results in `items`' order. Threads only when every thread gets at least
/// `min_per_thread` items; `batch` items are taken at a time. A panic in `f` panics here.
pub fn map_in_order<T, R, F>(items: &[T], min_per_thread: usize, batch: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(items.len() / min_per_thread.max(1));
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let batch = batch.max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, R)> = Vec::new();
        loop {
            let start = next.fetch_add(batch, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            for (i, item) in items.iter().enumerate().skip(start).take(batch) {
                done.push((i, f(item)));
            }
        }
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|scope| {
        // A thread that cannot start costs only speed: the others take its share.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    // PostgreSQL's parser recurses on nested expressions: give helpers the main
                    // thread's stack, so text that parses on one thread parses on all.
                    .stack_size(STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(part) => all.extend(part),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_order_whatever_the_thread_and_batch() {
        let items: Vec<u64> = (0..5000).collect();
        // Uneven costs: every 97th item spins a while.
        let f = |x: &u64| {
            if x % 97 == 0 {
                (0..20_000u64).fold(*x, |a, b| a.wrapping_mul(31).wrapping_add(b)) % 7 + x * 10
            } else {
                x * 10
            }
        };
        let one_by_one: Vec<u64> = items.iter().map(f).collect();
        for (min, batch) in [(1, 1), (16, 4), (100, 32), (10_000, 4)] {
            assert_eq!(
                map_in_order(&items, min, batch, f),
                one_by_one,
                "{min} {batch}"
            );
        }
        assert!(map_in_order(&[] as &[u64], 1, 1, f).is_empty());
    }

    #[test]
    fn one_item_at_a_time_with_a_minimum_per_thread() {
        // Migration files: 32+ per thread, one at a time.
        for n in [0usize, 1, 31, 64, 65, 1000] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(
                map_in_order(&items, 32, 1, |i| i * 2),
                (0..n).map(|i| i * 2).collect::<Vec<_>>()
            );
        }
    }
}
