/*
 * layouts.c: prints the size and field offsets of every struct the Kotlin
 * binding mirrors, as chatcore.h lays them out for this compiler, one
 * "name value" a line. run.sh passes the output to the walkthrough, whose
 * first check compares it with ChatCore.kt's Layouts and Search.kt's
 * SearchLayouts, so a header change that moves a field fails loudly
 * instead of reading garbage.
 */
#include "chatcore.h"

#include <stddef.h>
#include <stdio.h>

#define SIZE(s) printf(#s ".size %zu\n", sizeof(struct s))
#define FIELD(s, f) printf(#s "." #f " %zu\n", offsetof(struct s, f))

int main(void) {
    SIZE(chat_options);
    FIELD(chat_options, busy_timeout_ms);
    FIELD(chat_options, session_ttl_seconds);
    FIELD(chat_options, max_text_bytes);
    FIELD(chat_options, full_durability);
    FIELD(chat_options, insecure_fast_password_hashing_for_tests);
    FIELD(chat_options, inline_checkpoints);
    FIELD(chat_options, key);
    FIELD(chat_options, key_len);
    FIELD(chat_options, key_is_passphrase);
    SIZE(chat_user);
    FIELD(chat_user, id);
    FIELD(chat_user, email);
    FIELD(chat_user, username);
    FIELD(chat_user, first_name);
    FIELD(chat_user, last_name);
    FIELD(chat_user, created_at);
    SIZE(chat_message);
    FIELD(chat_message, id);
    FIELD(chat_message, thread_id);
    FIELD(chat_message, sender_id);
    FIELD(chat_message, text);
    FIELD(chat_message, created_at);
    FIELD(chat_message, read_at);
    FIELD(chat_message, edited_at);
    FIELD(chat_message, deleted_at);
    SIZE(chat_thread);
    FIELD(chat_thread, id);
    FIELD(chat_thread, participants);
    FIELD(chat_thread, created_at);
    FIELD(chat_thread, last_activity_at);
    FIELD(chat_thread, other);
    FIELD(chat_thread, last_message);
    FIELD(chat_thread, unread_count);
    SIZE(chat_thread_list);
    FIELD(chat_thread_list, items);
    FIELD(chat_thread_list, len);
    FIELD(chat_thread_list, has_more);
    FIELD(chat_thread_list, next_cursor);
    SIZE(chat_message_list);
    FIELD(chat_message_list, items);
    FIELD(chat_message_list, len);
    FIELD(chat_message_list, has_more);
    SIZE(chat_change);
    FIELD(chat_change, cursor);
    FIELD(chat_change, kind);
    FIELD(chat_change, at);
    FIELD(chat_change, thread_id);
    FIELD(chat_change, message_id);
    FIELD(chat_change, actor_id);
    FIELD(chat_change, message);
    SIZE(chat_change_list);
    FIELD(chat_change_list, items);
    FIELD(chat_change_list, len);
    FIELD(chat_change_list, has_more);
    FIELD(chat_change_list, next_cursor);
    /* Search.kt's SearchLayouts */
    SIZE(chat_search_match);
    FIELD(chat_search_match, start);
    FIELD(chat_search_match, end);
    SIZE(chat_search_hit);
    FIELD(chat_search_hit, message);
    FIELD(chat_search_hit, other);
    FIELD(chat_search_hit, snippet);
    FIELD(chat_search_hit, matches);
    FIELD(chat_search_hit, matches_len);
    SIZE(chat_search_hit_list);
    FIELD(chat_search_hit_list, items);
    FIELD(chat_search_hit_list, len);
    FIELD(chat_search_hit_list, has_more);
    FIELD(chat_search_hit_list, next_cursor);
    return 0;
}
