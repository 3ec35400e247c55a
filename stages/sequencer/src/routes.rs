//! The requests of the sequencer's HTTP API, one function each, behind [`handle`]: the table at the top of
//! `server.rs` says what each answers. How connections are accepted, limited and timed out is
//! `server.rs`'s business.

use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, EXPECT};
use hyper::{Request, Response, StatusCode};

use crate::api::{self, Found, Route};
use crate::server::{BusyGuard, Shared, DRAIN_LIMIT};
use crate::store::StoreError;

/// An answer before it is sent: status, content type (none for 204), extra headers, body.
struct Answer {
    status: u16,
    content_type: Option<&'static str>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Answer {
        Answer { status, content_type: Some(content_type), headers: Vec::new(), body }
    }
    /// The shape of every error the server writes (the document's `Error`): one line of text and a newline.
    fn text(status: u16, msg: impl Into<String>) -> Answer {
        let mut body = msg.into().replace('\n', " ").into_bytes();
        body.push(b'\n');
        Answer::new(status, "text/plain; charset=utf-8", body)
    }
    fn json<T: serde::Serialize>(value: &T) -> Answer {
        let mut body = serde_json::to_vec_pretty(value).expect("records serialise");
        body.push(b'\n');
        Answer::new(200, "application/json", body)
    }
    /// 204: no body, so no content type either.
    fn no_content() -> Answer {
        Answer { status: 204, content_type: None, headers: Vec::new(), body: Vec::new() }
    }
    fn internal(what: &str) -> Answer {
        Answer::text(500, format!("internal error: {what}"))
    }
    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Answer {
        self.headers.push((name, value));
        self
    }
}

fn response(answer: Answer) -> Response<Full<Bytes>> {
    let Answer { status, content_type, headers, body } = answer;
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(content_type) = content_type {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    if status >= 400 {
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The request body, if it was not consumed: what to do with it once the answer is decided.
enum Rest {
    /// Nothing left to read (no body, or it was read whole).
    Done,
    /// Read and discard what the client still sends (bounded), so that it sees the answer.
    Drain(Incoming),
    /// Do not read any more of it: the connection closes right after the answer.
    Abandon,
}

pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>, busy: BusyGuard) -> Response<Full<Bytes>> {
    let received = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let method = parts.method.clone();
    let mut body = Some(body);
    let answer = match api::find(method.as_str(), &path) {
        Found::Endpoint(Route::ProofGenerationData, _) => blocking(&shared, proof_generation_data).await,
        Found::Endpoint(Route::SubmitProof, n) => match parse_block(n) {
            Ok(n) => {
                let body = body.take().expect("body not taken yet");
                let (answer, rest) = upload(&shared, n, body, &parts.headers, received).await;
                body_rest(rest, &shared, received, busy);
                return response(answer);
            }
            Err(a) => a,
        },
        Found::Endpoint(Route::BlockStatus, n) => match parse_block(n) {
            Ok(n) => blocking(&shared, move |s| block_status(s, n)).await,
            Err(a) => a,
        },
        Found::Endpoint(Route::OpenApi, _) => Answer::new(200, "application/json", api::OPENAPI.as_bytes().to_vec()),
        // RFC 9110 (15.5.6): a 405 says which methods the resource has.
        Found::WrongMethod(allowed) => Answer::text(405, format!("{method} is not allowed on {path}"))
            .with_header(ALLOW, HeaderValue::from_str(&allowed.join(", ")).expect("method names are header-safe")),
        Found::NoSuchPath => Answer::text(404, format!("no such endpoint: {path}")),
    };
    let body = body.take().expect("body not taken yet");
    let rest = if body.is_end_stream() {
        Rest::Done
    } else if declared_len(&body).is_some_and(|n| n > DRAIN_LIMIT) || expects_continue(&parts.headers) {
        Rest::Abandon
    } else {
        Rest::Drain(body)
    };
    let mut answer = response(answer);
    if !matches!(rest, Rest::Done) {
        // A body this server did not read: the connection cannot carry another request.
        answer.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    body_rest(rest, &shared, received, busy);
    answer
}

/// Disposes of an unread request body: a drain runs as its own task (holding the connection busy) so the
/// answer goes out at once.
fn body_rest(rest: Rest, shared: &Shared, received: Instant, busy: BusyGuard) {
    if let Rest::Drain(body) = rest {
        let deadline = received + shared.body_timeout;
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline.into(), drain(body)).await;
            drop(busy);
        });
    }
}

async fn drain(mut body: Incoming) {
    let mut read = 0u64;
    while read <= DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => return,
        }
    }
}

fn declared_len(body: &Incoming) -> Option<u64> {
    body.size_hint().exact()
}

fn expects_continue(headers: &hyper::HeaderMap) -> bool {
    headers.get(EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Runs store or proof-check work on tokio's blocking pool.
async fn blocking(shared: &Arc<Shared>, work: impl FnOnce(&Shared) -> Answer + Send + 'static) -> Answer {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || work(&shared))
        .await
        .unwrap_or_else(|_| Answer::internal("the handler panicked"))
}

/// A block number as the document's `BlockNumber` has it: decimal digits of a u64 (`+1` is not one, though
/// Rust's parser takes it).
fn parse_block(s: Option<&str>) -> Result<u64, Answer> {
    let s = s.unwrap_or_default();
    match s.parse::<u64>() {
        Ok(n) if s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(Answer::text(400, format!("{s:?} is not a block number"))),
    }
}

/// `POST /submit_proof/{n}`: the body, limited before anything is allocated and bounded in time, then the
/// check. Returns the answer and what to do with any part of the body not read.
async fn upload(
    shared: &Arc<Shared>,
    number: u64,
    mut body: Incoming,
    headers: &hyper::HeaderMap,
    received: Instant,
) -> (Answer, Rest) {
    let max = shared.max_body;
    let too_large = || Answer::text(413, format!("body larger than {max} bytes"));
    let unread = |body: Incoming| {
        if body.is_end_stream() {
            Rest::Done
        } else if declared_len(&body).is_some_and(|n| n > DRAIN_LIMIT) || expects_continue(headers) {
            Rest::Abandon
        } else {
            Rest::Drain(body)
        }
    };
    let declared = declared_len(&body);
    if declared.is_some_and(|n| n > max as u64) {
        return (too_large(), unread(body));
    }
    let Ok(_upload) = Arc::clone(&shared.uploads).try_acquire_owned() else {
        return (Answer::text(503, "busy: too many uploads at once, try again"), unread(body));
    };
    let deadline = received + shared.body_timeout;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    let read = tokio::time::timeout_at(deadline.into(), async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Answer::text(400, format!("cannot read the body: {e}")))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > max {
                    return Err(too_large());
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(())
    })
    .await;
    match read {
        Err(_elapsed) => {
            let secs = shared.body_timeout.as_secs_f64();
            return (Answer::text(408, format!("the body did not arrive within {secs} s")), Rest::Abandon);
        }
        Ok(Err(answer)) => {
            let rest = if answer.status == 413 { unread(body) } else { Rest::Abandon };
            return (answer, rest);
        }
        Ok(Ok(())) => {}
    }
    let Ok(_check) = Arc::clone(&shared.checks).acquire_owned().await else {
        return (Answer::internal("the check pool is closed"), Rest::Done);
    };
    (blocking(shared, move |s| submit_proof(s, number, &bytes)).await, Rest::Done)
}

fn store_error(e: StoreError) -> Answer {
    match e {
        StoreError::UnknownBlock(n) => Answer::text(404, format!("block {n} is not known to this sequencer")),
        other => Answer::text(500, other.to_string()),
    }
}

fn proof_generation_data(shared: &Shared) -> Answer {
    let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.hand_out(shared.handout_timeout_ms) {
        Ok(Some(block)) => match (shared.encode)(&block) {
            Ok(bytes) => Answer::new(200, "application/octet-stream", bytes).with_header(
                HeaderName::from_static(api::FORMAT_VERSION_HEADER),
                HeaderValue::from(api::PROOF_GENERATION_DATA_VERSION),
            ),
            Err(e) => Answer::text(500, format!("cannot encode block {}: {e}", block.header.number)),
        },
        Ok(None) => Answer::no_content(),
        Err(e) => store_error(e),
    }
}

fn submit_proof(shared: &Shared, number: u64, body: &[u8]) -> Answer {
    let header = {
        let store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
        match store.block(number) {
            Ok(b) => b.header,
            Err(e) => return store_error(e),
        }
    };
    // Verify outside the lock: it takes milliseconds and other requests need not wait.
    if let Err(reason) = (shared.check)(&header, body) {
        return Answer::text(400, format!("proof rejected for block {number}: {reason}"));
    }
    let digest = blake3_hex(body);
    let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.mark_proven(number, digest) {
        Ok(record) => Answer::json(&record),
        Err(e) => store_error(e),
    }
}

fn block_status(shared: &Shared, number: u64) -> Answer {
    let store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.record(number) {
        Ok(record) => Answer::json(&record),
        Err(e) => store_error(e),
    }
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
