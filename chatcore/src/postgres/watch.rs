//! Waking this process's waiters when another process commits feed
//! entries to the same PostgreSQL store: a thread with a dedicated
//! connection `LISTEN`s on the store's channel (`feed::CHANNEL`, notified
//! by every append at commit) and calls `on_commit` for each notification.
//! The thread connects by itself; each time it starts listening (first,
//! and after a lost connection, opened again after a pause) it calls
//! `on_commit` so waiters look again at whatever they may have missed. The
//! thread ends soon after the backend drops (it checks a flag at least
//! every [`POLL`]).

use super::connect::Target;
use super::feed::CHANNEL;
use crate::error::Result;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the listening thread checks whether its backend is gone.
const POLL: Duration = Duration::from_millis(250);
/// The pause before connecting again after the connection was lost.
const RECONNECT: Duration = Duration::from_secs(1);

/// The watcher of one backend: started once, stopped when dropped.
#[derive(Default)]
pub(crate) struct Watcher {
    started: AtomicBool,
    stop: Arc<AtomicBool>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Watcher {
    /// Starts the listening thread unless it runs already. The thread
    /// connects on its own (a caller's wait does not wait for it), and once
    /// it listens calls `on_commit` once: a commit made before that is then
    /// seen by the waiters' next look.
    pub(crate) fn start(
        &self,
        target: &Target,
        on_commit: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<()> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let target = target.clone();
        let stop = Arc::clone(&self.stop);
        let spawned = std::thread::Builder::new()
            .name("chatcore-pg-listen".to_string())
            .spawn(move || run(&target, &stop, &*on_commit));
        if let Err(err) = spawned {
            self.started.store(false, Ordering::SeqCst);
            return Err(crate::Error::storage(format!(
                "cannot start the change feed's listener: {err}"
            )));
        }
        Ok(())
    }
}

/// A new connection listening on the store's channel.
fn listen(target: &Target) -> Result<postgres::Client> {
    let mut client = target.listener()?;
    let channel: String = client
        .query_one(&format!("SELECT {CHANNEL}"), &[])?
        .try_get(0)?;
    client.batch_execute(&format!("LISTEN \"{channel}\""))?;
    Ok(client)
}

fn run(target: &Target, stop: &AtomicBool, on_commit: &(dyn Fn() + Send + Sync)) {
    while !stop.load(Ordering::SeqCst) {
        let mut client = match listen(target) {
            Ok(client) => client,
            Err(_) => {
                std::thread::sleep(RECONNECT);
                continue;
            }
        };
        // Listening from here: whatever committed before, look again.
        on_commit();
        while !stop.load(Ordering::SeqCst) {
            // A new iterator each time: its timeout is not re-armed after it
            // once ran out, and a closed connection reads as no notification.
            let next = client.notifications().timeout_iter(POLL).next();
            match next {
                Ok(Some(_)) => on_commit(),
                Ok(None) if !client.is_closed() => {}
                Ok(None) | Err(_) => {
                    // Lost: connect again after a pause.
                    std::thread::sleep(RECONNECT);
                    break;
                }
            }
        }
    }
}
