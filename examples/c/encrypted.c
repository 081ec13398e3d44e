/*
 * encrypted.c: an encrypted store from C. Opens a new store with a raw
 * 256-bit key (as a host would fetch it from the iOS Keychain or the
 * Android Keystore), writes to it, shows that a wrong key, no key, or a key
 * on a plain file is CHAT_ERR_WRONG_KEY, changes the key to a passphrase
 * with chat_rekey, and opens it again with that.
 *
 *   ./encrypted DIR    (DIR: a writable directory)
 */
#include "chatcore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static chat_options keyed(const void *key, size_t len, bool passphrase) {
    chat_options options;
    memset(&options, 0, sizeof options);
    options.insecure_fast_password_hashing_for_tests =
        getenv("CHATCORE_INSECURE_FAST_HASHING") != NULL;
    options.key = (const uint8_t *)key;
    options.key_len = len;
    options.key_is_passphrase = passphrase;
    return options;
}

/* Opens `path` with `options` expecting CHAT_ERR_WRONG_KEY. */
static void expect_wrong_key(const char *what, const char *path, const chat_options *options) {
    chat_store *store = NULL;
    chat_status status = chat_open_with(path, options, &store);
    printf("%s: status %d%s\n", what, (int)status,
           status == CHAT_ERR_WRONG_KEY && store == NULL ? " (wrong key)" : " UNEXPECTED");
    if (status != CHAT_ERR_WRONG_KEY)
        exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: encrypted DIR\n");
        return 2;
    }
    char db[4096], plain[4096];
    snprintf(db, sizeof db, "%s/secret.db", argv[1]);
    snprintf(plain, sizeof plain, "%s/plain.db", argv[1]);

    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    const char *passphrase = "a passphrase from the user";

    chat_options options = keyed(key, sizeof key, false);
    chat_store *store = NULL;
    CHECK(chat_open_with(db, &options, &store));
    chat_user *ann = NULL, *bob = NULL;
    CHECK(chat_register(store, "ann@example.com", "ann", "correct horse", NULL, NULL, &ann));
    CHECK(chat_register(store, "bob@example.com", "bob", "battery staple", NULL, NULL, &bob));
    chat_session *session = NULL;
    CHECK(chat_login(store, "ann@example.com", "correct horse", &session));
    int64_t participants[2] = {ann->id, bob->id};
    chat_thread *thread = NULL;
    bool created = false;
    CHECK(chat_thread_create(session, participants, 2, &thread, &created));
    chat_message *message = NULL;
    CHECK(chat_message_send(session, thread->id, "meet at the usual place", &message));
    printf("sent message %" PRId64 " in an encrypted store\n", message->id);
    chat_message_free(message);
    chat_thread_free(thread);
    chat_user_free(ann);
    chat_user_free(bob);
    chat_session_free(session);
    chat_close(store);

    uint8_t wrong[32];
    memcpy(wrong, key, sizeof wrong);
    wrong[0] ^= 1;
    chat_options wrong_options = keyed(wrong, sizeof wrong, false);
    expect_wrong_key("wrong key", db, &wrong_options);
    chat_options no_key = keyed(NULL, 0, false);
    expect_wrong_key("no key", db, &no_key);
    CHECK(chat_open_with(plain, &no_key, &store));
    chat_close(store);
    expect_wrong_key("key on a plain file", plain, &options);

    /* A raw key must be 32 bytes. */
    chat_options short_key = keyed(key, 16, false);
    chat_status status = chat_open_with(db, &short_key, &store);
    printf("16-byte raw key: %s\n",
           status == CHAT_ERR_INVALID_ARGUMENT ? "invalid argument" : "UNEXPECTED");

    CHECK(chat_open_with(db, &options, &store));
    CHECK(chat_rekey(store, (const uint8_t *)passphrase, strlen(passphrase), true));
    status = chat_rekey(store, NULL, 0, false);
    printf("rekey to no key: %s\n",
           status == CHAT_ERR_INVALID_ARGUMENT ? "invalid argument" : "UNEXPECTED");
    chat_close(store);
    expect_wrong_key("old key after rekey", db, &options);

    chat_options by_passphrase = keyed(passphrase, strlen(passphrase), true);
    CHECK(chat_open_with(db, &by_passphrase, &store));
    CHECK(chat_login(store, "bob@example.com", "battery staple", &session));
    uint64_t unread = 0;
    CHECK(chat_unread_count(session, &unread));
    printf("reopened with the passphrase: bob has %" PRIu64 " unread\n", unread);
    chat_session_free(session);
    chat_close(store);
    printf("done\n");
    return 0;
}
