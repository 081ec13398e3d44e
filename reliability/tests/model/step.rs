//! One step on both sides, compared; and the counters checked after it.

use super::ops::{Cursor, KEYS, Op, TEXTS};
use super::real::{Real, code, pick, user_id};
use super::reference::{Model, ModelMessage};
use chatcore::{MessageId, MessageQuery, NewUser, Session, Store, ThreadId};
use chatcore_reliability::{PASSWORD, config};

/// Runs one step on both sides and compares; returns a description of a
/// disagreement.
pub(crate) fn step(model: &mut Model, real: &mut Real<'_>, op: &Op) -> Result<(), String> {
    let thread_ids: Vec<i64> = model.threads.keys().copied().collect();
    let message_ids: Vec<i64> = model.messages.keys().copied().collect();
    let differ = |what: &str, expected: &dyn std::fmt::Debug, got: &dyn std::fmt::Debug| {
        Err(format!("{op:?}: {what}: model {expected:?}, store {got:?}"))
    };
    // A session index beyond those made stands for a session that never was.
    let session_of = |real: &Real<'_>, index: usize| -> Option<Session> {
        match real.sessions.len() {
            0 => None,
            len => real.session(index % len).cloned(),
        }
    };
    let index_of = |index: usize| match model.sessions.len() {
        0 => usize::MAX,
        len => index % len,
    };
    match *op {
        Op::Register(u) => {
            let email = format!("u{u}@example.com");
            let result = real.store().register(&NewUser {
                email: &email,
                username: &format!("u{u}"),
                password: PASSWORD,
                ..Default::default()
            });
            let expected = match model.users.contains_key(&u) {
                true => Err("email_taken"),
                false => Ok(()),
            };
            if code(&result) != expected {
                return differ("register", &expected, &code(&result));
            }
            if let Ok(user) = result {
                model.users.insert(u, user.id.0);
            }
        }
        Op::Login { user, right } => {
            let password = if right { PASSWORD } else { "wrong password" };
            let result = real
                .store()
                .login(&format!("u{user}@example.com"), password);
            let expected = match model.users.contains_key(&user) && right {
                true => Ok(()),
                false => Err("invalid_credentials"),
            };
            if code(&result) != expected {
                return differ("login", &expected, &code(&result));
            }
            if let Ok(session) = result {
                model.sessions.push((user, true));
                real.tokens.push(session.token().to_string());
                real.sessions.push(Some(session));
            }
        }
        Op::Resume(s) => {
            let index = index_of(s);
            let expected = model.live_session(index).map(|_| ());
            let token = real.tokens.get(index).cloned().unwrap_or_default();
            let result = real.store().resume(&token);
            if code(&result) != expected {
                return differ("resume", &expected, &code(&result));
            }
            if let Ok(session) = result {
                if session.user_id() != user_id(model, model.sessions[index].0) {
                    return Err(format!("{op:?}: resumed as another user"));
                }
                real.sessions[index] = Some(session);
            }
        }
        Op::Logout(s) => {
            let index = index_of(s);
            let expected = model.live_session(index).map(|_| ());
            let result = match session_of(real, s) {
                Some(session) => session.logout(),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("logout", &expected, &code(&result));
            }
            if result.is_ok() {
                model.sessions[index].1 = false;
            }
        }
        Op::CreateThread { session: s, other } => {
            let index = index_of(s);
            // A session that did not survive a reopen has no handle to ask
            // with; the duplicate check (made before the session check) is
            // then out of reach.
            let me = match session_of(real, s) {
                Some(_) => model.sessions.get(index).map(|(user, _)| *user),
                None => None,
            };
            let expected: Result<Option<i64>, &str> = match me {
                Some(me) if me == other => Err("duplicate_participant"),
                _ => model.live_session(index).and_then(|me| {
                    if !model.users.contains_key(&other) {
                        return Err("user_not_found");
                    }
                    let pair = [me.min(other), me.max(other)];
                    Ok(model
                        .threads
                        .iter()
                        .find(|(_, (p, deleted))| *p == pair && !deleted)
                        .map(|(id, _)| *id))
                }),
            };
            let result = match (session_of(real, s), me) {
                (Some(session), Some(me)) => {
                    session.create_thread(&[user_id(model, me), user_id(model, other)])
                }
                _ => Err(chatcore::Error::SessionInvalid),
            };
            match (&expected, &result) {
                (Ok(Some(id)), Ok((thread, false))) if thread.id.0 == *id => {}
                (Ok(None), Ok((thread, true))) => {
                    let me = me.unwrap_or_else(|| unreachable!());
                    let pair = [me.min(other), me.max(other)];
                    model.threads.insert(thread.id.0, (pair, false));
                }
                (Err(code), Err(err)) if *code == err.code() => {}
                _ => return differ("create_thread", &expected, &result),
            }
        }
        Op::Send {
            session: s,
            thread,
            text,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                Ok(me)
            });
            let result = match session_of(real, s) {
                Some(session) => session.send(ThreadId(thread), TEXTS[text]),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected.map(|_| ()) {
                return differ("send", &expected, &code(&result));
            }
            if let (Ok(message), Ok(me)) = (result, expected) {
                if message.text != TEXTS[text] || message.thread_id.0 != thread {
                    return Err(format!("{op:?}: send returned {message:?}"));
                }
                if message_ids.last().is_some_and(|last| *last >= message.id.0) {
                    return Err(format!("{op:?}: message id {} is not new", message.id));
                }
                model.messages.insert(
                    message.id.0,
                    ModelMessage {
                        id: message.id.0,
                        thread,
                        sender: me,
                        text: TEXTS[text],
                        read: false,
                        key: None,
                        edited: false,
                        deleted: false,
                    },
                );
            }
        }
        Op::SendWithKey {
            session: s,
            thread,
            text,
            key,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let (text, key) = (TEXTS[text], KEYS[key]);
            // Ok((me, Some(first id))) for a retry, Ok((me, None)) for a new send.
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let first = model
                    .messages
                    .values()
                    .find(|m| m.sender == me && m.key == Some(key));
                match first {
                    Some(m) if m.thread == thread && (m.text == text || m.edited || m.deleted) => {
                        Ok((me, Some(m.id)))
                    }
                    Some(_) => Err("invalid_argument"),
                    None => Ok((me, None)),
                }
            });
            let result = match session_of(real, s) {
                Some(session) => session.send_with_key(ThreadId(thread), text, key),
                None => Err(chatcore::Error::SessionInvalid),
            };
            match (&expected, &result) {
                (Ok((_, Some(id))), Ok((message, false))) if message.id.0 == *id => {
                    let stored = &model.messages[id];
                    if message.text != stored.text || message.read_at.is_some() != stored.read {
                        return Err(format!("{op:?}: retry returned {message:?}"));
                    }
                }
                (Ok((me, None)), Ok((message, true))) => {
                    if message.text != text || message.thread_id.0 != thread {
                        return Err(format!("{op:?}: send_with_key returned {message:?}"));
                    }
                    if message_ids.last().is_some_and(|last| *last >= message.id.0) {
                        return Err(format!("{op:?}: message id {} is not new", message.id));
                    }
                    model.messages.insert(
                        message.id.0,
                        ModelMessage {
                            id: message.id.0,
                            thread,
                            sender: *me,
                            text,
                            read: false,
                            key: Some(key),
                            edited: false,
                            deleted: false,
                        },
                    );
                }
                (Err(code), Err(err)) if *code == err.code() => {}
                _ => {
                    return differ(
                        "send_with_key",
                        &expected,
                        &result
                            .map(|(m, created)| (m.id, created))
                            .map_err(|e| e.code()),
                    );
                }
            }
        }
        Op::List {
            session: s,
            thread,
            limit,
            cursor,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let query = match cursor {
                Cursor::Latest => MessageQuery::default(),
                Cursor::Before(m) => MessageQuery {
                    before: Some(MessageId(pick(&message_ids, m, 1))),
                    ..Default::default()
                },
                Cursor::After(m) => MessageQuery {
                    after: Some(MessageId(pick(&message_ids, m, 0))),
                    ..Default::default()
                },
            };
            let query = MessageQuery {
                limit: Some(limit),
                ..query
            };
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let all: Vec<&ModelMessage> = model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread && !model.hidden(me, m))
                    .collect();
                let limit = limit as usize;
                let (mut page, more): (Vec<&ModelMessage>, bool) = match (query.before, query.after)
                {
                    (_, Some(after)) => {
                        let newer: Vec<_> = all.into_iter().filter(|m| m.id > after.0).collect();
                        (
                            newer.iter().take(limit).copied().collect(),
                            newer.len() > limit,
                        )
                    }
                    (before, None) => {
                        let before = before.map_or(i64::MAX, |b| b.0);
                        let older: Vec<_> = all.into_iter().filter(|m| m.id < before).collect();
                        let skip = older.len().saturating_sub(limit);
                        (older[skip..].to_vec(), skip > 0)
                    }
                };
                page.sort_by_key(|m| m.id);
                Ok((
                    page.iter()
                        .map(|m| (m.id, m.text.to_string(), user_id(model, m.sender), m.read))
                        .collect::<Vec<_>>(),
                    more,
                ))
            });
            let result = match session_of(real, s) {
                Some(session) => session.list_messages(ThreadId(thread), &query),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let got = result
                .map(|page| {
                    (
                        page.items
                            .iter()
                            .map(|m| (m.id.0, m.text.clone(), m.sender_id, m.read_at.is_some()))
                            .collect::<Vec<_>>(),
                        page.has_more,
                    )
                })
                .map_err(|err| err.code());
            if got != expected {
                return differ("list_messages", &expected, &got);
            }
        }
        Op::MarkRead {
            session: s,
            message,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                let Some(m) = model.messages.get(&message) else {
                    return Err("message_not_found");
                };
                match model.threads[&m.thread] {
                    (_, true) => Err("message_not_found"),
                    (pair, false) if !pair.contains(&me) => Err("not_participant"),
                    _ if model.hidden(me, m) => Err("message_not_found"),
                    _ if m.sender == me => Err("not_recipient"),
                    _ => Ok(()),
                }
            });
            let withdrawn = model.messages.get(&message).is_some_and(|m| m.deleted);
            let result = match session_of(real, s) {
                Some(session) => session.mark_read(MessageId(message)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("mark_read", &expected, &code(&result));
            }
            if let Ok(stored) = result {
                // A withdrawn message is never unread: marking it changes nothing.
                let read = model.messages.get(&message).is_some_and(|m| m.read);
                if stored.read_at.is_some() != (read || !withdrawn) || stored.id.0 != message {
                    return Err(format!("{op:?}: mark_read returned {stored:?}"));
                }
                if let Some(m) = model.messages.get_mut(&message).filter(|_| !withdrawn) {
                    m.read = true;
                }
            }
        }
        Op::MarkThreadRead {
            session: s,
            thread,
            up_to,
        } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let up_to = up_to.map(|m| pick(&message_ids, m, 1));
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                Ok(model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread && m.sender != me && !m.read)
                    .filter(|m| !m.deleted && !model.hidden(me, m))
                    .filter(|m| up_to.is_none_or(|bound| m.id <= bound))
                    .map(|m| m.id)
                    .collect::<Vec<_>>())
            });
            let result = match session_of(real, s) {
                Some(session) => session.mark_thread_read(ThreadId(thread), up_to.map(MessageId)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let expected_count = expected.clone().map(|ids| ids.len() as u64);
            let got = result.map_err(|err| err.code());
            if got != expected_count {
                return differ("mark_thread_read", &expected_count, &got);
            }
            for id in expected.unwrap_or_default() {
                if let Some(m) = model.messages.get_mut(&id) {
                    m.read = true;
                }
            }
        }
        Op::DeleteThread { session: s, thread } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model
                .live_session(index_of(s))
                .and_then(|me| model.thread_for(me, thread).map(|_| ()));
            let result = match session_of(real, s) {
                Some(session) => session.delete_thread(ThreadId(thread)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("delete_thread", &expected, &code(&result));
            }
            if result.is_ok() {
                if let Some(entry) = model.threads.get_mut(&thread) {
                    entry.1 = true;
                }
                model.messages.retain(|_, m| m.thread != thread);
            }
        }
        Op::Unread(s) => {
            let expected = model.live_session(index_of(s)).map(|me| model.unread(me));
            let got = match session_of(real, s) {
                Some(session) => session.unread_count(),
                None => Err(chatcore::Error::SessionInvalid),
            }
            .map_err(|err| err.code());
            if got != expected {
                return differ("unread_count", &expected, &got);
            }
        }
        Op::Edit {
            session: s,
            message,
            text,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                match model.own_message(me, message)? {
                    m if m.deleted => Err("invalid_argument"),
                    _ => Ok(()),
                }
            });
            let result = match session_of(real, s) {
                Some(session) => session.edit_message(MessageId(message), TEXTS[text]),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("edit_message", &expected, &code(&result));
            }
            if let Ok(edited) = result {
                let m = model.messages.get_mut(&message).ok_or("no message")?;
                if edited.text != TEXTS[text]
                    || edited.edited_at.is_none()
                    || edited.read_at.is_some() != m.read
                {
                    return Err(format!("{op:?}: edit_message returned {edited:?}"));
                }
                m.text = TEXTS[text];
                m.edited = true;
            }
            exact_counters(real, op)?;
        }
        Op::Withdraw {
            session: s,
            message,
        } => {
            let message = pick(&message_ids, message, 999_999);
            let expected = model
                .live_session(index_of(s))
                .and_then(|me| model.own_message(me, message).map(|_| ()));
            let result = match session_of(real, s) {
                Some(session) => session.delete_message(MessageId(message)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            if code(&result) != expected {
                return differ("delete_message", &expected, &code(&result));
            }
            if let Ok(tomb) = result {
                if !tomb.text.is_empty() || tomb.deleted_at.is_none() {
                    return Err(format!("{op:?}: delete_message returned {tomb:?}"));
                }
                let m = model.messages.get_mut(&message).ok_or("no message")?;
                m.text = "";
                m.deleted = true;
            }
            exact_counters(real, op)?;
        }
        Op::Clear { session: s, thread } => {
            let thread = pick(&thread_ids, thread, 999_999);
            let expected = model.live_session(index_of(s)).and_then(|me| {
                model.thread_for(me, thread)?;
                let newest = model
                    .messages
                    .values()
                    .filter(|m| m.thread == thread)
                    .map(|m| m.id)
                    .max()
                    .unwrap_or(0);
                Ok((me, newest))
            });
            let result = match session_of(real, s) {
                Some(session) => session.clear_thread(ThreadId(thread)),
                None => Err(chatcore::Error::SessionInvalid),
            };
            let got = result.map(|id| id.0).map_err(|err| err.code());
            if got != expected.map(|(_, newest)| newest) {
                return differ("clear_thread", &expected, &got);
            }
            if let Ok((me, newest)) = expected {
                model.cleared.insert((me, thread), newest);
            }
            exact_counters(real, op)?;
        }
        Op::Reopen => {
            real.sessions.clear();
            real.store = None;
            real.store = Some(Store::open_with(real.path, config()).map_err(|e| e.to_string())?);
            for (index, token) in real.tokens.iter().enumerate() {
                let result = real.store().resume(token);
                let expected = model.live_session(index).map(|_| ());
                if code(&result) != expected {
                    return differ("resume after reopen", &expected, &code(&result));
                }
                real.sessions.push(result.ok());
            }
        }
    }
    Ok(())
}

/// Every unread counter agrees with the messages.
pub(crate) fn exact_counters(real: &Real<'_>, op: &Op) -> Result<(), String> {
    let report = real.store().verify_unread().map_err(|e| e.to_string())?;
    match report.mismatches.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{op:?}: counters disagree: {:?}",
            report.mismatches
        )),
    }
}
