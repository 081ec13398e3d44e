/*
 * quickstart.c: a walk through the chatcore C API.
 *
 * After chatcore-ffi/install.sh --prefix "$HOME/.local" (see examples/README.md):
 *   export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig
 *   cc -Wall -Wextra -Werror quickstart.c $(pkg-config --cflags --libs chatcore) \
 *      -Wl,-rpath,"$(pkg-config --variable=libdir chatcore)" -o quickstart
 *   ./quickstart              # a fresh temporary database, removed at the end
 *   ./quickstart my.db        # or a database file of your choosing (kept)
 *
 * Every call returns a chat_status; on failure chat_last_error() says why.
 * Everything the library hands out is ours, freed with its chat_*_free.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "chatcore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Stops the program with the library's message when a call fails. */
#define CHECK(call)                                                          \
    do {                                                                     \
        chat_status status_ = (call);                                        \
        if (status_ != CHAT_OK) {                                            \
            fprintf(stderr, "%s failed: status %d: %s\n", #call,             \
                    (int)status_, chat_last_error());                        \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

/* Without an argument, a fresh database in a new temporary directory, so
 * the program runs again and again from anywhere (even a read-only cwd). */
static char temp_dir[4096];
static char temp_db[4096 + 32];

static void remove_temp_db(void) {
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char file[sizeof temp_db + 16];
        snprintf(file, sizeof file, "%s%s", temp_db, suffixes[i]);
        unlink(file);
    }
    rmdir(temp_dir);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : NULL;
    if (path == NULL) {
        const char *tmp = getenv("TMPDIR");
        snprintf(temp_dir, sizeof temp_dir, "%s/chatcore-quickstart-XXXXXX",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        if (mkdtemp(temp_dir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(temp_db, sizeof temp_db, "%s/quickstart.db", temp_dir);
        path = temp_db;
        atexit(remove_temp_db);
    }
    printf("chatcore %s (ABI %u)\n", chat_version(), chat_abi_version());
    if (chat_abi_version() != CHAT_ABI_VERSION) {
        fprintf(stderr, "header and library disagree on the ABI version\n");
        return 1;
    }

    /* Real apps call chat_open(path, &store). The test suite runs this
     * program under valgrind, where full-cost password hashing is very slow,
     * so it may ask for the insecure test cost through the environment. */
    chat_options options = {0};
    options.insecure_fast_password_hashing_for_tests =
        getenv("CHATCORE_INSECURE_FAST_HASHING") != NULL;
    chat_store *store = NULL;
    CHECK(chat_open_with(path, &options, &store));
    printf("opened %s\n", path);

    chat_user *ann = NULL, *bob = NULL;
    CHECK(chat_register(store, "ann@example.com", "ann", "correct horse", "Ann", NULL, &ann));
    CHECK(chat_register(store, "bob@example.com", "bob", "battery staple", NULL, NULL, &bob));
    printf("registered %s (id %" PRId64 ") and %s (id %" PRId64 ")\n",
           ann->username, ann->id, bob->username, bob->id);

    chat_session *ann_session = NULL, *bob_session = NULL;
    CHECK(chat_login(store, "ann@example.com", "correct horse", &ann_session));
    CHECK(chat_login(store, "bob@example.com", "battery staple", &bob_session));
    int64_t me = 0;
    CHECK(chat_session_user_id(ann_session, &me));
    printf("logged in as user %" PRId64 " and user %" PRId64 "\n", me, bob->id);

    int64_t pair[2] = {ann->id, bob->id};
    chat_thread *thread = NULL;
    bool created = false;
    CHECK(chat_thread_create(ann_session, pair, 2, &thread, &created));
    printf("thread %" PRId64 " %s\n", thread->id, created ? "created" : "already existed");

    const char *texts[] = {"hi Bob", "lunch at noon?", "the usual place"};
    for (size_t i = 0; i < 3; i++) {
        chat_message *sent = NULL;
        CHECK(chat_message_send(ann_session, thread->id, texts[i], &sent));
        printf("ann sent message %" PRId64 ": %s\n", sent->id, sent->text);
        chat_message_free(sent);
    }

    uint64_t unread = 0;
    CHECK(chat_unread_count(bob_session, &unread));
    printf("bob has %" PRIu64 " unread\n", unread);

    /* Page history backwards, two at a time: each page is oldest first. */
    int64_t before = 0;
    int page_number = 1;
    bool more = true;
    int64_t first_id = 0;
    while (more) {
        chat_message_list *page = NULL;
        CHECK(chat_messages_list(bob_session, thread->id, before, 0, 2, &page));
        printf("page %d:", page_number++);
        for (size_t i = 0; i < page->len; i++) {
            printf(" [%" PRId64 "] %s;", page->items[i].id, page->items[i].text);
        }
        printf("\n");
        more = page->has_more;
        if (page->len > 0) {
            before = page->items[0].id;
            first_id = page->items[0].id;
        }
        chat_message_list_free(page);
    }

    chat_message *read = NULL;
    CHECK(chat_message_mark_read(bob_session, first_id, &read));
    printf("bob read message %" PRId64 " (read_at set: %s)\n", read->id, read->read_at != 0 ? "yes" : "no");
    chat_message_free(read);
    CHECK(chat_unread_count(bob_session, &unread));
    printf("bob has %" PRIu64 " unread\n", unread);

    uint64_t marked = 0;
    CHECK(chat_thread_mark_read(bob_session, thread->id, 0, &marked));
    CHECK(chat_unread_count(bob_session, &unread));
    printf("bob marked the thread read (%" PRIu64 " more); %" PRIu64 " unread\n", marked, unread);

    chat_thread_list *inbox = NULL;
    CHECK(chat_threads_list(bob_session, NULL, CHAT_DEFAULT_PAGE_LIMIT, &inbox));
    for (size_t i = 0; i < inbox->len; i++) {
        const chat_thread *entry = &inbox->items[i];
        printf("bob's inbox: with %s, last \"%s\", %" PRIu64 " unread\n", entry->other->username,
               entry->last_message ? entry->last_message->text : "", entry->unread_count);
    }
    chat_thread_list_free(inbox);

    /* Search: case and accents are folded, words match as prefixes. */
    chat_search_hit_list *hits = NULL;
    CHECK(chat_search(bob_session, "LÜNCH", 0, CHAT_DEFAULT_PAGE_LIMIT, NULL, CHAT_SEARCH_RELEVANCE, &hits));
    for (size_t i = 0; i < hits->len; i++) {
        const chat_search_hit *hit = &hits->items[i];
        printf("bob searched \"LÜNCH\": [%" PRId64 "] %s (with %s, match \"%.*s\")\n", hit->message->id,
               hit->snippet, hit->other->username, (int)(hit->matches[0].end - hit->matches[0].start),
               hit->snippet + hit->matches[0].start);
    }
    chat_search_hit_list_free(hits);

    CHECK(chat_logout(ann_session));
    printf("ann logged out\n");

    chat_thread_free(thread);
    chat_user_free(ann);
    chat_user_free(bob);
    chat_session_free(ann_session);
    chat_session_free(bob_session);
    chat_close(store);
    printf("done\n");
    return 0;
}
