/*
 * feed.c: live updates through the C API. A waiter thread blocks in
 * chat_wait_changes while another *process* (this program started again
 * with --send) sends a message; the waiter wakes, and chat_changes_list
 * returns exactly that message. Then chat_interrupt_waits ends a wait from
 * another thread (a host shutting down).
 *
 *   ./feed DIR              # uses DIR/feed.db (a fresh database)
 *   ./feed --send DB THREAD TEXT   # the second process: ann sends TEXT
 */
#define _POSIX_C_SOURCE 200809L
#include "chatcore.h"

#include <inttypes.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHECK(call)                                                          \
    do {                                                                     \
        chat_status status_ = (call);                                        \
        if (status_ != CHAT_OK) {                                            \
            fprintf(stderr, "%s failed: status %d: %s\n", #call,             \
                    (int)status_, chat_last_error());                        \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

#define EXPECT(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static chat_store *open_store(const char *path) {
    chat_options options = {0};
    options.insecure_fast_password_hashing_for_tests =
        getenv("CHATCORE_INSECURE_FAST_HASHING") != NULL;
    chat_store *store = NULL;
    CHECK(chat_open_with(path, &options, &store));
    return store;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The second process: log in as ann and send one message. */
static int send_mode(const char *path, int64_t thread, const char *text) {
    chat_store *store = open_store(path);
    chat_session *ann = NULL;
    CHECK(chat_login(store, "ann@example.com", "correct horse", &ann));
    chat_message *sent = NULL;
    CHECK(chat_message_send(ann, thread, text, &sent));
    chat_message_free(sent);
    chat_session_free(ann);
    chat_close(store);
    return 0;
}

/* What a waiter thread is given and reports. */
struct wait_job {
    chat_session *session;
    int64_t after;
    uint32_t timeout_ms;
    chat_status status;
    bool available;
    double took_ms;
};

static void *wait_thread(void *arg) {
    struct wait_job *job = arg;
    double started = now_ms();
    job->status = chat_wait_changes(job->session, job->after, job->timeout_ms, &job->available);
    job->took_ms = now_ms() - started;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--send") == 0) {
        return send_mode(argv[2], strtoll(argv[3], NULL, 10), argv[4]);
    }
    if (argc != 2) {
        fprintf(stderr, "usage: feed DIR | feed --send DB THREAD TEXT\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/feed.db", argv[1]);
    chat_store *store = open_store(path);

    chat_user *ann = NULL, *bob = NULL;
    CHECK(chat_register(store, "ann@example.com", "ann", "correct horse", NULL, NULL, &ann));
    CHECK(chat_register(store, "bob@example.com", "bob", "battery staple", NULL, NULL, &bob));
    chat_session *bob_session = NULL;
    CHECK(chat_login(store, "bob@example.com", "battery staple", &bob_session));
    int64_t pair[2] = {ann->id, bob->id};
    chat_thread *thread = NULL;
    CHECK(chat_thread_create(bob_session, pair, 2, &thread, NULL));

    /* The host loaded its screens: the cursor of "now". */
    int64_t cursor = 0;
    CHECK(chat_change_cursor(bob_session, &cursor));

    /* A waiter thread, then another process sends. */
    struct wait_job job = {bob_session, cursor, 30000, CHAT_OK, false, 0};
    pthread_t waiter;
    EXPECT(pthread_create(&waiter, NULL, wait_thread, &job) == 0);
    char thread_arg[32];
    snprintf(thread_arg, sizeof thread_arg, "%" PRId64, thread->id);
    char *child_argv[] = {argv[0], "--send", path, thread_arg, "hello from another process", NULL};
    pid_t child;
    EXPECT(posix_spawn(&child, argv[0], NULL, NULL, child_argv, environ) == 0);
    int child_status = 0;
    EXPECT(waitpid(child, &child_status, 0) == child);
    EXPECT(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);
    EXPECT(pthread_join(waiter, NULL) == 0);
    EXPECT(job.status == CHAT_OK);
    printf("waiter woke: %s\n", job.available ? "yes" : "no");

    chat_change_list *list = NULL;
    CHECK(chat_changes_list(bob_session, cursor, CHAT_DEFAULT_PAGE_LIMIT, &list));
    EXPECT(list->len == 1 && !list->has_more);
    const chat_change *change = &list->items[0];
    EXPECT(change->kind == CHAT_CHANGE_KIND_CHAT_CHANGE_MESSAGE_SENT);
    EXPECT(change->message != NULL && change->actor_id == ann->id);
    EXPECT(list->next_cursor == change->cursor);
    printf("change: message %" PRId64 " in thread %" PRId64 " from user %" PRId64 ": %s\n",
           change->message_id, change->thread_id, change->actor_id, change->message->text);
    cursor = list->next_cursor;
    chat_change_list_free(list);

    /* The whole feed, from the oldest entry kept. */
    CHECK(chat_changes_list(bob_session, CHAT_FROM_OLDEST, CHAT_DEFAULT_PAGE_LIMIT, &list));
    printf("whole feed: %zu entries (thread created, message sent)\n", list->len);
    EXPECT(list->items[0].kind == CHAT_CHANGE_KIND_CHAT_CHANGE_THREAD_CREATED);
    EXPECT(list->items[0].message == NULL);
    chat_change_list_free(list);

    /* Nothing new: a short wait times out. */
    bool available = true;
    CHECK(chat_wait_changes(bob_session, cursor, 20, &available));
    printf("nothing new: %s\n", available ? "woke" : "timed out");

    /* Shutdown: another thread interrupts a long wait. */
    struct wait_job stop = {bob_session, cursor, 600000, CHAT_OK, true, 0};
    EXPECT(pthread_create(&waiter, NULL, wait_thread, &stop) == 0);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(chat_interrupt_waits(store));
    EXPECT(pthread_join(waiter, NULL) == 0);
    EXPECT(stop.status == CHAT_OK && stop.took_ms < 300000);
    printf("interrupted wait returned: %s\n", stop.available ? "available" : "not available");

    /* A cursor this store never gave is refused; NULLs too. */
    EXPECT(chat_changes_list(bob_session, cursor + 1000, 10, &list) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_changes_list(bob_session, cursor, 0, &list) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_changes_list(NULL, cursor, 10, &list) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_changes_list(bob_session, cursor, 10, NULL) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_change_cursor(bob_session, NULL) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_wait_changes(bob_session, -5, 10, &available) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_wait_changes(bob_session, cursor, 10, NULL) == CHAT_ERR_INVALID_ARGUMENT);
    EXPECT(chat_interrupt_waits(NULL) == CHAT_ERR_INVALID_ARGUMENT);
    chat_change_list_free(NULL);
    printf("refusals ok\n");

    chat_thread_free(thread);
    chat_user_free(ann);
    chat_user_free(bob);
    chat_session_free(bob_session);
    chat_close(store);
    printf("done\n");
    return 0;
}
