//! The desktop's low-balance alert: when to raise a native notification.
//!
//! Pure logic, so it can be tested exhaustively; the engine persists its state in the
//! cache (see [`crate::cache`]) and feeds it every balance and account it stores.
//!
//! Contract (mirrors the server's email/SMS alert, so all channels agree):
//! - The alert is *eligible* when the account view carries the low-balance settings
//!   (only users with billing permission get them), the alert is on, and the user chose
//!   the `desktop` channel. An ineligible alert never fires and its state is forgotten
//!   (armed), as on the server: the next eligible crossing fires.
//! - "Below" means `balance < threshold`. An eligible, armed alert that sees the
//!   balance below fires once and becomes `Fired`; it stays quiet while the balance
//!   stays below and re-arms when the balance is at or above the threshold again.
//! - The threshold is part of every evaluation, so changing it re-evaluates: raising it
//!   above the balance is a crossing; lowering it below the balance re-arms.
//! - The state is persisted, so across restarts: a restart while below (already fired)
//!   stays quiet; a crossing that happened while the app was closed is seen at the
//!   first evaluation after start (state armed, balance below) and fires once. The
//!   same holds for a first sign-in while the balance is already below the threshold:
//!   the user asked for desktop alerts and was not told on this device yet.

use account_model::dto::AccountView;
use account_model::{Channel, Currency};

/// Whether the alert may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertState {
    /// The next eligible "below" fires.
    #[default]
    Armed,
    /// Fired for the current time below the threshold; waits for recovery.
    Fired,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Armed => "armed",
            Self::Fired => "fired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "armed" => Some(Self::Armed),
            "fired" => Some(Self::Fired),
            _ => None,
        }
    }
}

/// The user's alert settings, when the alert is eligible for the desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertRule {
    pub threshold_minor: i64,
}

impl AlertRule {
    /// The rule of `view`, `None` when the desktop alert is not eligible (no billing
    /// permission, alert off, or the desktop channel not chosen).
    pub fn of(view: &AccountView) -> Option<Self> {
        let low = view.notifications.low_balance.as_ref()?;
        (low.enabled && low.channels.contains(&Channel::Desktop)).then_some(Self {
            threshold_minor: low.threshold_minor,
        })
    }
}

/// What the desktop shows as a native notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowBalanceAlert {
    pub balance_minor: i64,
    pub threshold_minor: i64,
    pub currency: Currency,
}

/// One evaluation: the next state, and whether to notify now.
pub fn evaluate(
    state: AlertState,
    balance_minor: i64,
    rule: Option<AlertRule>,
) -> (AlertState, bool) {
    let Some(rule) = rule else {
        return (AlertState::Armed, false);
    };
    if balance_minor >= rule.threshold_minor {
        return (AlertState::Armed, false);
    }
    match state {
        AlertState::Armed => (AlertState::Fired, true),
        AlertState::Fired => (AlertState::Fired, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 5_000;

    fn rule(threshold_minor: i64) -> Option<AlertRule> {
        Some(AlertRule { threshold_minor })
    }

    /// Runs a sequence of (balance, rule) observations from `start`; returns the
    /// observations (by index) that notified and the final state.
    fn run(start: AlertState, steps: &[(i64, Option<AlertRule>)]) -> (Vec<usize>, AlertState) {
        let mut state = start;
        let mut fired = Vec::new();
        for (i, (balance, rule)) in steps.iter().enumerate() {
            let (next, notify) = evaluate(state, *balance, *rule);
            if notify {
                fired.push(i);
            }
            state = next;
        }
        (fired, state)
    }

    #[test]
    fn every_state_and_position_relative_to_the_threshold_gives_the_specified_outcome() {
        // (state, balance, rule) → (next state, notify), for every combination.
        let cases = [
            (AlertState::Armed, T + 1, rule(T), AlertState::Armed, false),
            (AlertState::Armed, T, rule(T), AlertState::Armed, false),
            (AlertState::Armed, T - 1, rule(T), AlertState::Fired, true),
            (AlertState::Fired, T + 1, rule(T), AlertState::Armed, false),
            (AlertState::Fired, T, rule(T), AlertState::Armed, false),
            (AlertState::Fired, T - 1, rule(T), AlertState::Fired, false),
            (AlertState::Armed, T - 1, None, AlertState::Armed, false),
            (AlertState::Fired, T - 1, None, AlertState::Armed, false),
            (AlertState::Armed, T + 1, None, AlertState::Armed, false),
            (AlertState::Fired, T + 1, None, AlertState::Armed, false),
            (AlertState::Armed, -10, rule(0), AlertState::Fired, true),
            (AlertState::Armed, 0, rule(0), AlertState::Armed, false),
        ];
        for (state, balance, rule, next, notify) in cases {
            assert_eq!(
                evaluate(state, balance, rule),
                (next, notify),
                "{state:?} balance {balance} rule {rule:?}"
            );
        }
    }

    #[test]
    fn a_downward_crossing_fires_once_and_not_again_while_the_balance_stays_below() {
        let (fired, state) = run(
            AlertState::Armed,
            &[
                (9_000, rule(T)),
                (4_000, rule(T)),
                (3_000, rule(T)),
                (10, rule(T)),
            ],
        );

        assert_eq!(fired, vec![1]);
        assert_eq!(state, AlertState::Fired);
    }

    #[test]
    fn recovery_to_the_threshold_re_arms_and_the_next_crossing_fires_again() {
        let (fired, _) = run(
            AlertState::Armed,
            &[
                (4_000, rule(T)),
                (T, rule(T)),
                (4_999, rule(T)),
                (6_000, rule(T)),
                (1, rule(T)),
            ],
        );

        assert_eq!(fired, vec![0, 2, 4]);
    }

    #[test]
    fn raising_the_threshold_above_the_balance_counts_as_a_crossing() {
        let (fired, state) = run(AlertState::Armed, &[(4_000, rule(3_000)), (4_000, rule(T))]);

        assert_eq!(fired, vec![1]);
        assert_eq!(state, AlertState::Fired);
    }

    #[test]
    fn lowering_the_threshold_below_the_balance_re_arms_and_raising_it_again_fires() {
        let (fired, _) = run(
            AlertState::Armed,
            &[(4_000, rule(T)), (4_000, rule(3_000)), (4_000, rule(T))],
        );

        assert_eq!(fired, vec![0, 2]);
    }

    #[test]
    fn raising_the_threshold_further_while_already_below_does_not_fire_again() {
        let (fired, _) = run(AlertState::Armed, &[(4_000, rule(T)), (4_000, rule(8_000))]);

        assert_eq!(fired, vec![0]);
    }

    #[test]
    fn a_restart_below_the_threshold_stays_quiet_because_the_fired_state_was_kept() {
        let (fired, _) = run(AlertState::Fired, &[(4_000, rule(T)), (3_000, rule(T))]);

        assert!(fired.is_empty());
    }

    #[test]
    fn a_crossing_while_the_app_was_closed_fires_once_at_the_first_evaluation() {
        // Last seen above (armed) before closing; below at start.
        let (fired, _) = run(AlertState::Armed, &[(4_000, rule(T)), (4_000, rule(T))]);

        assert_eq!(fired, vec![0]);
    }

    #[test]
    fn an_ineligible_alert_never_fires_and_enabling_it_while_below_fires_once() {
        let (fired, _) = run(
            AlertState::Armed,
            &[
                (4_000, None),
                (3_000, None),
                (3_000, rule(T)),
                (2_000, rule(T)),
            ],
        );

        assert_eq!(fired, vec![2]);
    }

    #[test]
    fn no_sequence_of_observations_fires_twice_without_a_recovery_or_ineligible_step_between() {
        // Every sequence of length 5 over a small alphabet of observations, from both
        // start states: a fire happens exactly when the step is eligible and below and
        // the previous step (or the start state) was not an unrecovered fire.
        let alphabet = [
            (T + 100, rule(T)),
            (T, rule(T)),
            (T - 100, rule(T)),
            (T - 100, rule(T - 200)),
            (T - 100, None),
            (T - 300, rule(T + 500)),
        ];
        let n = alphabet.len();
        for start in [AlertState::Armed, AlertState::Fired] {
            for code in 0..n.pow(5) {
                let steps: Vec<_> = (0..5).map(|k| alphabet[(code / n.pow(k)) % n]).collect();
                let (fired, _) = run(start, &steps);
                let mut armed = start == AlertState::Armed;
                let mut expected = Vec::new();
                for (i, (balance, rule)) in steps.iter().enumerate() {
                    match rule {
                        Some(r) if *balance < r.threshold_minor => {
                            if armed {
                                expected.push(i);
                            }
                            armed = false;
                        }
                        _ => armed = true,
                    }
                }
                assert_eq!(fired, expected, "{start:?} {steps:?}");
            }
        }
    }

    #[test]
    fn the_rule_needs_the_settings_the_switch_and_the_desktop_channel() {
        let mut view: AccountView = serde_json::from_value(serde_json::json!({
            "id": 7, "name": "Ana", "email": "ana@example.com", "phone": null,
            "role": "billing", "permissions": ["view_billing"],
            "organization": { "id": 1, "name": "Acme", "currency": "EUR" },
            "language": "en", "country": null, "timeZone": "UTC", "regionConfigured": false,
            "notifications": { "contactImports": [], "billing": [],
                "lowBalance": { "enabled": true, "thresholdMinor": 5000, "channels": ["desktop", "email"] } },
            "balance": { "amountMinor": 10000, "currency": "EUR" },
            "version": 1
        }))
        .expect("a valid account");

        let eligible = AlertRule::of(&view);
        let low = view.notifications.low_balance.as_mut().expect("present");
        low.channels = vec![Channel::Email];
        let email_only = AlertRule::of(&view);
        let low = view.notifications.low_balance.as_mut().expect("present");
        low.channels = vec![Channel::Desktop];
        low.enabled = false;
        let off = AlertRule::of(&view);
        view.notifications.low_balance = None;
        let no_permission = AlertRule::of(&view);

        assert_eq!(
            eligible,
            Some(AlertRule {
                threshold_minor: 5_000
            })
        );
        assert_eq!(email_only, None);
        assert_eq!(off, None);
        assert_eq!(no_permission, None);
    }

    #[test]
    fn the_state_round_trips_through_its_stored_name() {
        for s in [AlertState::Armed, AlertState::Fired] {
            assert_eq!(AlertState::parse(s.as_str()), Some(s));
        }
        assert_eq!(AlertState::parse("other"), None);
    }
}
