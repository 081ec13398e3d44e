//! `chat search`: the table (matches in brackets when piped, hostile text
//! escaped), the next-page hint, `--json` with match ranges, `--recent`,
//! refusals and `--rebuild`.

mod common;

use common::World;

fn setup() -> (World, String) {
    let world = World::new();
    world.register("bob");
    world.register("ann");
    let sent = world.ok_json(&["send", "--to", "bob", "lunch at the Café?"]);
    let thread = sent["thread_id"].to_string();
    world.ok_json(&["send", &thread, "no lunch today \u{e000} red \u{202e} evil"]);
    world.ok_json(&["send", &thread, "東京タワーで会いましょう"]);
    (world, thread)
}

#[test]
fn the_table_marks_matches_in_brackets_when_piped_and_escapes_hostile_text() {
    let (world, thread) = setup();
    let text = world.ok_text(&["search", "cafe"]);
    assert!(text.contains("[Café]"), "{text}");
    assert!(text.contains(&format!("{thread} (bob)")), "{text}");
    assert!(text.contains("you"), "{text}");
    let text = world.ok_text(&["search", "lunch", "-cafe"]);
    assert!(text.contains("[lunch]"), "{text}");
    // Text that looks like the table's own match markers stays text.
    assert!(
        !text.contains('\u{e000}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains("\\u{E000}") && text.contains("\\u{202E}"),
        "{text}"
    );
    assert!(!text.contains("Café"), "{text}");
    let text = world.ok_text(&["search", "京タワ"]);
    assert!(text.contains("[京タワ]"), "{text}");
    let text = world.ok_text(&["search", "nothing-like-this"]);
    assert!(text.contains("No messages match."), "{text}");
}

#[test]
fn json_has_the_hits_with_snippets_and_match_ranges_and_pages_continue() {
    let (world, _thread) = setup();
    let page = world.ok_json(&["search", "--limit", "1", "--recent", "lunch"]);
    let hit = &page["items"][0];
    assert!(
        hit["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("no lunch")
    );
    let snippet = hit["snippet"].as_str().unwrap();
    let range = &hit["matches"][0];
    let (start, end) = (
        range[0].as_u64().unwrap() as usize,
        range[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&snippet[start..end], "lunch");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let next = world.ok_json(&[
        "search", "--limit", "1", "--recent", "--cursor", &cursor, "lunch",
    ]);
    assert!(
        next["items"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("lunch at")
    );
    assert!(next["next_cursor"].is_null());
    let human = world.ok_text(&["search", "--limit", "1", "lunch"]);
    assert!(
        human.contains("More: ") && human.contains("--cursor"),
        "{human}"
    );
}

#[test]
fn bad_queries_are_refused_with_a_message_and_rebuild_reports_the_count() {
    let (world, _thread) = setup();
    assert_eq!(world.err_code(&["search", "-"], 1), "invalid_argument");
    assert_eq!(world.err_code(&["search", "(", "*"], 1), "invalid_argument");
    let rebuilt = world.ok_json(&["search", "--rebuild"]);
    assert_eq!(rebuilt["indexed"], 3);
    assert_eq!(
        world.ok_json(&["search", "NEAR"])["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
