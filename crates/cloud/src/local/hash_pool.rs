//! A bounded pool for password hashing. Argon2id costs tens of milliseconds of CPU and 19 MiB
//! of memory per call, so unbounded `spawn_blocking` lets a few clients exhaust the machine.
//! Here at most `workers` hashes run at once and at most `queue` requests wait or run; one
//! more is refused at once with 503 `unavailable` and `Retry-After`, instead of queuing.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ErrorCode};

/// Sizes of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPoolSize {
    /// Hashes computed at once.
    pub workers: usize,
    /// Requests admitted at once (running plus waiting); more are shed.
    pub queue: usize,
}

impl Default for HashPoolSize {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            workers: cores,
            queue: cores * 4,
        }
    }
}

/// The pool.
#[derive(Debug, Clone)]
pub struct HashPool {
    admit: Arc<Semaphore>,
    run: Arc<Semaphore>,
}

/// A place in the pool's queue, taken before any other work for the request.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
}

impl HashPool {
    /// A pool of the given size (each at least 1).
    pub fn new(size: HashPoolSize) -> Self {
        Self {
            admit: Arc::new(Semaphore::new(size.queue.max(1))),
            run: Arc::new(Semaphore::new(size.workers.max(1))),
        }
    }

    /// Takes a place, or refuses with 503 when the queue is full.
    pub fn admit(&self) -> Result<Admitted, ApiError> {
        self.admit
            .clone()
            .try_acquire_owned()
            .map(|permit| Admitted { _permit: permit })
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the service is busy checking passwords; retry in a moment",
                )
                .with_retry_after(1)
            })
    }

    /// Runs `f` on a blocking thread once a worker is free; the place is given back when `f`
    /// has finished.
    pub async fn run<T: Send + 'static>(
        &self,
        place: Admitted,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let worker = self
            .run
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        // The permits move into the blocking task: a client that hangs up does not free its
        // place before the hash it started has finished.
        tokio::task::spawn_blocking(move || {
            let _held = (worker, place);
            f()
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
    }
}
