//! A clock for black-box tests: real time plus an offset the test sets, so expiry and retention
//! are exercised without waiting, while everything else (S3 signatures) keeps real time.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use domain::ports::Clock;

#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    /// From now on the clock reads real time plus `offset` (zero to go back to real time).
    pub fn set_offset(&self, offset: Duration) {
        *self.offset.lock().expect("clock") = offset;
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().expect("clock")
    }
}
