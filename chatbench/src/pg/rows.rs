//! The rows of the SQLite run, measured on both sides of [`Sides`].

use super::{Sides, check, err, now_ms};
use crate::R;
use crate::data::{self, PASSWORD, Size, World};
use crate::stats::Plan;
use chatcore::{MessageId, MessageQuery, ThreadId, ThreadQuery};

/// The rows of the SQLite run, in its order.
pub(super) fn measure_rows(sides: &mut Sides, world: &World, size: Size) -> R<()> {
    let mut rng = data::Rng::new(7);
    let texts: Vec<&str> = (0..64).map(|_| data::text(&mut rng)).collect();
    let token = |sides: &mut Sides, user: chatcore::UserId| sides.floor.token(user.0);
    let (send_thread, s1_id) = (world.send_thread, world.send_pair.0);
    let s1_token = token(sides, s1_id)?;
    let (mut n, mut m) = (0usize, 0usize);
    let plan = sides.plan;
    sides.row(
        "send",
        "one statement: session, participant, insert, thread, members, recipient total",
        plan,
        Some(&mut |core| {
            n += 1;
            core.s1
                .send(send_thread, texts[n % 64])
                .map(|_| ())
                .map_err(err)
        }),
        Some(&mut |floor| {
            m += 1;
            floor
                .send(&s1_token, send_thread.0, texts[m % 64], now_ms())
                .map(drop)
        }),
    )?;
    let (mut n, mut m) = (0usize, 0usize);
    sides.pair_row(
        crate::keyed::ROW,
        "both columns chatcore, alternating: new key each time | no key (not a floor)",
        &mut |core| {
            n += 1;
            let key = format!("pg-bench-key-{n}-{}", now_ms());
            let (_, created) = core
                .s1
                .send_with_key(send_thread, texts[n % 64], &key)
                .map_err(err)?;
            check(created, || format!("key {key} was not new"))
        },
        &mut |core| {
            m += 1;
            core.s1
                .send(send_thread, texts[m % 64])
                .map(drop)
                .map_err(err)
        },
    )?;

    let (hub_id, p5) = (world.hub, world.partners[5]);
    let hub_token = token(sides, hub_id)?;
    sides.row(
        "create-or-get, existing pair",
        "one statement: the pair's row, or an insert of it and both members",
        plan,
        Some(&mut |core| {
            let (_, created) = core.hub.create_thread(&[hub_id, p5]).map_err(err)?;
            check(!created, || "an existing pair was created".into())
        }),
        Some(&mut |floor| {
            let (_, created) = floor.create_or_get(&hub_token, hub_id.0, p5.0, now_ms())?;
            check(!created, || "floor: an existing pair was created".into())
        }),
    )?;
    let partners = world.partners.clone();
    let fresh0 = world.fresh[0];
    let fresh1 = world.fresh[1];
    let fresh1_token = token(sides, fresh1)?;
    let (mut i, mut j) = (0usize, 0usize);
    let new_pair_plan = sides.limited(partners.len() as u64);
    sides.row(
        "create-or-get, new pair",
        "",
        new_pair_plan,
        Some(&mut |core| {
            let partner = partners[i % partners.len()];
            i += 1;
            let (_, created) = core.fresh0.create_thread(&[fresh0, partner]).map_err(err)?;
            check(created, || "a new pair was not created".into())
        }),
        Some(&mut |floor| {
            let partner = partners[j % partners.len()];
            j += 1;
            let (_, created) = floor.create_or_get(&fresh1_token, fresh1.0, partner.0, now_ms())?;
            check(created, || "floor: a new pair was not created".into())
        }),
    )?;

    let hub_threads = size.hub_threads;
    sides.row(
        &format!("inbox page of 50 ({hub_threads} threads)"),
        "first page; one query: member index range scan, thread, other user, last message",
        plan,
        Some(&mut |core| {
            let page = core
                .hub
                .list_threads(&ThreadQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50, || {
                format!("inbox page of {}", page.items.len())
            })
        }),
        Some(&mut |floor| {
            let rows = floor.inbox(&hub_token, 50, now_ms())?;
            check(rows == 50, || format!("floor inbox page of {rows}"))
        }),
    )?;

    let heavy = world.heavy_thread;
    let (heavy_first, heavy_last) = world.heavy_ids;
    check(
        heavy_last.0 - heavy_first.0 + 1 == size.heavy_messages as i64,
        || "the heavy thread's ids are not contiguous".into(),
    )?;
    let alice_token = sides.floor.token_by_name("alice")?;
    let depth = size.heavy_messages * 9 / 10;
    let before = MessageId(heavy_last.0 - depth as i64 + 1);
    let k = size.heavy_messages;
    sides.row(
        &format!("history page of 50, top ({k} msgs)"),
        "keyset; the participant check in the same statement",
        plan,
        Some(&mut |core| {
            let page = core
                .alice
                .list_messages(heavy, &MessageQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50 && page.has_more, || {
                "short top page".into()
            })
        }),
        Some(&mut |floor| {
            let rows = floor.history(&alice_token, heavy.0, i64::MAX, 51, now_ms())?;
            check(rows.len() == 51, || "floor: short top page".into())
        }),
    )?;
    let deep = MessageQuery {
        before: Some(before),
        ..Default::default()
    };
    sides.row(
        &format!("history page of 50, depth {depth}"),
        "keyset: `id < $` on (thread_id, id)",
        plan,
        Some(&mut |core| {
            let page = core.alice.list_messages(heavy, &deep).map_err(err)?;
            check(page.items.len() == 50, || "short deep page".into())
        }),
        Some(&mut |floor| {
            let rows = floor.history(&alice_token, heavy.0, before.0, 51, now_ms())?;
            check(rows.len() == 51, || "floor: short deep page".into())
        }),
    )?;
    sides.pair_row(
        &format!("history page of 50, depth {depth} against top"),
        "both columns chatcore, alternating: deep | top (not a floor)",
        &mut |core| {
            let page = core.alice.list_messages(heavy, &deep).map_err(err)?;
            check(page.items.len() == 50, || "short deep page".into())
        },
        &mut |core| {
            let page = core
                .alice
                .list_messages(heavy, &MessageQuery::default())
                .map_err(err)?;
            check(page.items.len() == 50, || "short top page".into())
        },
    )?;
    let offset_plan = Plan {
        rounds: 1,
        samples_per_round: 5,
        warmup_iterations: 0,
        max_iterations: 1,
        ..plan
    };
    let keyset_first = sides
        .floor
        .history(&alice_token, heavy.0, before.0, 50, now_ms())?;
    let offset_page = sides.floor.history_offset(heavy.0, depth as i64, 50)?;
    check(
        keyset_first.first().map(|row| row.0) == offset_page.last().map(|id| id + 49),
        || "the keyset and offset deep pages differ".into(),
    )?;
    sides.row(
        &format!("offset page of 50, depth {depth} (bare SQL)"),
        "`LIMIT 50 OFFSET depth`, what keyset avoids; no floor",
        offset_plan,
        None,
        Some(&mut |floor| {
            let rows = floor.history_offset(heavy.0, depth as i64, 50)?;
            check(rows.len() == 50, || "short offset page".into())
        }),
    )?;

    let (mr_first, mr_last) = world.mark_read_ids;
    let mr_token = token(sides, world.mark_read_reader)?;
    let (mut up, mut down) = (mr_first.0, mr_last.0);
    let supply = (mr_last.0 - mr_first.0 + 1) as u64;
    let mark_plan = sides.limited(supply);
    sides.row(
        "mark one message read",
        "one statement: the message, both counters",
        mark_plan,
        Some(&mut |core| {
            let message = core.mr.mark_read(MessageId(up)).map_err(err)?;
            up += 1;
            check(message.read_at.is_some(), || "not marked".into())
        }),
        Some(&mut |floor| {
            let marked = floor.mark_read(&mr_token, down, now_ms())?;
            down -= 1;
            check(marked, || "floor: not marked".into())
        }),
    )?;
    check(up <= down, || "mark-read supply ran out".into())?;
    let threads: Vec<ThreadId> = world.mark_thread_threads.clone();
    let mtr_token = token(sides, world.mark_thread_reader)?;
    let (mut up, mut down) = (0usize, threads.len());
    let thread_plan = sides.limited(threads.len() as u64);
    sides.row(
        "mark thread read, backlog 100",
        "one statement: the backlog above the read mark, member and user counters",
        thread_plan,
        Some(&mut |core| {
            let marked = core.mtr.mark_thread_read(threads[up], None).map_err(err)?;
            up += 1;
            check(marked == 100, || format!("marked {marked}, expected 100"))
        }),
        Some(&mut |floor| {
            down -= 1;
            let marked = floor.mark_thread_read(&mtr_token, threads[down].0, now_ms())?;
            check(marked == 100, || {
                format!("floor marked {marked}, expected 100")
            })
        }),
    )?;
    check(up <= down, || "mark-thread supply ran out".into())?;

    for (index, (expected, user)) in size.backlogs.iter().zip(world.backlog_users).enumerate() {
        let user_token = token(sides, user)?;
        sides.row(
            &format!("unread count, backlog {expected}"),
            "one counter, joined to the session check",
            plan,
            Some(&mut |core| {
                let count = core.backlog[index].unread_count().map_err(err)?;
                check(count == *expected, || {
                    format!("unread {count}, expected {expected}")
                })
            }),
            Some(&mut |floor| {
                let count = floor.unread(&user_token, now_ms())?;
                check(count as u64 == *expected, || {
                    format!("floor unread {count}")
                })
            }),
        )?;
    }
    let (b_low, b_high) = (size.backlogs[0], size.backlogs[2]);
    sides.pair_row(
        &format!("unread count, backlog {b_high} against backlog {b_low}"),
        &format!(
            "both columns chatcore, alternating: backlog {b_high} | backlog {b_low} (not a floor)"
        ),
        &mut |core| {
            let count = core.backlog[2].unread_count().map_err(err)?;
            check(count == b_high, || format!("unread {count}"))
        },
        &mut |core| {
            let count = core.backlog[0].unread_count().map_err(err)?;
            check(count == b_low, || format!("unread {count}"))
        },
    )?;
    let login_plan = Plan {
        rounds: 1,
        samples_per_round: 5,
        warmup_iterations: 0,
        max_iterations: 1,
        ..plan
    };
    sides.row(
        "login (argon2id, OWASP: m=19 MiB, t=2, p=1)",
        "dominated by the password hash; no floor",
        login_plan,
        Some(&mut |core| {
            core.store
                .login("hub@bench.example", PASSWORD)
                .map(drop)
                .map_err(err)
        }),
        None,
    )?;
    let mismatches = sides.floor.mismatches()?;
    check(mismatches == 0, || {
        format!("{mismatches} floor counters disagree with the messages")
    })?;
    if let Some((direct, _)) = &sides.core {
        let report = direct.store.verify_unread().map_err(err)?;
        check(report.mismatches.is_empty(), || {
            "verify_unread after the measurements".into()
        })?;
    }
    Ok(())
}
