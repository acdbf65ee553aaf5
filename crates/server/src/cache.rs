//! Computed accounts and metrics, kept while the ledger's revision stays the same.
//!
//! A month of a million-run ledger is tens of thousands of rows to aggregate; the overview page
//! shows the same figures to everyone until a run ends or a record is added. Each entry keeps
//! the [`Revision`] read *before* it was computed, so an entry is never newer than its key
//! claims: a change during the computation only makes the next request compute again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sustain_ledger::{Revision, SqliteLedger};
use sustain_report::{Accounts, Period, Scope, accounts};

use crate::error::ApiResult;
use crate::overview::Overview;

/// Entries at most; the cache is emptied when it would grow beyond.
const MAX_ENTRIES: usize = 256;

/// The cache.
#[derive(Default)]
pub struct Cache {
    accounts: Mutex<HashMap<String, (Revision, Arc<Accounts>)>>,
    metrics: Mutex<Option<(Revision, Arc<String>)>>,
    overview: Mutex<Option<(Revision, String, Arc<Overview>)>>,
}

impl Cache {
    /// The accounts of `scope` over `period`, from the cache when the ledger has not changed.
    pub fn accounts(
        &self,
        ledger: &SqliteLedger,
        period: &Period,
        scope: &Scope,
    ) -> ApiResult<Arc<Accounts>> {
        let rev = ledger.revision()?;
        let key = format!("{}|{}", period.label, scope.label());
        if let Some((r, a)) = self.lock_accounts().get(&key)
            && *r == rev
        {
            return Ok(Arc::clone(a));
        }
        let a = Arc::new(accounts(ledger, period, scope)?);
        let mut map = self.lock_accounts();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (rev, Arc::clone(&a)));
        Ok(a)
    }

    /// The overview of `month`, from the cache when the ledger has not changed.
    pub fn overview(&self, ledger: &SqliteLedger, month: &Period) -> ApiResult<Arc<Overview>> {
        let rev = ledger.revision()?;
        if let Some((r, m, o)) = self
            .overview
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *r == rev
            && *m == month.label
        {
            return Ok(Arc::clone(o));
        }
        let o = Arc::new(crate::overview::compute(ledger, month)?);
        *self.overview.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((rev, month.label.clone(), Arc::clone(&o)));
        Ok(o)
    }

    /// The metrics text, computed by `make` when the ledger has changed.
    pub fn metrics(
        &self,
        ledger: &SqliteLedger,
        make: impl FnOnce(&SqliteLedger) -> ApiResult<String>,
    ) -> ApiResult<Arc<String>> {
        let rev = ledger.revision()?;
        if let Some((r, text)) = self
            .metrics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *r == rev
        {
            return Ok(Arc::clone(text));
        }
        let text = Arc::new(make(ledger)?);
        *self.metrics.lock().unwrap_or_else(|p| p.into_inner()) = Some((rev, Arc::clone(&text)));
        Ok(text)
    }

    fn lock_accounts(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Revision, Arc<Accounts>)>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }
}
