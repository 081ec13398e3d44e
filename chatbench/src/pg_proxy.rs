//! A counting TCP relay between a PostgreSQL client and the server: the
//! round trips an operation costs, measured the same way for chatcore and
//! for the floor, whatever driver or pool either uses.
//!
//! A client's request ends with a `Sync` (the extended protocol:
//! Parse/Bind/Execute… then Sync) or is a `Query` (the simple protocol: one
//! string, maybe several statements). A client that waits for each answer
//! sends one such request per round trip; a pipelining one sends several
//! in one write (`BEGIN`, a statement and `COMMIT`) and waits once. So a
//! round trip is counted for each read from the client's socket that
//! completes at least one request, once the server has answered since the
//! last one counted: requests written together arrive together, and a
//! client that waits has been answered before it writes again. The relay
//! parses the client's messages (type byte + length) only to see where
//! requests end and passes every byte on unchanged. It answers an SSL or
//! GSSAPI encryption request itself with "no", so the session stays
//! readable (use it with `sslmode=disable` or `prefer`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The relay: where clients connect, and the count so far.
pub struct Proxy {
    /// The local address to connect to instead of the server.
    pub port: u16,
    round_trips: Arc<AtomicU64>,
}

impl Proxy {
    /// Listens on a free local port and relays every connection to
    /// `upstream` (`host:port`), on threads that live as long as the
    /// program.
    pub fn start(upstream: String) -> Result<Proxy, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("proxy listen: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("proxy address: {e}"))?
            .port();
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = round_trips.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let counter = counter.clone();
                std::thread::spawn(move || {
                    if let Err(e) = relay(client, &upstream, &counter) {
                        eprintln!("  proxy: a connection ended: {e}");
                    }
                });
            }
        });
        Ok(Proxy { port, round_trips })
    }

    /// Round trips (see the module docs) so far.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::SeqCst)
    }
}

fn relay(mut client: TcpStream, upstream: &str, counter: &AtomicU64) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    // Startup: untyped messages (length + code). An encryption request
    // is answered here with 'N'; the next one is the real startup.
    let startup = loop {
        let mut length = [0u8; 4];
        client.read_exact(&mut length)?;
        let len = u32::from_be_bytes(length) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        client.read_exact(&mut body)?;
        let code = body
            .get(..4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        match code {
            // SSLRequest, GSSENCRequest
            Some(80_877_103) | Some(80_877_104) => client.write_all(b"N")?,
            _ => {
                let mut message = length.to_vec();
                message.extend_from_slice(&body);
                break message;
            }
        }
    };
    let mut server = TcpStream::connect(upstream)?;
    server.set_nodelay(true)?;
    server.write_all(&startup)?;
    let mut from_server = server.try_clone()?;
    let mut to_client = client.try_clone()?;
    let answered = Arc::new(AtomicBool::new(true));
    let spoke = answered.clone();
    let back = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(read) = from_server.read(&mut buffer) {
            if read == 0 {
                break;
            }
            spoke.store(true, Ordering::SeqCst);
            if to_client.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let result = forward_counting(&mut client, &mut server, counter, &answered);
    let _ = server.shutdown(Shutdown::Both);
    let _ = back.join();
    result
}

/// Passes the client's bytes on, counting a round trip for each read that
/// completes a `S` (Sync) or `Q` (Query) message after the server answered.
fn forward_counting(
    client: &mut TcpStream,
    server: &mut TcpStream,
    counter: &AtomicU64,
    answered: &AtomicBool,
) -> std::io::Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    // Bytes of a message not complete yet.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let read = client.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        pending.extend_from_slice(&chunk[..read]);
        let mut request_ended = false;
        let mut at = 0;
        while let Some(header) = pending.get(at..at + 5) {
            let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
            let end = at + 1 + len;
            if end > pending.len() {
                break;
            }
            request_ended |= matches!(header[0], b'S' | b'Q');
            at = end;
        }
        pending.drain(..at);
        // Before the bytes go on: the server's answer to them must not
        // count as the answer to these.
        if request_ended && answered.swap(false, Ordering::SeqCst) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        server.write_all(&chunk[..read])?;
    }
}

/// `url` with its `host[:port]` replaced by the proxy's; `None` for a
/// connection string that is not a `postgres://` / `postgresql://` URL.
/// Returns the URL and the upstream `host:port` it named.
pub fn through(url: &str, port: u16) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "postgres" && scheme != "postgresql" {
        return None;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (credentials, host_port) = match authority.rsplit_once('@') {
        Some((credentials, host)) => (format!("{credentials}@"), host),
        None => (String::new(), authority),
    };
    let host_port = if host_port.is_empty() {
        "localhost"
    } else {
        host_port
    };
    let upstream = match host_port.rsplit_once(':') {
        Some((_, port)) if port.chars().all(|c| c.is_ascii_digit()) => host_port.to_string(),
        _ => format!("{host_port}:5432"),
    };
    Some((
        format!("{scheme}://{credentials}127.0.0.1:{port}{tail}"),
        upstream,
    ))
}

#[cfg(test)]
mod tests {
    use super::through;

    #[test]
    fn a_url_is_pointed_at_the_relay_and_names_its_server() {
        assert_eq!(
            through(
                "postgres://bench:pw@db.example:5433/bench?sslmode=disable",
                4000
            ),
            Some((
                "postgres://bench:pw@127.0.0.1:4000/bench?sslmode=disable".to_string(),
                "db.example:5433".to_string()
            ))
        );
        assert_eq!(
            through("postgresql://localhost/chat", 4000),
            Some((
                "postgresql://127.0.0.1:4000/chat".to_string(),
                "localhost:5432".to_string()
            ))
        );
        assert_eq!(through("host=localhost dbname=chat", 4000), None);
    }
}
