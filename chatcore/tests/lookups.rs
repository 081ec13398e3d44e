//! A lookup resolves to exactly the account the text names, or fails
//! (issue 12, item 4). Look-alike keys refuse confusable registrations;
//! they never decide whom a lookup finds.

mod common;

use chatcore::{Error, NewUser, Session, Store, User, UserCandidate, UserId, UserRef};
use common::*;

/// ann (id 1), bob (id 2), a user named `2` (id 3) and a user named `l`
/// (id 4): `2` is both bob's id and a username, and `l` is the look-alike
/// key of `1`, ann's id.
struct World {
    path: std::path::PathBuf,
    store: Store,
    ann: User,
    bob: User,
    two: User,
    ell: User,
    me: Session,
}

fn world(b: &TestBackend) -> World {
    let (path, store) = b.shared_store();
    let (ann, me) = user(&store, "ann");
    let (bob, _) = user(&store, "bob");
    let (two, _) = user(&store, "2");
    let (ell, _) = user(&store, "l");
    assert_eq!(
        [ann.id, bob.id, two.id, ell.id],
        [UserId(1), UserId(2), UserId(3), UserId(4)]
    );
    World {
        path,
        store,
        ann,
        bob,
        two,
        ell,
        me,
    }
}

fn code<T: std::fmt::Debug>(result: chatcore::Result<T>) -> &'static str {
    result.expect_err("the lookup should fail").code()
}

fn a_username_made_of_digits_never_takes_the_id_of_another_account(b: &TestBackend) {
    let w = world(b);
    // Before the fix: the user named `2` (id 3), though bob is user 2.
    let before = snapshot(&w.path);
    let err =
        w.me.find_user("2")
            .expect_err("`2` names bob and the user `2`");
    assert_eq!(err.code(), "ambiguous_user");
    let Error::AmbiguousUser { text, candidates } = &err else {
        panic!("not AmbiguousUser: {err:?}");
    };
    assert_eq!(text, "2");
    let expected = vec![
        UserCandidate {
            spelling: "username:2".into(),
            user_id: w.two.id,
            username: "2".into(),
        },
        UserCandidate {
            spelling: "id:2".into(),
            user_id: w.bob.id,
            username: "bob".into(),
        },
    ];
    assert_eq!(candidates, &expected);
    let message = err.to_string();
    for part in [
        "\"2\"",
        "nothing was done",
        "id:2 (user 2, bob)",
        "username:2 (user 3, 2)",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert_eq!(
        snapshot(&w.path),
        before,
        "an ambiguous lookup changed the store"
    );
    // The same through the store, as administrative tools use it.
    assert_eq!(code(w.store.find_user("2")), "ambiguous_user");
    // Each explicit spelling the message offers names its own account.
    assert_eq!(w.me.find_user("id:2").unwrap().id, w.bob.id);
    assert_eq!(w.me.find_user("username:2").unwrap().id, w.two.id);
}
both!(a_username_made_of_digits_never_takes_the_id_of_another_account);

fn the_look_alike_key_of_a_number_never_finds_a_user(b: &TestBackend) {
    let w = world(b);
    // Before the fix: the user named `l`, the look-alike key of `1`.
    assert_eq!(w.me.find_user("1").unwrap().id, w.ann.id);
    assert_eq!(w.store.find_user("1").unwrap().id, w.ann.id);
    assert_eq!(
        code(w.me.find_user_by(UserRef::Username("1"))),
        "user_not_found"
    );
    assert_eq!(w.me.find_user("l").unwrap().id, w.ell.id);
    assert_eq!(w.me.find_user("username:L").unwrap().id, w.ell.id);
    // Other look-alikes of registered names find nobody either.
    for look_alike in ["\u{430}nn", "b0b", "username:\u{430}nn", "I"] {
        assert_eq!(
            code(w.me.find_user(look_alike)),
            "user_not_found",
            "{look_alike}"
        );
    }
}
both!(the_look_alike_key_of_a_number_never_finds_a_user);

fn each_explicit_form_names_exactly_its_account(b: &TestBackend) {
    let w = world(b);
    let by = |who| w.me.find_user_by(who).map(|user| user.id);
    assert_eq!(by(UserRef::Id(UserId(2))).unwrap(), w.bob.id);
    assert_eq!(by(UserRef::Id(UserId(3))).unwrap(), w.two.id);
    assert_eq!(by(UserRef::Username("2")).unwrap(), w.two.id);
    assert_eq!(by(UserRef::Username("bob")).unwrap(), w.bob.id);
    // Usernames compare NFKC-normalised and case-insensitively (registration
    // refuses names that differ only in case, so this names one account).
    assert_eq!(by(UserRef::Username("BOB")).unwrap(), w.bob.id);
    assert_eq!(
        by(UserRef::Username("\u{ff42}\u{ff4f}\u{ff42}")).unwrap(),
        w.bob.id
    );
    // Emails are normalised as registration normalises them.
    assert_eq!(by(UserRef::Email(" Bob@Example.COM ")).unwrap(), w.bob.id);
    // A form matches only its own field.
    assert_eq!(
        code(by(UserRef::Username("bob@example.com"))),
        "user_not_found"
    );
    assert_eq!(code(by(UserRef::Email("bob"))), "user_not_found");
    // The store's administrative lookup is the same rule.
    assert_eq!(
        w.store
            .find_user_by(UserRef::Email("ann@example.com"))
            .unwrap()
            .id,
        w.ann.id
    );
    // Typed spellings, prefixes case-insensitive, spaces ignored.
    for (text, id) in [
        ("id:1", w.ann.id),
        (" ID:4 ", w.ell.id),
        ("username:ann", w.ann.id),
        ("Username: l", w.ell.id),
        ("email:bob@example.com", w.bob.id),
        ("EMAIL:2@EXAMPLE.COM", w.two.id),
    ] {
        assert_eq!(w.me.find_user(text).unwrap().id, id, "{text}");
    }
}
both!(each_explicit_form_names_exactly_its_account);

#[test]
fn parse_reads_the_three_prefixes_and_refuses_malformed_ones() {
    assert_eq!(UserRef::parse("id:7").unwrap(), UserRef::Id(UserId(7)));
    assert_eq!(
        UserRef::parse("username:a@b.c").unwrap(),
        UserRef::Username("a@b.c")
    );
    assert_eq!(
        UserRef::parse("email:a@b.c").unwrap(),
        UserRef::Email("a@b.c")
    );
    assert_eq!(UserRef::parse(" ann ").unwrap(), UserRef::Text("ann"));
    assert_eq!(UserRef::parse("7").unwrap(), UserRef::Text("7"));
    for bad in [
        "id:",
        "id:x",
        "id:0",
        "id:-2",
        "id:1.5",
        "username:",
        "email: ",
    ] {
        assert_eq!(code(UserRef::parse(bad)), "invalid_argument", "{bad}");
    }
    for who in [
        UserRef::Id(UserId(7)),
        UserRef::Username("l"),
        UserRef::Email("a@b.c"),
    ] {
        assert_eq!(UserRef::parse(&who.to_string()).unwrap(), who);
    }
}

fn unknown_users_are_not_found_in_every_form(b: &TestBackend) {
    let w = world(b);
    for text in [
        "nobody",
        "99",
        "id:99",
        "username:nobody",
        "email:nobody@example.com",
        "x@y.z",
        "",
    ] {
        let before = snapshot(&w.path);
        assert_eq!(code(w.me.find_user(text)), "user_not_found", "{text:?}");
        assert_eq!(snapshot(&w.path), before);
    }
    assert_eq!(code(w.store.find_user("id:99")), "user_not_found");
}
both!(unknown_users_are_not_found_in_every_form);

fn an_email_and_a_username_of_two_accounts_are_ambiguous(b: &TestBackend) {
    let (path, store) = b.shared_store();
    let (cy, me) = user(&store, "cy");
    let other = store
        .register(&NewUser {
            email: "other@example.com",
            username: "cy@example.com",
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap();
    let before = snapshot(&path);
    let err = me.find_user("CY@example.com").unwrap_err();
    let Error::AmbiguousUser { candidates, .. } = &err else {
        panic!("not AmbiguousUser: {err:?}");
    };
    let named: Vec<(&str, UserId)> = candidates
        .iter()
        .map(|c| (c.spelling.as_str(), c.user_id))
        .collect();
    assert_eq!(
        named,
        [
            ("email:CY@example.com", cy.id),
            ("username:CY@example.com", other.id)
        ]
    );
    assert_eq!(snapshot(&path), before);
    assert_eq!(me.find_user("email:cy@example.com").unwrap().id, cy.id);
    assert_eq!(
        me.find_user("username:cy@example.com").unwrap().id,
        other.id
    );
}
both!(an_email_and_a_username_of_two_accounts_are_ambiguous);

fn text_that_names_one_account_several_ways_is_not_ambiguous(b: &TestBackend) {
    let store = b.store();
    for name in ["a", "b", "c", "d"] {
        user(&store, name);
    }
    // User 5 is named `5`, with the email `5@example.com`.
    let (five, me) = user(&store, "5");
    assert_eq!(five.id, UserId(5));
    assert_eq!(me.find_user("5").unwrap().id, five.id);
    // A username containing @ that is also the same account's email.
    let same = store
        .register(&NewUser {
            email: "me@example.com",
            username: "me@example.com",
            password: PASSWORD,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(me.find_user("me@example.com").unwrap().id, same.id);
}
both!(text_that_names_one_account_several_ways_is_not_ambiguous);
