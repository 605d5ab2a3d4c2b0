//! `ApiJson<T>`: axum's JSON extractor with our problem+json rejections instead of plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

fn rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.body_text(),
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request("invalid_json", e.body_text()),
        JsonRejection::MissingJsonContentType(e) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.body_text(),
        ),
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        <axum::Json<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(rejection)
    }
}

/// `Option<ApiJson<T>>`: `None` when the request has no JSON body at all.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        <axum::Json<T> as OptionalFromRequest<S>>::from_request(req, state)
            .await
            .map(|v| v.map(|axum::Json(v)| ApiJson(v)))
            .map_err(rejection)
    }
}

/// `#[serde(serialize_with = "crate::json::utc_timestamp")]`: the same RFC 3339 text chrono's
/// `Serialize` writes (`2026-11-28T15:18:12.123456Z`: seconds, then 3, 6 or 9 fraction digits as
/// needed, `Z`), formatted into a stack buffer and written as one string. chrono's own goes
/// through `fmt::Display` one character at a time into the escaping writer, which was a visible
/// share of a folder page's CPU (two timestamps per document).
pub fn utc_timestamp<S: serde::Serializer>(
    at: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 40];
    serializer.serialize_str(format_utc(at, &mut buf))
}

fn format_utc<'b>(at: &chrono::DateTime<chrono::Utc>, buf: &'b mut [u8; 40]) -> &'b str {
    use chrono::{Datelike, Timelike};
    let year = at.year();
    if !(0..=9999).contains(&year) {
        // Outside four digits chrono writes a sign and more digits; keep its text exactly.
        let text = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let n = text.len().min(buf.len());
        buf[..n].copy_from_slice(&text.as_bytes()[..n]);
        return std::str::from_utf8(&buf[..n]).unwrap_or_default();
    }
    fn put(buf: &mut [u8], at: usize, value: u32, digits: usize) {
        let mut v = value;
        for i in (0..digits).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    put(buf, 0, year as u32, 4);
    buf[4] = b'-';
    put(buf, 5, at.month(), 2);
    buf[7] = b'-';
    put(buf, 8, at.day(), 2);
    buf[10] = b'T';
    put(buf, 11, at.hour(), 2);
    buf[13] = b':';
    put(buf, 14, at.minute(), 2);
    buf[16] = b':';
    // A leap second is nanosecond 1_000_000_000 and up: chrono shows it as second 60.
    let (second, nanos) = match at.nanosecond() {
        n if n >= 1_000_000_000 => (at.second() + 1, n - 1_000_000_000),
        n => (at.second(), n),
    };
    put(buf, 17, second, 2);
    let mut end = 19;
    if nanos != 0 {
        buf[end] = b'.';
        let (value, digits) = if nanos % 1_000_000 == 0 {
            (nanos / 1_000_000, 3)
        } else if nanos % 1_000 == 0 {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        put(buf, end + 1, value, digits);
        end += 1 + digits;
    }
    buf[end] = b'Z';
    std::str::from_utf8(&buf[..=end]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "super::utc_timestamp")] DateTime<Utc>);

    #[test]
    fn timestamps_serialize_exactly_as_chrono_does() {
        let base = Utc.with_ymd_and_hms(2026, 11, 28, 15, 18, 12).unwrap();
        let mut cases = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
        ];
        for nanos in [
            1,
            7,
            120,
            1_000,
            123_456,
            1_000_000,
            5_000_000,
            123_000_000,
            123_456_000,
            123_456_789,
            999_999_999,
        ] {
            cases.push(base + chrono::Duration::nanoseconds(nanos));
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        cases.push(leap);
        for at in cases {
            assert_eq!(
                serde_json::to_string(&Ours(at)).unwrap(),
                serde_json::to_string(&at).unwrap(),
                "{at:?}"
            );
        }
    }
}
