//! The witness-vector stream: one request and one answer per TCP connection.
//!
//! ```text
//! request  "FSVQ" format:u32 job_len:u32 job:utf8 vector_len:u64 vector:WitnessVector bytes
//! answer   "FSVA" status:u8 len:u64 payload     status 0: payload is the proof (plonky2 bytes)
//!                                               status 1: refused (bad vector, unknown circuit): text
//!                                               status 2: failed here (device error): text, try another
//! ```
//! Lengths are checked against limits before anything is allocated: a stray client cannot make a prover
//! allocate what its header claims.

use std::io::{self, Read, Write};

/// Version of the framing; a peer that speaks another is refused.
pub const FRAME_FORMAT: u32 = 1;
const REQUEST: &[u8; 4] = b"FSVQ";
const ANSWER: &[u8; 4] = b"FSVA";
/// A job key is a few dozen bytes.
const MAX_JOB: u32 = 256;
/// 2^20 rows of 135 wires: far beyond frispool's circuits.
pub const MAX_VECTOR: u64 = (8 * 135) << 20;
/// A proof of frispool's circuits is about 200 KiB; an error text far less.
const MAX_ANSWER: u64 = 64 << 20;

/// What a prover answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Proof = 0,
    Refused = 1,
    Failed = 2,
}

pub fn write_request(w: &mut impl Write, job: &str, vector: &[u8]) -> io::Result<()> {
    w.write_all(REQUEST)?;
    w.write_all(&FRAME_FORMAT.to_le_bytes())?;
    w.write_all(&(job.len() as u32).to_le_bytes())?;
    w.write_all(job.as_bytes())?;
    w.write_all(&(vector.len() as u64).to_le_bytes())?;
    w.write_all(vector)?;
    w.flush()
}

/// The job name and the vector's bytes of a request.
pub fn read_request(r: &mut impl Read) -> io::Result<(String, Vec<u8>)> {
    expect_magic(r, REQUEST)?;
    let format = read_u32(r)?;
    if format != FRAME_FORMAT {
        return Err(invalid(format!("frame format {format}, this build speaks {FRAME_FORMAT}")));
    }
    let job_len = read_u32(r)?;
    if job_len > MAX_JOB {
        return Err(invalid(format!("job name of {job_len} bytes")));
    }
    let job = String::from_utf8(read_exact(r, job_len as usize)?).map_err(|_| invalid("job name is not UTF-8"))?;
    let len = read_u64(r)?;
    if len > MAX_VECTOR {
        return Err(invalid(format!("witness vector of {len} bytes (limit {MAX_VECTOR})")));
    }
    Ok((job, read_exact(r, len as usize)?))
}

pub fn write_answer(w: &mut impl Write, status: Status, payload: &[u8]) -> io::Result<()> {
    w.write_all(ANSWER)?;
    w.write_all(&[status as u8])?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)?;
    w.flush()
}

pub fn read_answer(r: &mut impl Read) -> io::Result<(Status, Vec<u8>)> {
    expect_magic(r, ANSWER)?;
    let mut s = [0u8];
    r.read_exact(&mut s)?;
    let status = match s[0] {
        0 => Status::Proof,
        1 => Status::Refused,
        2 => Status::Failed,
        n => return Err(invalid(format!("answer status {n}"))),
    };
    let len = read_u64(r)?;
    if len > MAX_ANSWER {
        return Err(invalid(format!("answer of {len} bytes")));
    }
    Ok((status, read_exact(r, len as usize)?))
}

fn expect_magic(r: &mut impl Read, want: &[u8; 4]) -> io::Result<()> {
    let mut m = [0u8; 4];
    r.read_exact(&mut m)?;
    if &m != want {
        return Err(invalid(format!("not a frispool witness-vector peer (magic {m:02x?})")));
    }
    Ok(())
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Reads `len` bytes, growing the buffer as they arrive (a peer that stops early costs only what it sent).
fn read_exact(r: &mut impl Read, len: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(1 << 20));
    r.take(len as u64).read_to_end(&mut out)?;
    if out.len() != len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} of {len} bytes arrived", out.len())));
    }
    Ok(out)
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_round_trip_and_lies_about_lengths_are_refused() {
        let mut buf = Vec::new();
        write_request(&mut buf, "b00000001.r0.main.d0.g0000", &[1, 2, 3]).unwrap();
        let (job, v) = read_request(&mut buf.as_slice()).unwrap();
        assert_eq!((job.as_str(), v.as_slice()), ("b00000001.r0.main.d0.g0000", &[1u8, 2, 3][..]));
        // A torn request: the vector's length says more than arrives.
        assert_eq!(read_request(&mut &buf[..buf.len() - 1]).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        // A header that claims a vector of an exabyte is refused before any allocation.
        let mut huge = buf[..buf.len() - 3 - 8].to_vec();
        huge.extend_from_slice(&(1u64 << 60).to_le_bytes());
        assert_eq!(read_request(&mut huge.as_slice()).unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert!(read_request(&mut &b"GET / HTTP/1.1\r\n\r\n"[..]).is_err());

        let mut a = Vec::new();
        write_answer(&mut a, Status::Refused, b"no such circuit").unwrap();
        assert_eq!(read_answer(&mut a.as_slice()).unwrap(), (Status::Refused, b"no such circuit".to_vec()));
    }
}
