//! Offline-capable edits: applied to the cache and queued at once, then sent in order
//! (see `crate::cache::queue` for why each lands exactly once); conflicts and refusals
//! are settled and published.

use super::*;

impl SyncEngine {
    /// Applies `edit` to the cached account and queues it durably (one transaction),
    /// then tries to send the queue. Refuses at once what the server would refuse for
    /// this account (billing fields without billing permission, SMS without a phone).
    pub async fn apply_edit(&self, edit: PreferencesEdit) -> Result<EditOutcome, CoreError> {
        if edit.is_empty() {
            return Err(CoreError::local(
                ParseError::new(ErrorCode::InvalidRequest, "the edit changes nothing"),
                422,
            ));
        }
        let cached = self
            .db(|c| c.account())
            .await?
            .ok_or(CoreError::SignedOut)?;
        let view = &cached.view;
        if view.notifications.billing.is_none() && edit.prefs().any(Pref::needs_billing_permission)
        {
            return Err(CoreError::local(
                ParseError::new(
                    ErrorCode::Forbidden,
                    "billing notices and the low-balance alert need billing permission",
                ),
                403,
            ));
        }
        if view.phone.is_none() && edit.prefs().any(Pref::chooses_sms) {
            return Err(CoreError::local(
                ParseError::new(
                    ErrorCode::PhoneRequired,
                    "add a phone number before choosing SMS",
                ),
                422,
            ));
        }
        let prefs: Vec<Pref> = edit.into_prefs().collect();
        let now = Utc::now();
        let queued = self.db(move |c| c.enqueue(prefs, now)).await?;
        self.inner
            .state
            .send_modify(|s| s.pending_edits = queued.pending_edits);
        self.publish(Change::Account(Box::new(queued.clone())));
        // A threshold edit counts at once, online or not.
        self.check_alert().await;
        let flushed = self.flush_queue().await;
        let account = self
            .db(|c| c.account())
            .await?
            .ok_or(CoreError::SignedOut)?;
        Ok(EditOutcome { account, flushed })
    }

    /// Sends queued edits in order until the queue is empty or the server is not
    /// reachable. Conflicts and refusals are settled and reported; an expired session
    /// stops the pass and keeps the queue for the next sign-in.
    pub async fn flush_queue(&self) -> Result<FlushReport, CoreError> {
        Ok(self.flush_pass().await?.0)
    }

    /// [`Self::flush_queue`], and the network failure that stopped it, if one did: a
    /// refresh reports it as it is instead of asking the server again to learn why.
    pub(super) async fn flush_pass(&self) -> Result<(FlushReport, Option<ClientError>), CoreError> {
        let _one_at_a_time = self.inner.flush.lock().await;
        let token = self.token().await?;
        let mut report = FlushReport::default();
        let mut unreachable = None;
        loop {
            let Some(out) = self.db(|c| c.claim_next()).await? else {
                break;
            };
            let request = edit::request(out.base, &out.prefs);
            let answer = self
                .inner
                .client
                .update_preferences(&token, &request, Some(&out.key))
                .await;
            let now = Utc::now();
            match answer {
                Ok(view) => {
                    let account = self.db(move |c| c.acknowledged(&out, &view, now)).await?;
                    report.acknowledged += 1;
                    self.mark(Connectivity::Online, account.synced_at);
                    self.publish(Change::Account(Box::new(account)));
                }
                Err(ClientError::Refused(r)) if r.code == ErrorCode::VersionConflict => {
                    let VersionConflictDetails { fields, current } =
                        conflict_details(r.details.as_ref()).ok_or_else(|| {
                            CoreError::Server(ClientError::Protocol(
                                "a version_conflict without details.fields and details.current"
                                    .into(),
                            ))
                        })?;
                    let discarded: Vec<Pref> = out
                        .prefs
                        .iter()
                        .filter(|p| fields.contains(&p.field()))
                        .cloned()
                        .collect();
                    let fields: std::collections::BTreeSet<_> = fields.into_iter().collect();
                    let account = if discarded.is_empty() {
                        // Nothing of ours conflicts (should not happen): drop rather than
                        // resend the same request forever.
                        self.db(move |c| c.rejected(&out)).await?
                    } else {
                        let current = current.clone();
                        self.db(move |c| c.conflicted(&out, &fields, &current, now))
                            .await?
                    };
                    let conflict = Conflict {
                        discarded,
                        server: Box::new(current),
                    };
                    self.publish(Change::Conflict(conflict.clone()));
                    self.publish(Change::Account(Box::new(account)));
                    report.conflicts.push(conflict);
                }
                Err(ClientError::Refused(r)) if r.code == ErrorCode::Unauthenticated => {
                    return Err(CoreError::Refused(r));
                }
                Err(ClientError::Refused(r)) => {
                    let rejected = RejectedEdit {
                        discarded: out.prefs.clone(),
                        code: r.code,
                        message: r.message.clone(),
                    };
                    let account = self.db(move |c| c.rejected(&out)).await?;
                    self.publish(Change::Rejected(rejected.clone()));
                    self.publish(Change::Account(Box::new(account)));
                    report.rejected.push(rejected);
                }
                Err(e) if e.is_network() => {
                    self.mark(Connectivity::Offline, None);
                    report.offline = true;
                    unreachable = Some(e);
                    break;
                }
                Err(e) => return Err(CoreError::Server(e)),
            }
        }
        report.pending = self.db(|c| c.pending_edits()).await?;
        if report.acknowledged > 0 || !report.conflicts.is_empty() || !report.rejected.is_empty() {
            self.check_alert().await;
        }
        let pending = report.pending;
        self.inner.state.send_modify(|s| s.pending_edits = pending);
        Ok((report, unreachable))
    }
}

/// The typed `details` of a `version_conflict`.
fn conflict_details(details: Option<&serde_json::Value>) -> Option<VersionConflictDetails> {
    serde_json::from_value(details?.clone()).ok()
}
