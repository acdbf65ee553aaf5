//! The server's shared state: the ledger's path, a small pool of SQLite connections used on
//! blocking threads, and the cache of computed accounts.
//!
//! `SqliteLedger` wraps a connection that is not `Sync`, so each request borrows a whole
//! connection for the time of its blocking work (`spawn_blocking`) and gives it back. SQLite in
//! WAL mode lets those connections read at once while one writes; a semaphore bounds how many
//! are open.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sustain_ledger::SqliteLedger;
use tokio::sync::Semaphore;

use crate::cache::Cache;
use crate::error::{ApiError, ApiResult};
use crate::request_id;

/// Connections kept open at most (and requests using the ledger at once).
pub const MAX_CONNECTIONS: usize = 8;

/// Shared by every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<SqliteLedger>>,
    permits: Semaphore,
    cache: Cache,
    sites: sustain_core::site::SiteCatalog,
}

impl AppState {
    /// Opens the ledger at `path` once (creating and migrating it if needed), so that a bad path
    /// fails at start-up rather than on the first request.
    pub fn open(path: &Path) -> Result<Self, sustain_ledger::LedgerError> {
        let first = SqliteLedger::open(path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(MAX_CONNECTIONS),
                cache: Cache::default(),
                sites: sustain_core::site::SiteCatalog::bundled()
                    .map_err(|e| sustain_ledger::LedgerError::Invalid(e.to_string()))?,
            }),
        })
    }

    /// Uses `sites` (the bundled catalog with the user's own sites) for scenarios. Call right
    /// after [`AppState::open`], before the state is shared.
    pub fn with_sites(mut self, sites: sustain_core::site::SiteCatalog) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.sites = sites;
        }
        self
    }

    /// The sites scenarios move runs to.
    pub fn sites(&self) -> &sustain_core::site::SiteCatalog {
        &self.inner.sites
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The accounts cache.
    pub fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// Runs `f` with a ledger connection on a blocking thread.
    pub async fn ledger<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&SqliteLedger) -> ApiResult<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let inner = Arc::clone(&self.inner);
        let id = request_id::current();
        let task = tokio::task::spawn_blocking(move || {
            request_id::sync_scope(id, || {
                let taken = inner.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let ledger = match taken {
                    Some(l) => l,
                    None => SqliteLedger::open(&inner.path)?,
                };
                let out = f(&ledger);
                inner
                    .idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(ledger);
                out
            })
        });
        match task.await {
            Ok(r) => r,
            Err(e) => Err(ApiError::internal(&e)),
        }
    }
}
