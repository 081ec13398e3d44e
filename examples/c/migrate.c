/*
 * migrate.c: moving from the original Django service, from C. Imports a
 * dumpdata JSON file (dry run first), gives an account without a usable
 * password a new one, reads the imported history, takes a backup and
 * exports the store back to dumpdata JSON, which imports into a fresh store.
 *
 *   ./migrate DIR DUMP    (DIR: a writable directory; DUMP: examples/c/dumpdata.json)
 */
#include "chatcore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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

static void print_report(const char *what, const chat_import_report *r) {
    printf("%s: %" PRIu64 " users (%" PRIu64 " without login), %" PRIu64 " threads (%" PRIu64
           " merged), %" PRIu64 " messages, %" PRIu64 " skipped\n",
           what, r->users, r->users_without_login, r->threads, r->threads_merged, r->messages,
           r->skipped_total);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: migrate DIR DUMP\n");
        return 2;
    }
    char db[4096], backup[4096], export_path[4096];
    snprintf(db, sizeof db, "%s/migrated.db", argv[1]);
    snprintf(backup, sizeof backup, "%s/backup.db", argv[1]);
    snprintf(export_path, sizeof export_path, "%s/export.json", argv[1]);
    const char *dump = argv[2];

    chat_options options = {0};
    options.insecure_fast_password_hashing_for_tests =
        getenv("CHATCORE_INSECURE_FAST_HASHING") != NULL;
    chat_store *store = NULL;
    CHECK(chat_open_with(db, &options, &store));

    chat_import_report *report = NULL;
    CHECK(chat_import_django(store, dump, true, &report));
    print_report("dry run", report);
    chat_import_report_free(report);
    CHECK(chat_import_django(store, dump, false, &report));
    print_report("imported", report);
    chat_import_report_free(report);

    /* Importing the same file again is refused as a whole. */
    chat_status again = chat_import_django(store, dump, false, &report);
    printf("import again: %s (%s)\n", again == CHAT_ERR_INVALID_IMPORT ? "refused" : "NOT REFUSED",
           chat_last_error());
    if (again != CHAT_ERR_INVALID_IMPORT) {
        return 1;
    }

    /* max's Django password was unusable: the administrator sets one. */
    CHECK(chat_user_set_password(store, 9, "a fresh password"));
    chat_session *max = NULL;
    CHECK(chat_login(store, "max@example.com", "a fresh password", &max));
    chat_thread_list *inbox = NULL;
    CHECK(chat_threads_list(max, NULL, CHAT_DEFAULT_PAGE_LIMIT, &inbox));
    for (size_t i = 0; i < inbox->len; i++) {
        const chat_thread *t = &inbox->items[i];
        printf("max's thread %" PRId64 " with %s: %" PRIu64 " unread, last \"%s\"\n", t->id,
               t->other->first_name, t->unread_count, t->last_message ? t->last_message->text : "");
        chat_message_list *page = NULL;
        CHECK(chat_messages_list(max, t->id, 0, 0, CHAT_DEFAULT_PAGE_LIMIT, &page));
        for (size_t j = 0; j < page->len; j++) {
            printf("  [%" PRId64 "] %s%s\n", page->items[j].id, page->items[j].text,
                   page->items[j].read_at != 0 ? " (read)" : "");
        }
        chat_message_list_free(page);
    }
    chat_thread_list_free(inbox);
    chat_session_free(max);

    CHECK(chat_backup(store, backup));
    chat_store *copy = NULL;
    CHECK(chat_open_with(backup, &options, &copy));
    chat_unread_report *check = NULL;
    CHECK(chat_unread_verify(copy, &check));
    printf("backup opens: %" PRIu64 " users, %zu unread mismatches\n", check->users_checked,
           check->len);
    chat_unread_report_free(check);
    chat_close(copy);

    CHECK(chat_export_django(store, export_path));
    chat_store *fresh = NULL;
    CHECK(chat_open_in_memory(&options, &fresh));
    CHECK(chat_import_django(fresh, export_path, false, &report));
    print_report("export imported into a fresh store", report);
    chat_import_report_free(report);
    chat_close(fresh);

    chat_close(store);
    printf("done\n");
    return 0;
}
