//! Events a peer reported, appended by a reader thread and awaited by the test thread.

use std::fmt::Debug;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{HarnessError, Result};

/// A shared, append-only list of events with a consuming cursor.
///
/// [`EventLog::wait_for`] looks at events after the cursor (past ones included, so an event that
/// arrived before the call is not missed) and moves the cursor past the match: waiting twice for
/// "call established" needs two such events. [`EventLog::all`] ignores the cursor.
#[derive(Debug)]
pub struct EventLog<T> {
    inner: Arc<(Mutex<State<T>>, Condvar)>,
}

#[derive(Debug)]
struct State<T> {
    events: Vec<T>,
    cursor: usize,
    closed: bool,
}

impl<T> Clone for EventLog<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> Default for EventLog<T> {
    fn default() -> Self {
        Self {
            inner: Arc::new((
                Mutex::new(State {
                    events: Vec::new(),
                    cursor: 0,
                    closed: false,
                }),
                Condvar::new(),
            )),
        }
    }
}

impl<T: Clone + Debug> EventLog<T> {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A reader thread that panicked leaves valid data behind; keep using it.
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, event: T) {
        self.lock().events.push(event);
        self.inner.1.notify_all();
    }

    /// Marks the source as finished (EOF): waiters stop waiting for events that cannot come.
    pub fn close(&self) {
        self.lock().closed = true;
        self.inner.1.notify_all();
    }

    /// Every event received so far.
    pub fn all(&self) -> Vec<T> {
        self.lock().events.clone()
    }

    /// Waits for the first event after the cursor matching `predicate`; `what` names it in the
    /// timeout error, which also lists the events seen (the usual clue to what went wrong).
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        mut predicate: impl FnMut(&T) -> bool,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            let start = state.cursor;
            if let Some(offset) = state.events[start..].iter().position(&mut predicate) {
                let found = state.events[start + offset].clone();
                state.cursor = start + offset + 1;
                return Ok(found);
            }
            let now = Instant::now();
            if now >= deadline || state.closed {
                let seen = format!(
                    "{:?}{}",
                    state.events,
                    if state.closed { " (stream closed)" } else { "" }
                );
                return Err(HarnessError::Timeout {
                    what: what.to_string(),
                    timeout,
                    seen,
                });
            }
            state = self
                .inner
                .1
                .wait_timeout(state, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_for_sees_past_events_and_consumes_each_match_once() {
        let log = EventLog::new();
        log.push(1);
        log.push(2);
        log.push(2);
        let quick = Duration::from_millis(10);
        assert_eq!(log.wait_for("2", quick, |e| *e == 2).expect("first 2"), 2);
        assert_eq!(log.wait_for("2", quick, |e| *e == 2).expect("second 2"), 2);
        assert!(log.wait_for("2", quick, |e| *e == 2).is_err());
        assert_eq!(log.all(), vec![1, 2, 2]);
    }

    #[test]
    fn wait_for_wakes_up_on_push_from_another_thread() {
        let log = EventLog::new();
        let writer = log.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            writer.push("late");
        });
        let got = log.wait_for("late", Duration::from_secs(5), |e| *e == "late");
        t.join().expect("writer thread");
        assert_eq!(got.expect("late event"), "late");
    }

    #[test]
    fn wait_for_stops_early_when_closed() {
        let log: EventLog<u8> = EventLog::new();
        log.close();
        let start = Instant::now();
        assert!(log.wait_for("x", Duration::from_secs(5), |_| true).is_err());
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
