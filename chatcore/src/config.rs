//! How a [`Store`](crate::Store) is opened: timeouts, limits, password cost and the clock.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A source of the current time. The store asks it for every timestamp and
/// every expiry check, so tests can move time by hand with [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock; the default.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to, for tests of expiry.
///
/// ```
/// use chatcore::{Clock, ManualClock};
/// use chrono::{Duration, TimeZone, Utc};
///
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
/// clock.advance(Duration::days(31));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
    }

    /// Moves the time forward (or back, with a negative duration).
    pub fn advance(&self, by: ChronoDuration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The argon2id cost used for new password hashes.
///
/// At most 64 MiB of memory (`memory_kib` ≤ 65,536), 10 iterations, 4
/// lanes, and memory × iterations ≤ 192 MiB: a store with a cost above
/// these bounds is refused when it opens ([`Error::InvalidArgument`]).
/// The same bounds cap the stored hashes a login will check: a stored hash
/// over them never logs in until the password is set again.
///
/// Stored hashes made with other parameters still verify; a successful
/// login rehashes one with these only when these are stronger (never
/// downward: the insecure test cost never replaces a real hash).
///
/// [`Error::InvalidArgument`]: crate::Error::InvalidArgument
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordCost {
    /// OWASP's recommended argon2id parameters: m=19456 KiB, t=2, p=1.
    pub const OWASP: PasswordCost = PasswordCost {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest parameters argon2 accepts. **Insecure**: only for tests,
    /// where hashing at full cost would make each login take tens of milliseconds.
    pub const INSECURE_FAST_FOR_TESTS: PasswordCost = PasswordCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost::OWASP
    }
}

/// How durable a commit is; maps to SQLite's `PRAGMA synchronous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` (the default): a commit survives the process
    /// being killed at any instant; after a power loss or OS crash the last
    /// few commits may be rolled back, but the file is never corrupt.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is flushed to disk before it returns
    /// and also survives power loss, at several times the cost per write.
    Full,
}

/// Settings for [`Store::open_with`](crate::Store::open_with).
///
/// ```
/// use chatcore::{Config, PasswordCost};
/// use std::time::Duration;
///
/// let config = Config::default()
///     .busy_timeout(Duration::from_secs(10))
///     .session_ttl(Duration::from_secs(7 * 24 * 3600))
///     .password_cost(PasswordCost::OWASP);
/// assert_eq!(config.max_text_bytes_value(), 64 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) busy_timeout: Duration,
    pub(crate) session_ttl: ChronoDuration,
    pub(crate) max_text_bytes: usize,
    pub(crate) password_cost: PasswordCost,
    pub(crate) durability: Durability,
    pub(crate) checkpoints: Checkpoints,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) edit_window: ChronoDuration,
    pub(crate) change_retention: ChronoDuration,
    pub(crate) max_changes_per_user: u64,
    pub(crate) wait_recheck: Duration,
    pub(crate) key: Option<crate::key::DatabaseKey>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            busy_timeout: Duration::from_secs(5),
            session_ttl: ChronoDuration::days(30),
            max_text_bytes: 64 * 1024,
            password_cost: PasswordCost::OWASP,
            durability: Durability::Normal,
            checkpoints: Checkpoints::Background,
            clock: Arc::new(SystemClock),
            edit_window: ChronoDuration::hours(48),
            change_retention: ChronoDuration::days(30),
            max_changes_per_user: 10_000,
            wait_recheck: Duration::from_secs(1),
            key: None,
        }
    }
}

impl Config {
    /// How long a write waits for another connection's lock before failing
    /// with [`Error::Busy`](crate::Error::Busy). Default 5 s.
    pub fn busy_timeout(mut self, timeout: Duration) -> Config {
        self.busy_timeout = timeout;
        self
    }

    /// How long a session lives after login. Default 30 days.
    /// Durations too large to represent are capped at 100 years.
    pub fn session_ttl(mut self, ttl: Duration) -> Config {
        let hundred_years = ChronoDuration::days(36_525);
        self.session_ttl = ChronoDuration::from_std(ttl)
            .unwrap_or(hundred_years)
            .min(hundred_years);
        self
    }

    /// The longest message text accepted, in UTF-8 bytes. Default 64 KiB.
    pub fn max_text_bytes(mut self, bytes: usize) -> Config {
        self.max_text_bytes = bytes;
        self
    }

    /// The configured maximum text length in bytes.
    pub fn max_text_bytes_value(&self) -> usize {
        self.max_text_bytes
    }

    /// The argon2id cost of new password hashes. Default [`PasswordCost::OWASP`].
    pub fn password_cost(mut self, cost: PasswordCost) -> Config {
        self.password_cost = cost;
        self
    }

    /// How durable each commit is. Default [`Durability::Normal`].
    pub fn durability(mut self, durability: Durability) -> Config {
        self.durability = durability;
        self
    }

    /// Who runs WAL checkpoints. Default [`Checkpoints::Background`]: a
    /// thread owned by the store, so that no send waits for one;
    /// [`Checkpoints::Inline`] for hosts that forbid library threads.
    /// An in-memory store has no WAL and ignores this.
    pub fn checkpoints(mut self, checkpoints: Checkpoints) -> Config {
        self.checkpoints = checkpoints;
        self
    }

    /// The clock used for timestamps and expiry. Default [`SystemClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Config {
        self.clock = clock;
        self
    }

    /// How long after sending a message its sender may still edit or
    /// withdraw it ([`Session::edit_message`](crate::Session::edit_message),
    /// [`Session::delete_message`](crate::Session::delete_message)).
    /// Default 48 hours. Durations too large to represent are capped at
    /// 100 years.
    pub fn edit_window(mut self, window: Duration) -> Config {
        let hundred_years = ChronoDuration::days(36_525);
        self.edit_window = ChronoDuration::from_std(window)
            .unwrap_or(hundred_years)
            .min(hundred_years);
        self
    }

    /// How long entries of the change feed are kept
    /// ([`Session::changes`](crate::Session::changes)). Default 30 days;
    /// durations too large to represent are capped at 100 years. Older
    /// entries are pruned in small steps as the user's feed grows (checked
    /// every [`PRUNE_STEP`](crate::PRUNE_STEP)th entry of that user), and a
    /// cursor before a pruned entry gets
    /// [`Error::ChangesExpired`](crate::Error::ChangesExpired).
    pub fn change_retention(mut self, age: Duration) -> Config {
        let hundred_years = ChronoDuration::days(36_525);
        self.change_retention = ChronoDuration::from_std(age)
            .unwrap_or(hundred_years)
            .min(hundred_years);
        self
    }

    /// The configured edit window.
    pub fn edit_window_value(&self) -> Duration {
        self.edit_window.to_std().unwrap_or_default()
    }

    /// The most change-feed entries kept per user. Default 10,000; at
    /// least 1 (0 is taken as 1). Past it the oldest are pruned, at most
    /// [`PRUNE_STEP`](crate::PRUNE_STEP) at a time, by every
    /// `PRUNE_STEP`th write to that user's feed (so a user may hold up to
    /// `PRUNE_STEP - 1` more between two of them).
    pub fn max_changes_per_user(mut self, count: u64) -> Config {
        self.max_changes_per_user = count.max(1);
        self
    }

    /// How often a [`Session::wait_for_changes`](crate::Session::wait_for_changes)
    /// looks at the database again even with no wake-up. Default 1 s: a
    /// bound on a wake-up the watcher of other processes could miss (a
    /// file system that does not report changes). At least 1 ms.
    pub fn wait_recheck(mut self, every: Duration) -> Config {
        self.wait_recheck = every.max(Duration::from_millis(1));
        self
    }

    /// Encrypts the store's file with `key` (SQLCipher): a new file is
    /// created encrypted, an existing one must have been encrypted with the
    /// same key, else opening fails with
    /// [`Error::WrongKey`](crate::Error::WrongKey) and leaves it untouched.
    /// Without a key (the default) the store is a plain SQLite file. An
    /// in-memory store ignores the key (it never touches a disk).
    ///
    /// ```
    /// use chatcore::{Config, DatabaseKey};
    ///
    /// let config = Config::default().key(DatabaseKey::Raw([42; 32]));
    /// assert!(format!("{config:?}").contains("<redacted>"));
    /// ```
    pub fn key(mut self, key: crate::key::DatabaseKey) -> Config {
        self.key = Some(key);
        self
    }

    /// Settings for tests: the system clock but the cheapest password hashing.
    /// **Insecure**; never use for real accounts.
    pub fn insecure_fast_for_tests() -> Config {
        Config::default().password_cost(PasswordCost::INSECURE_FAST_FOR_TESTS)
    }
}

/// Who runs WAL checkpoints; see [`Config::checkpoints`](crate::Config::checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checkpoints {
    /// A background thread owned by the store, with its own connection,
    /// checkpoints when the WAL passes 1,000 pages (4 MiB); a send never
    /// waits for it. Only if the WAL still reaches 8,192 pages (32 MiB, a
    /// writer that never pauses) does the committing call checkpoint, and
    /// only past 16,384 pages (64 MiB, a stalled disk) does it wait for the
    /// background checkpoint to finish first. The default for stores on a
    /// file.
    #[default]
    Background,
    /// No thread: SQLite checkpoints inside the commit that makes the WAL
    /// pass 1,000 pages, so that one call takes milliseconds longer. For
    /// hosts that forbid library threads; such a host may also call
    /// [`Store::checkpoint`](crate::Store::checkpoint) when it is idle.
    Inline,
}
