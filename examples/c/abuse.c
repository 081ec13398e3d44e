/*
 * abuse.c: calls every chatcore function with NULL in each pointer
 * argument, invalid UTF-8, wrong ids, other users' things, and after logout,
 * and checks each returned status. Also uses one session from several
 * threads at once. Prints every failure and a final "N passed, M failed"
 * line; exits non-zero if anything failed.
 *
 *   ./abuse DIR    (DIR: a writable directory for the database file)
 */
#define _POSIX_C_SOURCE 200809L
#include "chatcore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed = 0;
static int failed = 0;

static void check_status(chat_status got, chat_status want, const char *call, int line) {
    if (got != want) {
        failed++;
        printf("FAIL line %d: %s returned %d, want %d (%s)\n", line, call, (int)got, (int)want,
               chat_last_error() ? chat_last_error() : "no message");
        return;
    }
    const char *message = chat_last_error();
    if ((want == CHAT_OK) != (message == NULL)) {
        failed++;
        printf("FAIL line %d: %s: last error is %s after status %d\n", line, call,
               message ? message : "NULL", (int)got);
        return;
    }
    passed++;
}

static void check_true(bool ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL line %d: %s\n", line, what);
    }
}

#define EXPECT(call, want) check_status((call), (want), #call, __LINE__)
#define TRUE(cond) check_true((cond), #cond, __LINE__)

static const char BAD[] = "\xff\xfe not utf-8";
static const char PW[] = "password-123";

/* Sentinels: an out-pointer must be left untouched by a failing call. */
#define SENTINEL_PTR ((void *)0x5a5a)

struct worker {
    chat_session *session;
    int64_t thread_id;
    int ok;
};

static void *send_from_thread(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < 10; i++) {
        chat_message *m = NULL;
        if (chat_message_send(w->session, w->thread_id, "from a thread", &m) == CHAT_OK) {
            w->ok++;
        }
        chat_message_free(m);
        uint64_t unread = 0;
        (void)chat_unread_count(w->session, &unread);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: abuse DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/abuse.db", argv[1]);
    chat_options fast = {0};
    fast.insecure_fast_password_hashing_for_tests = true;
    fast.max_text_bytes = 64;

    /* ---- library ---- */
    TRUE(chat_version() != NULL && strlen(chat_version()) > 0);
    TRUE(chat_abi_version() == CHAT_ABI_VERSION);
    TRUE(chat_last_error() == NULL);

    /* ---- open ---- */
    chat_store *store = SENTINEL_PTR;
    EXPECT(chat_open(NULL, &store), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open(path, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open(BAD, &store), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open("/nonexistent-dir/for/sure/x.db", &store), CHAT_ERR_STORAGE);
    TRUE(store == SENTINEL_PTR);
    EXPECT(chat_open_with(NULL, &fast, &store), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open_with(path, &fast, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open_with(BAD, &fast, &store), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_open_in_memory(&fast, NULL), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(store == SENTINEL_PTR);
    chat_store *memory = NULL;
    EXPECT(chat_open_in_memory(NULL, &memory), CHAT_OK); /* NULL options = defaults */
    chat_close(memory);
    EXPECT(chat_open(path, &store), CHAT_OK); /* default options create the file */
    chat_close(store);
    EXPECT(chat_open_with(path, &fast, &store), CHAT_OK);

    /* ---- checkpoints: in the background by default, inline on request ---- */
    chat_options inline_options = fast;
    inline_options.inline_checkpoints = true;
    chat_store *inline_store = NULL;
    EXPECT(chat_open_with(path, &inline_options, &inline_store), CHAT_OK);
    EXPECT(chat_checkpoint(NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_checkpoint(inline_store), CHAT_OK);
    chat_close(inline_store);
    EXPECT(chat_checkpoint(store), CHAT_OK);

    /* ---- register ---- */
    chat_user *user = SENTINEL_PTR;
    EXPECT(chat_register(NULL, "a@example.com", "ann", PW, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, NULL, "ann", PW, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", NULL, PW, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", "ann", NULL, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", "ann", PW, NULL, NULL, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, BAD, "ann", PW, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", BAD, PW, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", "ann", BAD, NULL, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", "ann", PW, BAD, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "a@example.com", "ann", PW, NULL, BAD, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_register(store, "not an email", "ann", PW, NULL, NULL, &user), CHAT_ERR_INVALID_EMAIL);
    EXPECT(chat_register(store, "a@example.com", "a n n", PW, NULL, NULL, &user), CHAT_ERR_INVALID_USERNAME);
    EXPECT(chat_register(store, "a@example.com", "ann", "short", NULL, NULL, &user), CHAT_ERR_WEAK_PASSWORD);
    TRUE(user == SENTINEL_PTR);

    chat_user *ann = NULL, *bob = NULL, *eve = NULL;
    EXPECT(chat_register(store, "ann@example.com", "ann", PW, "Ann", "A", &ann), CHAT_OK);
    EXPECT(chat_register(store, "bob@example.com", "bob", PW, NULL, NULL, &bob), CHAT_OK);
    EXPECT(chat_register(store, "eve@example.com", "eve", PW, NULL, NULL, &eve), CHAT_OK);
    if (ann == NULL || bob == NULL || eve == NULL) {
        printf("cannot go on without users\n%d passed, %d failed\n", passed, failed + 1);
        return 1;
    }
    TRUE(strcmp(ann->first_name, "Ann") == 0 && strcmp(bob->last_name, "") == 0);
    EXPECT(chat_register(store, "ANN@example.com", "ann2", PW, NULL, NULL, &user), CHAT_ERR_EMAIL_TAKEN);
    EXPECT(chat_register(store, "ann2@example.com", "ANN", PW, NULL, NULL, &user), CHAT_ERR_USERNAME_TAKEN);

    /* ---- login / resume ---- */
    chat_session *session = SENTINEL_PTR;
    EXPECT(chat_login(NULL, "ann@example.com", PW, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, NULL, PW, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, "ann@example.com", NULL, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, "ann@example.com", PW, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, BAD, PW, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, "ann@example.com", BAD, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_login(store, "ann@example.com", "wrong-password", &session), CHAT_ERR_INVALID_CREDENTIALS);
    EXPECT(chat_login(store, "nobody@example.com", PW, &session), CHAT_ERR_INVALID_CREDENTIALS);
    EXPECT(chat_session_resume(NULL, "token", &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_resume(store, NULL, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_resume(store, "token", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_resume(store, BAD, &session), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_resume(store, "no such token", &session), CHAT_ERR_SESSION_INVALID);
    TRUE(session == SENTINEL_PTR);

    chat_session *as = NULL, *bs = NULL, *es = NULL, *extra = NULL, *resumed = NULL;
    EXPECT(chat_login(store, "ann@example.com", PW, &as), CHAT_OK);
    EXPECT(chat_login(store, "BOB@example.com", PW, &bs), CHAT_OK);
    EXPECT(chat_login(store, "eve@example.com", PW, &es), CHAT_OK);
    EXPECT(chat_login(store, "ann@example.com", PW, &extra), CHAT_OK);
    TRUE(chat_session_token(NULL) == NULL);
    TRUE(chat_session_token(as) != NULL && strlen(chat_session_token(as)) == 64);
    EXPECT(chat_session_resume(store, chat_session_token(as), &resumed), CHAT_OK);

    int64_t id = -1;
    EXPECT(chat_session_user_id(NULL, &id), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_user_id(as, NULL), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(id == -1);
    EXPECT(chat_session_user_id(resumed, &id), CHAT_OK);
    TRUE(id == ann->id);

    /* ---- sessions list / revoke ---- */
    chat_session_info_list *infos = SENTINEL_PTR;
    EXPECT(chat_sessions_list(NULL, &infos), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_sessions_list(as, NULL), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(infos == SENTINEL_PTR);
    EXPECT(chat_sessions_list(extra, &infos), CHAT_OK);
    TRUE(infos->len == 2); /* ann's: `as` (also `resumed`, same token) and `extra` */
    EXPECT(chat_session_revoke(NULL, "x"), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_revoke(as, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_revoke(as, BAD), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_revoke(as, "not-a-uuid"), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_session_revoke(as, "00000000-0000-4000-8000-000000000000"), CHAT_ERR_SESSION_INVALID);
    for (size_t i = 0; i < infos->len; i++) {
        if (infos->items[i].current) {
            EXPECT(chat_session_revoke(bs, infos->items[i].id), CHAT_ERR_SESSION_INVALID); /* not bob's */
            EXPECT(chat_session_revoke(as, infos->items[i].id), CHAT_OK);
        }
    }
    chat_session_info_list_free(infos);
    uint64_t count = 0;
    EXPECT(chat_unread_count(extra, &count), CHAT_ERR_SESSION_INVALID); /* revoked */

    /* ---- users ---- */
    EXPECT(chat_user_me(NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_me(as, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_get(NULL, bob->id, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_get(as, bob->id, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_get(as, 999999, &user), CHAT_ERR_USER_NOT_FOUND);
    EXPECT(chat_user_get(as, -5, &user), CHAT_ERR_USER_NOT_FOUND);
    EXPECT(chat_user_find(NULL, "bob", &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find(as, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find(as, "bob", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find(as, BAD, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find(as, "nobody", &user), CHAT_ERR_USER_NOT_FOUND);
    TRUE(user == SENTINEL_PTR);
    EXPECT(chat_user_me(as, &user), CHAT_OK);
    TRUE(user != SENTINEL_PTR && user->id == ann->id);
    chat_user_free(user);
    EXPECT(chat_user_get(as, bob->id, &user), CHAT_OK);
    TRUE(strcmp(user->username, "bob") == 0);
    chat_user_free(user);
    EXPECT(chat_user_find(as, "BOB@example.com", &user), CHAT_OK);
    TRUE(user->id == bob->id);
    chat_user_free(user);
    user = SENTINEL_PTR;
    EXPECT(chat_user_find_by_username(NULL, "bob", &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_username(as, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_username(as, "bob", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_username(as, BAD, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_username(as, "bob@example.com", &user), CHAT_ERR_USER_NOT_FOUND);
    EXPECT(chat_user_find_by_email(NULL, "bob@example.com", &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_email(as, NULL, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_email(as, "bob@example.com", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_email(as, BAD, &user), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_find_by_email(as, "bob", &user), CHAT_ERR_USER_NOT_FOUND);
    EXPECT(chat_user_find(as, "id:x", &user), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(user == SENTINEL_PTR);
    EXPECT(chat_user_find_by_username(as, "BOB", &user), CHAT_OK);
    TRUE(user->id == bob->id);
    chat_user_free(user);
    EXPECT(chat_user_find_by_email(as, " Bob@Example.com", &user), CHAT_OK);
    TRUE(user->id == bob->id);
    chat_user_free(user);
    chat_user_list *users = SENTINEL_PTR;
    EXPECT(chat_users_search(NULL, "b", CHAT_DEFAULT_PAGE_LIMIT, &users), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_users_search(as, NULL, CHAT_DEFAULT_PAGE_LIMIT, &users), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_users_search(as, "b", CHAT_DEFAULT_PAGE_LIMIT, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_users_search(as, BAD, CHAT_DEFAULT_PAGE_LIMIT, &users), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_users_search(as, "b", 0, &users), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_users_search(as, "b", CHAT_MAX_PAGE_LIMIT + 1, &users), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(users == SENTINEL_PTR);
    EXPECT(chat_users_search(as, "zzz", CHAT_DEFAULT_PAGE_LIMIT, &users), CHAT_OK);
    TRUE(users->len == 0 && users->items == NULL);
    chat_user_list_free(users);
    EXPECT(chat_users_search(as, "B", 10, &users), CHAT_OK);
    TRUE(users->len == 1 && users->items[0].id == bob->id);
    chat_user_list_free(users);

    /* ---- threads ---- */
    int64_t pair[2] = {ann->id, bob->id};
    int64_t three[3] = {ann->id, bob->id, eve->id};
    int64_t twice[2] = {ann->id, ann->id};
    int64_t ghost[2] = {ann->id, 999999};
    int64_t others[2] = {bob->id, eve->id};
    chat_thread *thread = SENTINEL_PTR;
    bool created = false;
    EXPECT(chat_thread_create(NULL, pair, 2, &thread, &created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_create(as, NULL, 2, &thread, &created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_create(as, pair, 2, NULL, &created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_create(as, pair, 1, &thread, &created), CHAT_ERR_WRONG_PARTICIPANT_COUNT);
    EXPECT(chat_thread_create(as, three, 3, &thread, &created), CHAT_ERR_WRONG_PARTICIPANT_COUNT);
    EXPECT(chat_thread_create(as, twice, 2, &thread, &created), CHAT_ERR_DUPLICATE_PARTICIPANT);
    EXPECT(chat_thread_create(as, ghost, 2, &thread, &created), CHAT_ERR_USER_NOT_FOUND);
    EXPECT(chat_thread_create(as, others, 2, &thread, &created), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(thread == SENTINEL_PTR && !created);
    EXPECT(chat_thread_create(as, pair, 2, &thread, &created), CHAT_OK);
    TRUE(created && thread->participants[0] == ann->id && thread->participants[1] == bob->id);
    TRUE(thread->other != NULL && thread->other->id == bob->id && thread->last_message == NULL &&
         thread->unread_count == 0);
    int64_t tid = thread->id;
    chat_thread_free(thread);
    int64_t reversed[2] = {bob->id, ann->id};
    EXPECT(chat_thread_create(bs, reversed, 2, &thread, &created), CHAT_OK);
    TRUE(!created && thread->id == tid);
    chat_thread_free(thread);
    /* out_created may be NULL: the caller does not care whether it is new. */
    EXPECT(chat_thread_create(bs, reversed, 2, &thread, NULL), CHAT_OK);
    TRUE(thread->id == tid);
    chat_thread_free(thread);

    thread = SENTINEL_PTR;
    EXPECT(chat_thread_get(NULL, tid, &thread), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_get(as, tid, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_get(as, 999999, &thread), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_thread_get(es, tid, &thread), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(thread == SENTINEL_PTR);
    EXPECT(chat_thread_get(bs, tid, &thread), CHAT_OK);
    TRUE(thread->id == tid);
    chat_thread_free(thread);

    chat_thread_list *inbox = SENTINEL_PTR;
    EXPECT(chat_threads_list(NULL, NULL, CHAT_DEFAULT_PAGE_LIMIT, &inbox), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_threads_list(as, NULL, CHAT_DEFAULT_PAGE_LIMIT, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_threads_list(as, BAD, CHAT_DEFAULT_PAGE_LIMIT, &inbox), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_threads_list(as, "not a cursor", CHAT_DEFAULT_PAGE_LIMIT, &inbox), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_threads_list(as, NULL, 0, &inbox), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_threads_list(as, NULL, 501, &inbox), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(CHAT_DEFAULT_PAGE_LIMIT == 50 && CHAT_MAX_PAGE_LIMIT == 500);
    TRUE(inbox == SENTINEL_PTR);
    EXPECT(chat_threads_list(es, NULL, CHAT_DEFAULT_PAGE_LIMIT, &inbox), CHAT_OK);
    TRUE(inbox->len == 0 && inbox->items == NULL && !inbox->has_more && inbox->next_cursor == NULL);
    chat_thread_list_free(inbox);

    /* ---- messages ---- */
    chat_message *message = SENTINEL_PTR;
    EXPECT(chat_message_send(NULL, tid, "hi", &message), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send(as, tid, NULL, &message), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send(as, tid, "hi", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send(as, tid, BAD, &message), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send(as, tid, "   ", &message), CHAT_ERR_INVALID_TEXT);
    EXPECT(chat_message_send(as, tid, "this text is longer than the sixty-four bytes that this store accepts", &message),
           CHAT_ERR_INVALID_TEXT);
    EXPECT(chat_message_send(as, 999999, "hi", &message), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_message_send(es, tid, "hi", &message), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(message == SENTINEL_PTR);
    EXPECT(chat_message_send(as, tid, "first", &message), CHAT_OK);
    int64_t first = message->id;
    TRUE(message->sender_id == ann->id && message->read_at == 0);
    chat_message_free(message);
    EXPECT(chat_message_send(as, tid, "second", &message), CHAT_OK);
    int64_t second = message->id;
    chat_message_free(message);

    chat_message_list *page = SENTINEL_PTR;
    EXPECT(chat_messages_list(NULL, tid, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, second, first, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, -1, 0, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, 0, 0, 0, &page), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, 0, 0, 501, &page), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_messages_list(as, tid, 0, 0, CHAT_MAX_PAGE_LIMIT, &page), CHAT_OK);
    chat_message_list_free(page);
    page = SENTINEL_PTR;
    EXPECT(chat_messages_list(as, 999999, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_messages_list(es, tid, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(page == SENTINEL_PTR);
    EXPECT(chat_messages_list(bs, tid, 0, first, 1, &page), CHAT_OK);
    TRUE(page->len == 1 && page->items[0].id == second && !page->has_more);
    chat_message_list_free(page);
    /* the oldest page without knowing an id */
    EXPECT(chat_messages_list(bs, tid, 0, CHAT_FROM_OLDEST, 1, &page), CHAT_OK);
    TRUE(page->len == 1 && page->items[0].id == first && page->has_more);
    chat_message_list_free(page);
    EXPECT(chat_messages_list(bs, tid, 0, -2, 1, &page), CHAT_ERR_INVALID_ARGUMENT);

    /* a thread as read back carries the other user, the last message and the unread count */
    EXPECT(chat_thread_get(bs, tid, &thread), CHAT_OK);
    TRUE(thread->other->id == ann->id && strcmp(thread->other->username, "ann") == 0);
    TRUE(thread->last_message != NULL && thread->last_message->id == second &&
         strcmp(thread->last_message->text, "second") == 0);
    TRUE(thread->unread_count == 2);
    chat_thread_free(thread);
    EXPECT(chat_thread_create(as, pair, 2, &thread, &created), CHAT_OK);
    TRUE(!created && thread->other->id == bob->id && thread->unread_count == 0 &&
         thread->last_message->id == second);
    chat_thread_free(thread);

    message = SENTINEL_PTR;
    EXPECT(chat_message_mark_read(NULL, first, &message), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_mark_read(bs, first, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_mark_read(bs, 999999, &message), CHAT_ERR_MESSAGE_NOT_FOUND);
    EXPECT(chat_message_mark_read(as, first, &message), CHAT_ERR_NOT_RECIPIENT);
    EXPECT(chat_message_mark_read(es, first, &message), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(message == SENTINEL_PTR);
    EXPECT(chat_message_mark_read(bs, first, &message), CHAT_OK);
    int64_t read_at = message->read_at;
    TRUE(read_at != 0);
    chat_message_free(message);
    EXPECT(chat_message_mark_read(bs, first, &message), CHAT_OK); /* idempotent */
    TRUE(message->read_at == read_at);
    chat_message_free(message);

    uint64_t marked = 12345;
    EXPECT(chat_thread_mark_read(NULL, tid, 0, &marked), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_mark_read(bs, tid, 0, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_mark_read(bs, tid, -3, &marked), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_mark_read(bs, 999999, 0, &marked), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_thread_mark_read(es, tid, 0, &marked), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(marked == 12345);

    count = 777;
    EXPECT(chat_unread_count(NULL, &count), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_unread_count(bs, NULL), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(count == 777);
    EXPECT(chat_unread_count(bs, &count), CHAT_OK);
    TRUE(count == 1);
    EXPECT(chat_unread_count(as, &count), CHAT_OK);
    TRUE(count == 0); /* never counts one's own messages */

    /* ---- one session from several threads ---- */
    struct worker workers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){.session = as, .thread_id = tid, .ok = 0};
        TRUE(pthread_create(&threads[i], NULL, send_from_thread, &workers[i]) == 0);
    }
    int sent = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        sent += workers[i].ok;
    }
    TRUE(sent == 40);
    EXPECT(chat_unread_count(bs, &count), CHAT_OK);
    TRUE(count == 41);
    EXPECT(chat_thread_mark_read(bs, tid, 0, &marked), CHAT_OK);
    TRUE(marked == 41);

    /* ---- unread verification ---- */
    chat_unread_report *report = SENTINEL_PTR;
    EXPECT(chat_unread_verify(NULL, &report), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_unread_verify(store, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_unread_repair(NULL, &report), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_unread_repair(store, NULL), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(report == SENTINEL_PTR);
    EXPECT(chat_unread_verify(store, &report), CHAT_OK);
    TRUE(report->len == 0 && report->mismatches == NULL && report->users_checked == 3);
    chat_unread_report_free(report);
    EXPECT(chat_unread_repair(store, &report), CHAT_OK);
    TRUE(report->len == 0 && report->threads_checked == 2);
    chat_unread_report_free(report);

    /* ---- import, export, backup, set password ---- */
    char file[4096];
    snprintf(file, sizeof file, "%s/abuse-export.json", argv[1]);
    chat_import_report *imported = SENTINEL_PTR;
    EXPECT(chat_import_django(NULL, file, true, &imported), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_import_django(store, NULL, true, &imported), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_import_django(store, file, true, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_import_django(store, BAD, true, &imported), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_import_django(store, "/nonexistent-dir/dump.json", true, &imported), CHAT_ERR_STORAGE);
    TRUE(imported == SENTINEL_PTR);
    EXPECT(chat_export_django(NULL, file), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_export_django(store, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_export_django(store, BAD), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_export_django(store, "/nonexistent-dir/export.json"), CHAT_ERR_STORAGE);
    EXPECT(chat_export_django(store, file), CHAT_OK);
    EXPECT(chat_export_django(store, file), CHAT_ERR_INVALID_ARGUMENT); /* never overwrites */
    EXPECT(chat_export_django(store, path), CHAT_ERR_INVALID_ARGUMENT); /* the database itself */
    EXPECT(chat_export_django(store, argv[1]), CHAT_ERR_INVALID_ARGUMENT); /* a directory */
    EXPECT(chat_import_django(store, argv[1], true, &imported), CHAT_ERR_STORAGE); /* unreadable as a file */
    /* everything in the export is already in the store: refused, all or nothing */
    EXPECT(chat_import_django(store, file, true, &imported), CHAT_ERR_INVALID_IMPORT);
    EXPECT(chat_import_django(store, path, true, &imported), CHAT_ERR_INVALID_IMPORT); /* not JSON */
    TRUE(imported == SENTINEL_PTR);
    EXPECT(chat_backup(NULL, file), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_backup(store, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_backup(store, BAD), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_backup(store, file), CHAT_ERR_INVALID_ARGUMENT); /* exists, not empty */
    EXPECT(chat_backup(store, "/nonexistent-dir/backup.db"), CHAT_ERR_STORAGE);
    EXPECT(chat_user_set_password(NULL, eve->id, PW), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_set_password(store, eve->id, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_set_password(store, eve->id, BAD), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_user_set_password(store, eve->id, "short"), CHAT_ERR_WEAK_PASSWORD);
    EXPECT(chat_user_set_password(store, 999999, PW), CHAT_ERR_USER_NOT_FOUND);

    /* ---- idempotent send ---- */
    chat_message *keyed = SENTINEL_PTR;
    bool keyed_created = false;
    const char *long_key = "k123456789k123456789k123456789k123456789k123456789k123456789k1234"; /* 65 bytes */
    EXPECT(chat_message_send_with_key(NULL, tid, "hi", "key-1", &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, NULL, "key-1", &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "hi", NULL, &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "hi", "key-1", NULL, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "hi", BAD, &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, BAD, "key-1", &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "hi", "", &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "hi", long_key, &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_send_with_key(as, tid, "   ", "key-1", &keyed, &keyed_created), CHAT_ERR_INVALID_TEXT);
    EXPECT(chat_message_send_with_key(es, tid, "hi", "key-1", &keyed, &keyed_created), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(keyed == SENTINEL_PTR && !keyed_created);
    EXPECT(chat_message_send_with_key(as, tid, "once", "key-1", &keyed, &keyed_created), CHAT_OK);
    int64_t keyed_id = keyed->id;
    TRUE(keyed_created);
    chat_message_free(keyed);
    EXPECT(chat_message_send_with_key(as, tid, "once", "key-1", &keyed, NULL), CHAT_OK); /* a retry */
    TRUE(keyed->id == keyed_id);
    chat_message_free(keyed);

    /* ---- search ---- */
    chat_search_hit_list *hits = SENTINEL_PTR;
    EXPECT(chat_search(NULL, "once", 0, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, NULL, 0, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 0, 10, NULL, CHAT_SEARCH_RELEVANCE, NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, BAD, 0, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 0, 10, BAD, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 0, 10, "not-a-cursor", CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 0, 0, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 0, 10, NULL, 7, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "\"( * - ^ :", 0, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_search(as, "once", 999999, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_search(es, "once", tid, 10, NULL, CHAT_SEARCH_RELEVANCE, &hits), CHAT_ERR_NOT_PARTICIPANT);
    TRUE(hits == SENTINEL_PTR);
    EXPECT(chat_search(es, "once", 0, 10, NULL, CHAT_SEARCH_RECENT, &hits), CHAT_OK); /* not eve's thread */
    TRUE(hits->len == 0 && hits->items == NULL && !hits->has_more && hits->next_cursor == NULL);
    chat_search_hit_list_free(hits);
    EXPECT(chat_search(as, "ONCE", tid, 10, NULL, CHAT_SEARCH_RECENT, &hits), CHAT_OK);
    TRUE(hits->len == 1 && hits->items[0].message->id == keyed_id && hits->items[0].matches_len == 1);
    TRUE(hits->items[0].matches[0].end - hits->items[0].matches[0].start == 4);
    chat_search_hit_list_free(hits);
    chat_search_hit_list_free(NULL);
    EXPECT(chat_message_send_with_key(as, tid, "once", "key-1", &keyed, &keyed_created), CHAT_OK);
    TRUE(keyed->id == keyed_id && !keyed_created);
    chat_message_free(keyed);
    keyed = SENTINEL_PTR;
    EXPECT(chat_message_send_with_key(as, tid, "twice", "key-1", &keyed, &keyed_created), CHAT_ERR_INVALID_ARGUMENT);
    TRUE(keyed == SENTINEL_PTR);

    /* ---- a message's life: edit, withdraw (delete for everyone), clear for me ---- */
    chat_message *life = SENTINEL_PTR;
    EXPECT(chat_message_edit(NULL, keyed_id, "x", &life), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_edit(as, keyed_id, NULL, &life), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_edit(as, keyed_id, "x", NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_edit(as, keyed_id, BAD, &life), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_edit(as, keyed_id, "   ", &life), CHAT_ERR_INVALID_TEXT);
    EXPECT(chat_message_edit(bs, keyed_id, "x", &life), CHAT_ERR_NOT_SENDER);
    EXPECT(chat_message_edit(es, keyed_id, "x", &life), CHAT_ERR_NOT_PARTICIPANT);
    EXPECT(chat_message_edit(as, 999999, "x", &life), CHAT_ERR_MESSAGE_NOT_FOUND);
    TRUE(life == SENTINEL_PTR);
    EXPECT(chat_message_edit(as, keyed_id, "edited", &life), CHAT_OK);
    TRUE(life->id == keyed_id && life->edited_at > 0 && life->deleted_at == 0);
    TRUE(strcmp(life->text, "edited") == 0);
    chat_message_free(life);
    life = SENTINEL_PTR;
    EXPECT(chat_message_delete(NULL, keyed_id, &life), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_message_delete(bs, keyed_id, &life), CHAT_ERR_NOT_SENDER);
    EXPECT(chat_message_delete(es, keyed_id, &life), CHAT_ERR_NOT_PARTICIPANT);
    EXPECT(chat_message_delete(as, 999999, &life), CHAT_ERR_MESSAGE_NOT_FOUND);
    TRUE(life == SENTINEL_PTR);
    EXPECT(chat_message_delete(as, keyed_id, &life), CHAT_OK);
    TRUE(life->id == keyed_id && life->deleted_at > 0 && life->text[0] == '\0');
    chat_message_free(life);
    EXPECT(chat_message_delete(as, keyed_id, NULL), CHAT_OK); /* again: nothing changes */
    life = SENTINEL_PTR;
    EXPECT(chat_message_edit(as, keyed_id, "back", &life), CHAT_ERR_INVALID_ARGUMENT); /* a tombstone */
    TRUE(life == SENTINEL_PTR);
    int64_t through = -1;
    EXPECT(chat_thread_clear(NULL, tid, &through), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_clear(es, tid, &through), CHAT_ERR_NOT_PARTICIPANT);
    EXPECT(chat_thread_clear(bs, 999999, &through), CHAT_ERR_THREAD_NOT_FOUND);
    TRUE(through == -1);
    EXPECT(chat_thread_clear(bs, tid, &through), CHAT_OK);
    TRUE(through >= keyed_id);
    EXPECT(chat_thread_clear(bs, tid, NULL), CHAT_OK);

    /* ---- delete ---- */
    EXPECT(chat_thread_delete(NULL, tid), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_thread_delete(as, 999999), CHAT_ERR_THREAD_NOT_FOUND);
    EXPECT(chat_thread_delete(es, tid), CHAT_ERR_NOT_PARTICIPANT);
    EXPECT(chat_thread_delete(bs, tid), CHAT_OK);
    EXPECT(chat_thread_get(as, tid, &thread), CHAT_ERR_THREAD_NOT_FOUND);

    /* ---- the store closed while sessions live ---- */
    chat_close(store);
    EXPECT(chat_thread_create(as, pair, 2, &thread, &created), CHAT_OK);
    TRUE(created);
    tid = thread->id;
    chat_thread_free(thread);

    /* ---- after logout: every session call says so ---- */
    EXPECT(chat_logout(NULL), CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_logout(as), CHAT_OK);
    EXPECT(chat_logout(as), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_logout(resumed), CHAT_ERR_SESSION_INVALID); /* same token */
    EXPECT(chat_user_me(as, &user), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_user_get(as, bob->id, &user), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_user_find(as, "bob", &user), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_user_find_by_username(as, "bob", &user), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_user_find_by_email(as, "bob@example.com", &user), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_users_search(as, "b", CHAT_DEFAULT_PAGE_LIMIT, &users), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_sessions_list(as, &infos), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_session_revoke(as, "00000000-0000-4000-8000-000000000000"), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_thread_create(as, pair, 2, &thread, &created), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_thread_get(as, tid, &thread), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_threads_list(as, NULL, CHAT_DEFAULT_PAGE_LIMIT, &inbox), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_thread_delete(as, tid), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_thread_mark_read(as, tid, 0, &marked), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_message_send(as, tid, "hi", &message), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_messages_list(as, tid, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, &page), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_message_mark_read(as, second, &message), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_unread_count(as, &count), CHAT_ERR_SESSION_INVALID);
    EXPECT(chat_session_user_id(as, &id), CHAT_OK); /* no database access */
    TRUE(id == ann->id);
    TRUE(chat_last_error() == NULL);

    /* ---- options: a session lifetime of one second ---- */
    chat_options short_lived = fast;
    short_lived.session_ttl_seconds = 1;
    short_lived.busy_timeout_ms = 100;
    short_lived.full_durability = true;
    chat_store *brief = NULL;
    chat_session *expiring = NULL;
    EXPECT(chat_open_in_memory(&short_lived, &brief), CHAT_OK);
    EXPECT(chat_register(brief, "kim@example.com", "kim", PW, NULL, NULL, &user), CHAT_OK);
    chat_user_free(user);
    EXPECT(chat_login(brief, "kim@example.com", PW, &expiring), CHAT_OK);
    EXPECT(chat_unread_count(expiring, &count), CHAT_OK);
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    EXPECT(chat_unread_count(expiring, &count), CHAT_ERR_SESSION_EXPIRED);
    EXPECT(chat_session_resume(brief, chat_session_token(expiring), &session), CHAT_ERR_SESSION_EXPIRED);
    chat_session_free(expiring);
    chat_close(brief);

    /* ---- every free accepts NULL ---- */
    chat_close(NULL);
    chat_session_free(NULL);
    chat_user_free(NULL);
    chat_user_list_free(NULL);
    chat_thread_free(NULL);
    chat_thread_list_free(NULL);
    chat_message_free(NULL);
    chat_message_list_free(NULL);
    chat_session_info_list_free(NULL);
    chat_unread_report_free(NULL);
    chat_import_report_free(NULL);
    passed++;

    chat_user_free(ann);
    chat_user_free(bob);
    chat_user_free(eve);
    chat_session_free(as);
    chat_session_free(bs);
    chat_session_free(es);
    chat_session_free(extra);
    chat_session_free(resumed); /* the last reference: the store closes here */

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
