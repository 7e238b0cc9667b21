//! Online-only operations: password, email and phone changes, sessions and roles. They
//! go straight to the server and fail with `CoreError::Offline` when it is not
//! reachable; they are never queued.

use super::*;

impl SyncEngine {
    pub async fn change_password(
        &self,
        current: &SecretString,
        new: &SecretString,
        repeat: &SecretString,
    ) -> Result<(), CoreError> {
        self.online("changing the password", |c, t| async move {
            c.change_password(&t, current, new, repeat).await
        })
        .await?;
        // The server signed the other sessions out: the list shows it before this returns.
        let token = self.token().await?;
        if let Err(e) = self.pull_sessions(&token).await {
            tracing::debug!(error = %e, "re-reading the sessions after the password change failed");
        }
        Ok(())
    }

    pub async fn password_strength(&self, candidate: &SecretString) -> Result<Strength, CoreError> {
        self.online("checking the password", |c, t| async move {
            c.password_strength(&t, candidate).await
        })
        .await
    }

    /// Starts the change to `new` (a code goes there), then refreshes so the cached
    /// account shows the code step.
    pub async fn request_change(
        &self,
        new: NewContact<'_>,
        password: &SecretString,
    ) -> Result<PendingChangeView, CoreError> {
        let operation = match new.kind() {
            ChangeKind::Email => "changing the email",
            ChangeKind::Phone => "changing the phone number",
        };
        let pending = self
            .online(operation, |c, t| async move {
                c.request_change(&t, new, password).await
            })
            .await?;
        self.refresh_quietly().await;
        Ok(pending)
    }

    pub async fn resend_code(&self, kind: ChangeKind) -> Result<PendingChangeView, CoreError> {
        self.online("sending a new code", |c, t| async move {
            c.resend_code(&t, kind).await
        })
        .await
    }

    pub async fn confirm_change(
        &self,
        kind: ChangeKind,
        code: &str,
    ) -> Result<CachedAccount, CoreError> {
        let operation = match kind {
            ChangeKind::Email => "confirming the email",
            ChangeKind::Phone => "confirming the phone number",
        };
        let view = self
            .online(operation, |c, t| async move {
                c.confirm_change(&t, kind, code).await
            })
            .await?;
        self.ingest_account(view).await
    }

    pub async fn cancel_change(&self, kind: ChangeKind) -> Result<(), CoreError> {
        let operation = match kind {
            ChangeKind::Email => "cancelling the email change",
            ChangeKind::Phone => "cancelling the phone change",
        };
        self.online(
            operation,
            |c, t| async move { c.cancel_change(&t, kind).await },
        )
        .await?;
        self.refresh_quietly().await;
        Ok(())
    }

    pub async fn revoke_session(&self, id: &str) -> Result<(), CoreError> {
        self.online("signing out a session", |c, t| async move {
            c.revoke_session(&t, id).await
        })
        .await?;
        let token = self.token().await?;
        self.pull_sessions(&token).await
    }

    pub async fn revoke_other_sessions(&self) -> Result<u64, CoreError> {
        let n = self
            .online("signing out other sessions", |c, t| async move {
                c.revoke_other_sessions(&t).await
            })
            .await?;
        let token = self.token().await?;
        self.pull_sessions(&token).await?;
        Ok(n)
    }

    pub async fn change_role(&self, user_id: i64, role: Role) -> Result<MemberView, CoreError> {
        let member = self
            .online("changing a role", |c, t| async move {
                c.change_role(&t, user_id, role).await
            })
            .await?;
        let token = self.token().await?;
        self.pull_members(&token).await?;
        Ok(member)
    }
}
