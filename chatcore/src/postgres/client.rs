//! One connection to the server, used synchronously, that can send several
//! requests before waiting for any answer (pipelining).
//!
//! The synchronous `postgres` crate waits for each statement's answer
//! before it sends the next, so `BEGIN`, a statement and `COMMIT` are three
//! round trips. It is a thin layer over `tokio-postgres`, whose client sends
//! the requests of futures polled together in one write and matches the
//! answers in order. [`Client`] is that layer again, with the one thing the
//! synchronous crate lacks: [`Client::query_between`] and
//! [`Client::execute_between`] send a simple query (`BEGIN …`) before a
//! prepared statement and another (`COMMIT …`) after it, in one round trip.
//!
//! Like the `postgres` crate, each client owns a single-threaded tokio
//! runtime; the connection's task runs on it while a call waits. The change
//! feed's listener, which needs notifications, stays a `postgres::Client`
//! (`connect::Target::listener`).

use crate::error::{Error, Result};
use futures_util::future::join3;
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Socket, Statement, ToStatement};

/// The driver's error (the same type the `postgres` crate re-exports).
pub(crate) type DriverError = tokio_postgres::Error;

/// How long dropping a client waits for its connection to say goodbye.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// A synchronous client on one connection (see the module docs).
pub(crate) struct Client {
    /// Declared first, so dropped first: that closes the connection's
    /// request channel, and the connection then says goodbye to the server.
    client: tokio_postgres::Client,
    driver: Driver,
}

/// The runtime and the connection's task, which reads and writes the socket.
struct Driver {
    connection: JoinHandle<()>,
    runtime: Runtime,
}

/// What the three requests of one round trip answered.
pub(crate) struct Pipelined<T> {
    /// The simple query sent before the statement (`Ok` if none was).
    pub(crate) before: std::result::Result<(), DriverError>,
    /// The statement's answer.
    pub(crate) result: std::result::Result<T, DriverError>,
    /// The simple query sent after the statement (`Ok` if none was).
    pub(crate) after: std::result::Result<(), DriverError>,
}

impl Client {
    /// Connects with `config` over `tls`; `describe` turns the driver's
    /// failure to connect into the store's error.
    pub(crate) fn connect<T>(
        config: &tokio_postgres::Config,
        tls: T,
        describe: impl FnOnce(DriverError) -> Error,
    ) -> Result<Client>
    where
        T: MakeTlsConnect<Socket> + 'static + Send,
        T::TlsConnect: Send,
        T::Stream: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| Error::storage(format!("cannot start a PostgreSQL client: {err}")))?;
        let (client, connection) = runtime.block_on(config.connect(tls)).map_err(describe)?;
        // Its result is the client's too: every later call fails once the
        // connection has.
        let connection = runtime.spawn(async move {
            let _ = connection.await;
        });
        Ok(Client {
            client,
            driver: Driver {
                connection,
                runtime,
            },
        })
    }

    fn inner(&self) -> &tokio_postgres::Client {
        &self.client
    }

    fn wait<T>(&self, future: impl Future<Output = T>) -> T {
        self.driver.runtime.block_on(future)
    }

    /// Prepares `sql` (a round trip).
    pub(crate) fn prepare(&self, sql: &str) -> std::result::Result<Statement, DriverError> {
        self.wait(self.inner().prepare(sql))
    }

    /// The rows of `statement`.
    pub(crate) fn query<S: ?Sized + ToStatement>(
        &self,
        statement: &S,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<Row>, DriverError> {
        self.wait(self.inner().query(statement, params))
    }

    /// The one row of `statement` (an error for none or several).
    pub(crate) fn query_one<S: ?Sized + ToStatement>(
        &self,
        statement: &S,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Row, DriverError> {
        self.wait(self.inner().query_one(statement, params))
    }

    /// Runs `statement`; how many rows it changed.
    pub(crate) fn execute<S: ?Sized + ToStatement>(
        &self,
        statement: &S,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, DriverError> {
        self.wait(self.inner().execute(statement, params))
    }

    /// Runs `sql`, one or more statements without parameters, as one
    /// simple query (one round trip). The server stops at the first
    /// failing statement.
    pub(crate) fn batch_execute(&self, sql: &str) -> std::result::Result<(), DriverError> {
        self.wait(self.inner().batch_execute(sql))
    }

    /// Whether the connection is gone (every call would fail).
    pub(crate) fn is_closed(&self) -> bool {
        self.inner().is_closed()
    }

    /// [`Client::query`] with `before` sent ahead of it and `after` behind
    /// it, in one round trip (see [`Client::between`]).
    pub(crate) fn query_between(
        &self,
        before: Option<&str>,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
        after: Option<&str>,
    ) -> Pipelined<Vec<Row>> {
        self.between(before, self.inner().query(statement, params), after)
    }

    /// [`Client::execute`] with `before` and `after`, in one round trip.
    pub(crate) fn execute_between(
        &self,
        before: Option<&str>,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
        after: Option<&str>,
    ) -> Pipelined<u64> {
        self.between(before, self.inner().execute(statement, params), after)
    }

    /// Sends the simple query `before`, the request of `call` and the
    /// simple query `after` together, in that order, and waits for all
    /// three answers. The server runs them in order, each on its own: a
    /// failing statement does not stop the next request (a `COMMIT` after a
    /// failed statement rolls its transaction back, and says so without an
    /// error), so the caller reads all three.
    fn between<T>(
        &self,
        before: Option<&str>,
        call: impl Future<Output = std::result::Result<T, DriverError>>,
        after: Option<&str>,
    ) -> Pipelined<T> {
        let client = self.inner();
        // `join3` polls its futures in order; each sends its request on its
        // first poll, before the connection's task writes any of them.
        let (before, result, after) =
            self.wait(join3(simple(client, before), call, simple(client, after)));
        Pipelined {
            before,
            result,
            after,
        }
    }
}

/// Runs the simple query `sql`, if any.
async fn simple(
    client: &tokio_postgres::Client,
    sql: Option<&str>,
) -> std::result::Result<(), DriverError> {
    match sql {
        Some(sql) => client.batch_execute(sql).await,
        None => Ok(()),
    }
}

impl Drop for Driver {
    /// Runs after the client is dropped: waits (at most [`CLOSE_WAIT`]) for
    /// the connection to send `Terminate` and close, as the `postgres`
    /// crate's client does.
    fn drop(&mut self) {
        let connection = &mut self.connection;
        self.runtime.block_on(async {
            let _ = tokio::time::timeout(CLOSE_WAIT, connection).await;
        });
    }
}
