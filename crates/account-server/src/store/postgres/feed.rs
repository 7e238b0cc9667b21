//! The event history behind the live stream, and the feed that reads it in order.
//!
//! On PostgreSQL an event's id comes from a sequence, and **sequence order is not
//! commit order**: transaction T1 may draw id 10, T2 id 11, and T2 commit first. A
//! reader that reads `id > last` right then sees 11, moves `last` to 11, and never
//! sees 10 when T1 commits a moment later. The feed therefore hands out events only
//! up to the first hole, and steps over a hole only once it is sure the hole is
//! permanent (its transaction rolled back):
//!
//! - Every write transaction takes its transaction id at `BEGIN` (see the engine's
//!   module doc), so a transaction that drew an id already had its xid then.
//! - If id `h` is missing while a larger id `n` is visible in snapshot S, then `h` was
//!   drawn before `n` (the sequence caches one value at a time, so ids are drawn in
//!   time order), `n` committed before S was taken, and `h`'s transaction had its xid
//!   before that: its xid is below S's `xmax`. It is not visible in S, so it was still
//!   running at S, or it rolled back.
//! - Once the oldest transaction still running (a later snapshot's `xmin`) is at or
//!   past S's `xmax`, every transaction that could hold `h` has ended; if `h` is still
//!   not visible, it never will be, and the feed steps over it.
//!
//! Holes are rare (a rolled-back write that had inserted an event, or two commits
//! racing) and short (write transactions here last milliseconds); while one is open
//! the feed says `more`, and the services' pump asks again a few milliseconds later.
//! The id the feed starts from is made safe the same way: it is the newest visible id
//! once every transaction running at the start has ended.

use async_trait::async_trait;
use deadpool_postgres::Pool;

use super::{Client, pool_error};
use crate::store::decode::{self, EVENT_COLUMNS};
use crate::store::{EventFeed, EventScope, FeedBatch, NewEvent, StoreResult, StoredEvent};

pub(super) async fn insert(c: &Client, e: &NewEvent<'_>, now: i64) -> StoreResult<i64> {
    let payload = decode::event_payload(e.event)?;
    let stmt = c
        .prepare_cached(
            "INSERT INTO events (organization_id, user_id, session_id, kind, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .await?;
    Ok(c.query_one(
        &stmt,
        &[
            &e.organization_id,
            &e.user_id,
            &e.session_id,
            &e.event.name(),
            &payload,
            &now,
        ],
    )
    .await?
    .try_get(0)?)
}

pub(super) async fn bounds(c: &Client) -> StoreResult<(i64, Option<i64>)> {
    let stmt = c
        .prepare_cached("SELECT coalesce(max(id), 0)::int8, min(id) FROM events")
        .await?;
    let row = c.query_one(&stmt, &[]).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

pub(super) async fn visible(
    c: &Client,
    scope: &EventScope,
    after: i64,
    upto: i64,
    limit: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE organization_id = $1 AND id > $4 AND id <= $5 \
               AND (user_id IS NULL OR user_id = $2) AND (session_id IS NULL OR session_id = $3) \
             ORDER BY id LIMIT $6"
        ))
        .await?;
    c.query(
        &stmt,
        &[
            &scope.organization_id,
            &scope.user_id,
            &scope.session_id,
            &after,
            &upto,
            &limit,
        ],
    )
    .await?
    .iter()
    .map(|r| decode::event(r, 0))
    .collect()
}

/// One look at the table: the events after an id, and the snapshot they were read in.
struct Look {
    /// The oldest transaction still running when the look was taken.
    xmin: i64,
    /// The first transaction id not yet assigned then.
    xmax: i64,
    events: Vec<StoredEvent>,
}

async fn look(c: &Client, after: i64, limit: i64) -> StoreResult<Look> {
    // One statement, so the rows and the snapshot bounds come from the same snapshot.
    let stmt = c
        .prepare_cached(&format!(
            "SELECT pg_snapshot_xmin(s)::text::int8, pg_snapshot_xmax(s)::text::int8, e.* \
             FROM pg_current_snapshot() AS s \
             LEFT JOIN LATERAL (SELECT {EVENT_COLUMNS} FROM events WHERE id > $1 \
                                ORDER BY id LIMIT $2) e ON true \
             ORDER BY e.id"
        ))
        .await?;
    let rows = c.query(&stmt, &[&after, &limit]).await?;
    let first = rows
        .first()
        .ok_or_else(|| decode::corrupt("the event feed's snapshot", "no row"))?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<_, Option<i64>>(2)?.is_some() {
            events.push(decode::event(row, 2)?);
        }
    }
    Ok(Look {
        xmin: first.try_get(0)?,
        xmax: first.try_get(1)?,
        events,
    })
}

/// A hole in the ids: `from` is missing while a larger id was visible in a snapshot
/// whose `xmax` was `horizon`.
#[derive(Debug, Clone, Copy)]
struct Hole {
    from: i64,
    horizon: i64,
}

/// The feed of one instance (see the module doc).
#[derive(Debug)]
pub(super) struct Feed {
    pool: Pool,
    last: i64,
    hole: Option<Hole>,
}

impl Feed {
    /// Starts at the newest event, once every transaction that was running then has
    /// ended (so no smaller id can still commit).
    pub(super) async fn start(pool: Pool) -> StoreResult<Self> {
        let client = pool.get().await.map_err(pool_error)?;
        let stmt = client
            .prepare_cached(
                "SELECT coalesce((SELECT max(id) FROM events), 0)::int8, \
                 pg_snapshot_xmax(pg_current_snapshot())::text::int8",
            )
            .await?;
        let row = client.query_one(&stmt, &[]).await?;
        let (last, horizon): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        let wait = client
            .prepare_cached("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8")
            .await?;
        let mut pause = std::time::Duration::from_millis(1);
        loop {
            let xmin: i64 = client.query_one(&wait, &[]).await?.try_get(0)?;
            if xmin >= horizon {
                break;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(100));
        }
        drop(client);
        Ok(Self {
            pool,
            last,
            hole: None,
        })
    }

    /// Takes what `look` allows, in order, up to the first hole that may still fill.
    fn settle(&mut self, look: Look) -> FeedBatch {
        let mut batch = FeedBatch::default();
        for event in look.events {
            if event.id > self.last + 1 {
                let from = self.last + 1;
                let hole = match self.hole {
                    Some(h) if h.from == from => h,
                    _ => Hole {
                        from,
                        horizon: look.xmax,
                    },
                };
                if look.xmin < hole.horizon {
                    // A transaction that may hold `from` is still running: wait for it.
                    self.hole = Some(hole);
                    batch.more = true;
                    return batch;
                }
                // Every such transaction ended and `from..event.id` never showed up:
                // those ids were rolled back.
            }
            self.hole = None;
            self.last = event.id;
            batch.events.push(event);
        }
        batch
    }
}

#[async_trait]
impl EventFeed for Feed {
    fn position(&self) -> i64 {
        self.last
    }

    async fn next(&mut self, limit: i64) -> StoreResult<FeedBatch> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let look = look(&client, self.last, limit).await?;
        drop(client);
        let full = look.events.len() as i64 == limit;
        let mut batch = self.settle(look);
        batch.more |= full;
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use account_model::dto::StreamEvent;

    fn event(id: i64) -> StoredEvent {
        StoredEvent {
            id,
            organization_id: 1,
            user_id: None,
            session_id: None,
            event: StreamEvent::Resync,
        }
    }

    fn feed(last: i64) -> Feed {
        let config = tokio_postgres::Config::new();
        let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
        Feed {
            pool: Pool::builder(manager).build().expect("pool"),
            last,
            hole: None,
        }
    }

    fn ids(batch: &FeedBatch) -> Vec<i64> {
        batch.events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn events_after_a_hole_wait_while_its_transaction_may_run() {
        let mut feed = feed(10);
        // 11 is missing, 12 committed; transaction 500 (in flight) may hold 11.
        let batch = feed.settle(Look {
            xmin: 500,
            xmax: 510,
            events: vec![event(12)],
        });
        assert!(ids(&batch).is_empty());
        assert!(batch.more);
        assert_eq!(feed.position(), 10);

        // Later: 11 committed after all; both go out, in order.
        let batch = feed.settle(Look {
            xmin: 505,
            xmax: 520,
            events: vec![event(11), event(12), event(13)],
        });
        assert_eq!(ids(&batch), [11, 12, 13]);
        assert!(!batch.more);
        assert_eq!(feed.position(), 13);
    }

    #[test]
    fn a_hole_is_stepped_over_once_every_transaction_that_could_hold_it_ended() {
        let mut feed = feed(10);
        let waiting = feed.settle(Look {
            xmin: 500,
            xmax: 510,
            events: vec![event(12)],
        });
        assert!(waiting.more);
        // Transactions are still running, but all started after the first look
        // (xmin 510 >= horizon 510): 11 rolled back.
        let batch = feed.settle(Look {
            xmin: 510,
            xmax: 530,
            events: vec![event(12)],
        });
        assert_eq!(ids(&batch), [12]);
        assert_eq!(feed.position(), 12);
    }

    #[test]
    fn the_horizon_of_a_hole_is_the_first_look_at_it() {
        let mut feed = feed(10);
        feed.settle(Look {
            xmin: 500,
            xmax: 510,
            events: vec![event(12)],
        });
        // A later look has a larger xmax; waiting for it would be waiting longer than
        // needed, and the rule keeps the first.
        let still = feed.settle(Look {
            xmin: 505,
            xmax: 600,
            events: vec![event(12), event(13)],
        });
        assert!(still.more && ids(&still).is_empty());
        let done = feed.settle(Look {
            xmin: 511,
            xmax: 600,
            events: vec![event(12), event(13)],
        });
        assert_eq!(ids(&done), [12, 13]);
    }

    #[test]
    fn with_nothing_in_flight_a_hole_is_final_at_once() {
        let mut feed = feed(0);
        let batch = feed.settle(Look {
            xmin: 700,
            xmax: 700,
            events: vec![event(1), event(3), event(4)],
        });
        assert_eq!(ids(&batch), [1, 3, 4]);
    }
}
