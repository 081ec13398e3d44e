/*
 * module-check.m: imports chatcore through the clang module `ChatCore`
 * (include/module.modulemap), the way Swift's importer does, and uses every
 * C name the Swift wrapper uses, with the types the wrapper relies on.
 * Built by .ci/hosts.sh with no -I: chatcore.h is reachable only through
 * the module map, so a broken map or header fails the build.
 *
 *   clang -x objective-c -fmodules -fmodule-map-file=include/module.modulemap \
 *         examples/swift/module-check.m -Ltarget/release -lchatcore_ffi ...
 */
@import ChatCore;

#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(call)                                                             \
    do {                                                                        \
        chat_status status_ = (call);                                           \
        if (status_ != CHAT_OK) {                                               \
            fprintf(stderr, "%s: status %d: %s\n", #call, (int)status_,         \
                    chat_last_error() ? chat_last_error() : "(no message)");    \
            return 1;                                                           \
        }                                                                       \
    } while (0)

#define EXPECT(cond)                                                            \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "module-check: failed: %s\n", #cond);               \
            failures++;                                                         \
        }                                                                       \
    } while (0)

int main(void) {
    EXPECT(chat_abi_version() == CHAT_ABI_VERSION);
    EXPECT(strlen(chat_version()) > 0);

    chat_options options = {0};
    options.insecure_fast_password_hashing_for_tests = true;
    chat_store *store = NULL;
    CHECK(chat_open_in_memory(&options, &store));

    chat_user *ann = NULL, *bob = NULL;
    CHECK(chat_register(store, "ann@example.com", "ann", "correct horse", "Ann", NULL, &ann));
    CHECK(chat_register(store, "bob@example.com", "bob", "battery staple", NULL, NULL, &bob));
    EXPECT(strcmp(ann->last_name, "") == 0);

    chat_session *ann_s = NULL, *bob_s = NULL, *resumed = NULL;
    CHECK(chat_login(store, "ann@example.com", "correct horse", &ann_s));
    CHECK(chat_login(store, "bob@example.com", "battery staple", &bob_s));
    CHECK(chat_session_resume(store, chat_session_token(bob_s), &resumed));
    int64_t me = 0;
    CHECK(chat_session_user_id(resumed, &me));
    EXPECT(me == bob->id);

    chat_user *found = NULL, *myself = NULL;
    CHECK(chat_user_find(ann_s, "bob", &found));
    CHECK(chat_user_me(ann_s, &myself));
    EXPECT(found->id == bob->id && myself->id == ann->id);

    const int64_t pair[2] = {ann->id, bob->id};
    chat_thread *thread = NULL, *again = NULL;
    bool created = false;
    CHECK(chat_thread_create(ann_s, pair, 2, &thread, &created));
    EXPECT(created);
    CHECK(chat_thread_get(bob_s, thread->id, &again));
    EXPECT(again->id == thread->id && again->participants[0] == ann->id);

    chat_message *sent = NULL, *read = NULL;
    CHECK(chat_message_send(ann_s, thread->id, "hi Bob", &sent));
    chat_message_list *page = NULL;
    CHECK(chat_messages_list(bob_s, thread->id, 0, 0, 50, &page));
    EXPECT(page->len == 1 && !page->has_more && strcmp(page->items[0].text, "hi Bob") == 0);
    CHECK(chat_message_mark_read(bob_s, sent->id, &read));
    EXPECT(read->read_at != 0);
    uint64_t marked = 99, unread = 99;
    CHECK(chat_thread_mark_read(bob_s, thread->id, 0, &marked));
    CHECK(chat_unread_count(bob_s, &unread));
    EXPECT(marked == 0 && unread == 0);

    chat_thread_list *inbox = NULL;
    CHECK(chat_threads_list(bob_s, NULL, 50, &inbox));
    EXPECT(inbox->len == 1 && inbox->items[0].other->id == ann->id && !inbox->has_more && inbox->next_cursor == NULL &&
           inbox->items[0].last_message != NULL && inbox->items[0].unread_count == 0);

    chat_status refused = chat_message_mark_read(ann_s, sent->id, &read);
    EXPECT(refused == CHAT_ERR_NOT_RECIPIENT && chat_last_error() != NULL);

    CHECK(chat_thread_delete(ann_s, thread->id));
    CHECK(chat_logout(ann_s));

    chat_thread_list_free(inbox);
    chat_message_list_free(page);
    chat_message_free(read);
    chat_message_free(sent);
    chat_thread_free(again);
    chat_thread_free(thread);
    chat_user_free(myself);
    chat_user_free(found);
    chat_user_free(bob);
    chat_user_free(ann);
    chat_session_free(resumed);
    chat_session_free(bob_s);
    chat_session_free(ann_s);
    chat_close(store);

    if (failures == 0) printf("module-check: @import ChatCore built, linked and ran\n");
    return failures == 0 ? 0 : 1;
}
