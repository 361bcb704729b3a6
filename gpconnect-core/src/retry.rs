//! The one retry loop: every transport (SSP, SDS, and the MESH and API-platform
//! transports) retries through one loop (`retrying`, crate-internal) with a [`RetryPolicy`].
//!
//! Whether a failure is retried is decided by the error and the request's [`Effect`]
//! ([`crate::Error::is_retryable_as`]): reads are retried after connection failures, timeouts
//! and 429/502/503/504; writes only when the request never left.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::{Effect, Result};

/// How reads are retried. Writes are never retried once they may have been sent.
///
/// Reads are retried on connection failures, timeouts, 429, 502, 503 and 504 (and the
/// 599 of some SSP front ends), waiting for `Retry-After` when the answer gives one and
/// otherwise for an exponential back-off with full jitter.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 = no retries).
    pub max_attempts: u32,
    /// The first back-off delay; later ones double, up to `max_delay`.
    pub base_delay: Duration,
    /// The longest single wait, including a `Retry-After`.
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), honouring `retry_after`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exp = self.base_delay.saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        // Not `mul_f64`: it panics when a huge `max_delay` rounds up past `Duration::MAX`.
        Duration::try_from_secs_f64(cap.as_secs_f64() * fastrand::f64()).map_or(cap, |d| d.min(cap))
    }
}

/// Runs `attempt` (called with the attempt number, from 1) until it succeeds, fails in a
/// way that must not be retried for `effect`, or the policy is spent; returns the last
/// outcome. Waits as [`RetryPolicy`] says between attempts (honouring `Retry-After`).
pub(crate) async fn retrying<T, F, Fut>(policy: &RetryPolicy, effect: Effect, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let first = Instant::now();
    let mut n: u32 = 0;
    loop {
        n = n.saturating_add(1);
        let error = match attempt(n).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let delay = policy.delay(n, error.retry_after());
        let retry = error.is_retryable_as(effect)
            && n < policy.max_attempts
            && first.elapsed().saturating_add(delay) < policy.max_elapsed;
        tracing::warn!(kind = ?error.kind(), attempt = n, retry, "failed");
        if !retry {
            return Err(error);
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Sent, TransportError};
    use crate::Error;

    fn refused() -> Error {
        Error::Transport {
            source: TransportError::setup(std::io::Error::other("refused")),
            sent: Sent::Maybe,
            interaction: None,
            trace_id: None,
        }
    }

    #[tokio::test]
    async fn reads_are_retried_up_to_the_limit_and_writes_not_once_sent() {
        let policy = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
        let mut calls = 0;
        let read: Result<()> = retrying(&policy, Effect::Read, |_| {
            calls += 1;
            async { Err(refused()) }
        })
        .await;
        assert!(read.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let write: Result<()> = retrying(&policy, Effect::Write, |_| {
            calls += 1;
            async { Err(refused()) }
        })
        .await;
        assert!(write.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn no_policy_setting_or_retry_after_panics() {
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            max_elapsed: Duration::from_millis(1),
        };
        for attempt in [0, 1, 17, u32::MAX] {
            assert!(huge.delay(attempt, None) <= Duration::MAX);
            assert_eq!(huge.delay(attempt, Some(Duration::MAX)), Duration::MAX);
        }
        // A huge Retry-After with a huge max_delay: elapsed + delay saturates, no retry.
        let huge = RetryPolicy { max_elapsed: Duration::from_secs(3600), ..huge };
        let mut calls = 0;
        let read: Result<()> = retrying(&huge, Effect::Read, |_| {
            calls += 1;
            async {
                Err(Error::Provider(Box::new(crate::error::ProviderError {
                    status: 503,
                    code: None,
                    outcome: None,
                    interaction: crate::InteractionId::ReadPatient,
                    trace_id: uuid::Uuid::nil(),
                    content_type: None,
                    retry_after: Some(Duration::MAX),
                    body: crate::error::RawBody::default(),
                })))
            }
        })
        .await;
        assert!(read.is_err());
        assert_eq!(calls, 1);
        let zero = RetryPolicy { max_attempts: 0, base_delay: Duration::ZERO, ..RetryPolicy::default() };
        let mut calls = 0;
        let read: Result<()> = retrying(&zero, Effect::Read, |_| {
            calls += 1;
            async { Err(refused()) }
        })
        .await;
        assert!(read.is_err() && calls == 1);
    }
}
