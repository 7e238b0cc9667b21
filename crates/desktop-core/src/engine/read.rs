//! Reading: the cache without the network, and the refresh that renews it (queued edits
//! first, then a conditional `GET` of the account, the sessions and, for owners and
//! admins, the members), plus what the server pushes into it.

use super::*;

impl SyncEngine {
    /// The cached account, without the network. `None` when nobody is signed in.
    pub async fn load_from_cache(&self) -> Result<Option<CachedAccount>, CoreError> {
        self.db_ours(|c| c.account()).await
    }

    pub async fn cached_sessions(&self) -> Result<Option<Synced<Vec<SessionView>>>, CoreError> {
        self.db_ours(|c| c.sessions()).await
    }

    pub async fn cached_members(&self) -> Result<Option<Synced<Vec<MemberView>>>, CoreError> {
        self.db_ours(|c| c.members()).await
    }

    /// The sessions list as cached (every refresh renews it); fetched only when there is
    /// none yet, so showing the list costs no request after the refresh that brought it.
    pub async fn sessions(&self) -> Result<Option<Synced<Vec<SessionView>>>, CoreError> {
        if let Some(cached) = self.cached_sessions().await? {
            return Ok(Some(cached));
        }
        let token = self.token().await?;
        self.pull_sessions(&token).await?;
        self.cached_sessions().await
    }

    /// The members list, as [`Self::sessions`] (owners and admins).
    pub async fn members(&self) -> Result<Option<Synced<Vec<MemberView>>>, CoreError> {
        if let Some(cached) = self.cached_members().await? {
            return Ok(Some(cached));
        }
        let token = self.token().await?;
        self.pull_members(&token).await?;
        self.cached_members().await
    }

    /// Flushes queued edits, then fetches the account (conditionally), sessions and, for
    /// owners and admins, members. Offline, the cache stays as it is and the state says
    /// so.
    pub async fn refresh(&self) -> Result<CachedAccount, CoreError> {
        let token = self.token().await?;
        self.inner
            .state
            .send_modify(|s| s.connectivity = Connectivity::Syncing);
        let result = self.refresh_with(&token).await;
        match &result {
            Ok(account) => self.mark(Connectivity::Online, account.synced_at),
            Err(e) if e.is_offline() => self.mark(Connectivity::Offline, None),
            Err(_) => self.mark(Connectivity::Online, None),
        }
        result
    }

    pub(super) async fn refresh_with(
        &self,
        token: &SecretString,
    ) -> Result<CachedAccount, CoreError> {
        let account = self.refresh_account(token).await?;
        self.pull_sessions(token).await?;
        if matches!(account.view.role, Role::Owner | Role::Admin) {
            self.pull_members(token).await?;
        }
        Ok(account)
    }

    /// Flushes queued edits, then fetches the account with a conditional `GET`: what
    /// the fallback poll does.
    pub(super) async fn refresh_account(
        &self,
        token: &SecretString,
    ) -> Result<CachedAccount, CoreError> {
        if let (_, Some(cause)) = self.flush_pass().await? {
            return Err(CoreError::Offline {
                operation: "refreshing",
                cause,
            });
        }
        let etag = self.db(|c| c.account()).await?.and_then(|a| a.etag);
        let fetched = self
            .inner
            .client
            .account(token, etag.as_ref())
            .await
            .map_err(|e| CoreError::from_client("refreshing", e))?;
        let now = Utc::now();
        let account = match fetched {
            AccountFetch::NotModified => {
                self.db(move |c| c.confirmed(now)).await?;
                self.db(|c| c.account())
                    .await?
                    .ok_or(CoreError::SignedOut)?
            }
            AccountFetch::Fresh(view, tag) => {
                let before = self.db(|c| c.balance()).await?;
                let account = self
                    .db(move |c| c.server_account(&view, Some(&tag), now))
                    .await?;
                self.publish(Change::Account(Box::new(account.clone())));
                self.publish_balance_if_changed(before).await?;
                account
            }
        };
        self.check_alert().await;
        Ok(account)
    }

    pub(super) async fn pull_sessions(&self, token: &SecretString) -> Result<(), CoreError> {
        let list = self
            .inner
            .client
            .sessions(token)
            .await
            .map_err(|e| CoreError::from_client("listing sessions", e))?;
        let (stored, now) = (list.clone(), Utc::now());
        self.db(move |c| c.set_sessions(&stored, now)).await?;
        self.publish(Change::Sessions(list));
        Ok(())
    }

    pub(super) async fn pull_members(&self, token: &SecretString) -> Result<(), CoreError> {
        let list = self
            .inner
            .client
            .members(token)
            .await
            .map_err(|e| CoreError::from_client("listing members", e))?;
        let (stored, now) = (list.clone(), Utc::now());
        self.db(move |c| c.set_members(&stored, now)).await?;
        self.publish(Change::Members(list));
        Ok(())
    }

    /// Stores an account the server sent outside a refresh (a confirmed email change;
    /// later, a "settings changed elsewhere" event) and publishes it. Queued edits stay
    /// on top of it.
    pub async fn ingest_account(&self, account: AccountView) -> Result<CachedAccount, CoreError> {
        let now = Utc::now();
        let before = self.db(|c| c.balance()).await?;
        let cached = self
            .db(move |c| c.server_account(&account, None, now))
            .await?;
        self.publish(Change::Account(Box::new(cached.clone())));
        self.publish_balance_if_changed(before).await?;
        self.check_alert().await;
        Ok(cached)
    }

    /// The stored low-balance alert state (for diagnostics and tests).
    pub async fn alert_state(&self) -> Result<crate::alert::AlertState, CoreError> {
        self.db(|c| c.alert_state()).await
    }

    /// The cached balance and when the server last confirmed it, without the network.
    pub async fn cached_balance(&self) -> Result<Option<CachedBalance>, CoreError> {
        self.db_ours(|c| c.balance()).await
    }

    /// Stores a balance the server pushed, publishes it when it changed, and
    /// re-evaluates the low-balance alert.
    pub(crate) async fn ingest_balance(
        &self,
        balance: account_model::dto::BalanceView,
    ) -> Result<CachedBalance, CoreError> {
        let now = Utc::now();
        let (cached, changed) = self.db(move |c| c.set_balance(balance, now)).await?;
        self.mark(Connectivity::Online, Some(now));
        if changed {
            self.publish(Change::Balance(cached));
            if let Some(account) = self.db(|c| c.account()).await? {
                self.publish(Change::Account(Box::new(account)));
            }
        }
        self.check_alert().await;
        Ok(cached)
    }

    pub(super) async fn publish_balance_if_changed(
        &self,
        before: Option<CachedBalance>,
    ) -> Result<(), CoreError> {
        let after = self.db(|c| c.balance()).await?;
        if let Some(after) = after
            && before.map(|b| b.balance) != Some(after.balance)
        {
            self.publish(Change::Balance(after));
        }
        Ok(())
    }

    /// Evaluates the low-balance alert against the cache and publishes it when it
    /// fires. A failure here must not fail the refresh or edit that triggered it: it
    /// is logged, and the next evaluation catches up.
    pub(crate) async fn check_alert(&self) {
        let now = Utc::now();
        match self.db(move |c| c.evaluate_alert(now)).await {
            Ok(Some(alert)) => self.publish(Change::LowBalanceAlert(alert)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "evaluating the low-balance alert failed"),
        }
    }
}
