//! A counting TCP relay between a PostgreSQL client and the server: the
//! round trips an operation costs, measured the same way for chatcore and
//! for the floor, whatever driver or pool either uses.
//!
//! A client waits for the server once per `Sync` (the extended protocol:
//! Parse/Bind/Execute… then Sync) or per `Query` (the simple protocol: one
//! string, maybe several statements), so the count of those two messages
//! from the client is the count of round trips. The relay reads the
//! client's messages (type byte + length), counts them and passes every
//! byte on unchanged. It answers an SSL or GSSAPI encryption request
//! itself with "no", so the session stays readable (use it with
//! `sslmode=disable` or `prefer`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

    /// Round trips (client `Sync` and `Query` messages) so far.
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
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    let result = forward_counting(&mut client, &mut server, counter);
    let _ = server.shutdown(Shutdown::Both);
    let _ = back.join();
    result
}

/// Passes typed client messages on, counting `S` (Sync) and `Q` (Query).
fn forward_counting(
    client: &mut TcpStream,
    server: &mut TcpStream,
    counter: &AtomicU64,
) -> std::io::Result<()> {
    let mut header = [0u8; 5];
    let mut body = Vec::new();
    loop {
        match client.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        body.resize(len.saturating_sub(4), 0);
        client.read_exact(&mut body)?;
        if matches!(header[0], b'S' | b'Q') {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        server.write_all(&header)?;
        server.write_all(&body)?;
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
