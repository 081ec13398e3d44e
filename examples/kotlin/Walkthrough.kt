// Walkthrough.kt: the seed's scenarios through the Kotlin binding, one line per
// check, ending with "kotlin: N passed, M failed"; exits non-zero on any failure.
// Usage: java --enable-native-access=ALL-UNNAMED -Dchatcore.lib=<libchatcore_ffi.so> -jar app.jar [store.db]
package chatcore

import java.nio.file.Files
import kotlin.system.exitProcess

private var passed = 0
private var failed = 0

private fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
    if (ok) {
        passed++
        println("ok   $name")
    } else {
        failed++
        println("FAIL $name: ${detail()}")
    }
}

/** Runs [block], expecting it to fail with [status] and a message for people. */
private fun expectError(name: String, status: String, block: () -> Any?) {
    try {
        val result = block()
        check(name, false) { "expected $status, got $result" }
    } catch (e: ChatException) {
        check(name, e.status == status && e.detail.isNotBlank()) { "expected $status, got ${e.message}" }
    }
}

/** Compares the binding's struct layouts with what layouts.c printed from chatcore.h. */
private fun checkLayouts() {
    val file = System.getProperty("chatcore.layouts")
    if (file == null) {
        println("note struct layouts not compared with chatcore.h (no -Dchatcore.layouts; run.sh passes it)")
        return
    }
    val header = java.io.File(file).readLines().filter { it.isNotBlank() }.associate { line ->
        val (name, value) = line.trim().split(" ")
        name to value.toLong()
    }
    val mirrored = mirroredLayouts() + mirroredSearchLayouts()
    val differences = (header.keys + mirrored.keys).filter { header[it] != mirrored[it] }
        .map { "$it: header ${header[it]}, binding ${mirrored[it]}" }
    check("struct layouts match chatcore.h (${header.size} sizes and offsets)", header.isNotEmpty() && differences.isEmpty()) {
        differences.joinToString("; ")
    }
}

private fun scenario(path: String) {
    checkLayouts()
    check("library ${libraryVersion()} speaks ABI $CHAT_ABI_VERSION", libraryAbiVersion() == CHAT_ABI_VERSION) {
        "the library says ABI ${libraryAbiVersion()}"
    }

    Store.open(path, insecureFastPasswordHashingForTests = true).use { store ->
        val ann = store.register("ann@example.com", "ann", "correct horse", "Ann", null)
        val bob = store.register("bob@example.com", "bob", "battery staple")
        val eve = store.register("eve@example.com", "eve", "outsider pass")
        check("register three users", ann.id > 0 && bob.id > 0 && eve.id > 0 && ann.id != bob.id) { "$ann $bob $eve" }
        check("names round-trip (NULL last name is empty)", ann.firstName == "Ann" && ann.lastName == "" && bob.firstName == "") {
            "$ann $bob"
        }
        expectError("a taken email is refused", "email_taken") {
            store.register("ANN@example.com", "ann2", "correct horse")
        }
        expectError("a short password is refused", "weak_password") {
            store.register("cat@example.com", "cat", "short")
        }
        expectError("a wrong password is refused", "invalid_credentials") {
            store.login("ann@example.com", "wrong horse")
        }

        store.login("ann@example.com", "correct horse").use { annS ->
            store.login("bob@example.com", "battery staple").use { bobS ->
                store.login("eve@example.com", "outsider pass").use { eveS ->
                    check("login: each session acts as its user", annS.userId == ann.id && bobS.me() == bob) {
                        "ann=${annS.userId} bob=${bobS.me()}"
                    }
                    check("find a user by username, case-insensitive", annS.findUser("BOB") == bob)

                    val first = annS.openThread(ann.id, bob.id)
                    val again = annS.openThread(ann.id, bob.id)
                    val reversed = bobS.openThread(bob.id, ann.id)
                    check(
                        "open the thread twice: same id, created only once",
                        first.created && !again.created && !reversed.created &&
                            first.thread.id == again.thread.id && first.thread.id == reversed.thread.id,
                    ) { "$first / $again / $reversed" }
                    val thread = first.thread
                    check("participants are the pair, lower id first", thread.participants == listOf(ann.id, bob.id).sorted()) {
                        "${thread.participants}"
                    }

                    val texts = listOf("hi Bob", "lunch at noon?", "the usual place — grüße 👋")
                    val sent = texts.map { annS.send(thread.id, it) }
                    check(
                        "send three messages; ids grow, text round-trips as UTF-8",
                        sent.map { it.text } == texts && sent.zipWithNext().all { (a, b) -> a.id < b.id } &&
                            sent.all { it.senderId == ann.id && it.readAt == 0L },
                    ) { "$sent" }
                    expectError("a blank message is refused", "invalid_text") { annS.send(thread.id, "   ") }

                    // Page backwards two at a time: each page oldest first.
                    val newest = bobS.messages(thread.id, limit = 2)
                    val older = bobS.messages(thread.id, before = newest.items.first().id, limit = 2)
                    check(
                        "page history backwards, two at a time",
                        newest.items.map { it.id } == sent.drop(1).map { it.id } && newest.hasMore &&
                            older.items.map { it.id } == listOf(sent[0].id) && !older.hasMore,
                    ) { "$newest / $older" }
                    val oldest = bobS.messages(thread.id, after = CHAT_FROM_OLDEST, limit = 2)
                    check("the oldest page without knowing an id", oldest.items.map { it.id } == sent.take(2).map { it.id } && oldest.hasMore) {
                        "$oldest"
                    }
                    val forwards = bobS.messages(thread.id, after = sent[0].id, limit = 50)
                    check("page history forwards after the first", forwards.items.map { it.id } == sent.drop(1).map { it.id } && !forwards.hasMore) {
                        "$forwards"
                    }
                    expectError("a limit over 500 is refused", "invalid_argument") {
                        bobS.messages(thread.id, limit = 501)
                    }

                    expectError("the outsider cannot read the thread", "not_participant") { eveS.messages(thread.id, limit = 50) }
                    expectError("the outsider cannot send to it", "not_participant") { eveS.send(thread.id, "let me in") }
                    expectError("the outsider cannot open a thread for others", "not_participant") {
                        eveS.openThread(ann.id, bob.id)
                    }

                    check("unread: bob has 3, ann none (own never counted)", bobS.unreadCount() == 3L && annS.unreadCount() == 0L) {
                        "bob=${bobS.unreadCount()} ann=${annS.unreadCount()}"
                    }
                    expectError("the sender cannot mark her own message read", "not_recipient") { annS.markRead(sent[0].id) }
                    val read = bobS.markRead(sent[0].id)
                    val readAgain = bobS.markRead(sent[0].id)
                    check("the recipient marks one read; again keeps the first read_at", read.readAt > 0 && readAgain.readAt == read.readAt) {
                        "$read / $readAgain"
                    }
                    check("unread drops to 2", bobS.unreadCount() == 2L) { "${bobS.unreadCount()}" }
                    val marked = bobS.markThreadRead(thread.id)
                    check("mark the thread read: 2 newly, 0 unread", marked == 2L && bobS.unreadCount() == 0L) {
                        "marked=$marked unread=${bobS.unreadCount()}"
                    }

                    val reply = bobS.send(thread.id, "see you there")
                    val inbox = annS.threads(limit = 50)
                    val entry = inbox.items.singleOrNull()
                    check(
                        "ann's inbox: the thread with bob, last message, 1 unread",
                        entry != null && entry.id == thread.id && entry.other == bob &&
                            entry.lastMessage == reply && entry.unreadCount == 1L && !inbox.hasMore && inbox.nextCursor == null,
                    ) { "$inbox" }
                    check("the outsider's inbox is empty", eveS.threads(limit = 50).items.isEmpty())

                    annS.deleteThread(thread.id)
                    expectError("after delete the thread is gone for both", "thread_not_found") { bobS.thread(thread.id) }
                    check("after delete nothing is unread", annS.unreadCount() == 0L && bobS.unreadCount() == 0L)

                    val token = bobS.token
                    store.resume(token).use { resumed ->
                        check("resume a session from its token", resumed.userId == bob.id)
                    }
                    annS.logout()
                    expectError("a logged-out session is refused", "session_invalid") { annS.unreadCount() }
                }
            }
        }
    }

    liveUpdates(path)
    search(path)

    // Closing the store before a session is allowed: the session keeps it open.
    val store = Store.open(path, insecureFastPasswordHashingForTests = true)
    val session = store.login("bob@example.com", "battery staple")
    store.close()
    session.use {
        check("a session outlives chat_close of its store", it.me().username == "bob")
    }

    // An encrypted store: a raw 256-bit key (an app keeps it in the Android
    // Keystore); the wrong key is status 25, wrong_key.
    val secretPath = "$path-encrypted.db"
    val key = ByteArray(32) { (it * 5 + 3).toByte() }
    Store.open(secretPath, insecureFastPasswordHashingForTests = true, key = key).use { store ->
        store.register("kim@example.com", "kim", "kept secret")
    }
    val wrong = key.copyOf().also { it[0] = (it[0] + 1).toByte() }
    expectError("a wrong key is refused with status 25", "wrong_key") {
        Store.open(secretPath, insecureFastPasswordHashingForTests = true, key = wrong)
    }
    expectError("no key on an encrypted store is refused", "wrong_key") {
        Store.open(secretPath, insecureFastPasswordHashingForTests = true)
    }
    Store.open(secretPath, insecureFastPasswordHashingForTests = true, key = key).use { store ->
        store.login("kim@example.com", "kept secret").use {
            check("the encrypted store reopens with its key", it.me().username == "kim")
        }
    }
    java.io.File(secretPath).delete()

    val live = NativeOwnership.live()
    check("every native object freed (${NativeOwnership.taken()} handed out)", live.isEmpty()) { "still live: $live" }
}

/**
 * The change feed: a waiter thread wakes when another process (examples/c/feed.c in its
 * --send mode, passed by run.sh as -Dchatcore.sender) sends, and the feed's item is that
 * message; then Store.interruptWaits ends a long wait from this thread.
 */
private fun liveUpdates(path: String) {
    val sender = System.getProperty("chatcore.sender")
    if (sender == null) {
        println("note the change feed across processes not checked (no -Dchatcore.sender; run.sh passes it)")
        return
    }
    Store.open(path, insecureFastPasswordHashingForTests = true).use { store ->
        store.login("ann@example.com", "correct horse").use { annS ->
            store.login("bob@example.com", "battery staple").use { bobS ->
                val thread = annS.openThread(annS.userId, bobS.userId).thread
                val cursor = bobS.changeCursor()
                var woke: Boolean? = null
                val waiter = kotlin.concurrent.thread { woke = bobS.waitChanges(cursor, 30_000) }
                val text = "hello from another process"
                val child = ProcessBuilder(sender, "--send", path, thread.id.toString(), text)
                    .inheritIO().start()
                val exit = child.waitFor()
                waiter.join()
                check("another process sent (feed.c --send)", exit == 0) { "exit $exit" }
                check("a waiter thread woke when another process sent", woke == true) { "woke=$woke" }
                val page = bobS.changes(cursor)
                val item = page.items.singleOrNull()
                check(
                    "the feed's item is that message, from ann",
                    item != null && item.kind == ChangeKind.MESSAGE_SENT && item.threadId == thread.id &&
                        item.actorId == annS.userId && item.message?.text == text &&
                        item.message.id == item.messageId && page.nextCursor == item.cursor && !page.hasMore,
                ) { "$page" }

                var interrupted: Boolean? = null
                val started = System.nanoTime()
                val long = kotlin.concurrent.thread { interrupted = bobS.waitChanges(page.nextCursor, 600_000) }
                Thread.sleep(50)
                store.interruptWaits()
                long.join()
                val tookMs = (System.nanoTime() - started) / 1_000_000
                check("interruptWaits ends a waiting thread", interrupted == false && tookMs < 300_000) {
                    "interrupted=$interrupted after $tookMs ms"
                }
                expectError("a cursor the store never gave is refused", "invalid_argument") {
                    bobS.changes(page.nextCursor + 1_000)
                }
            }
        }
    }
}

/**
 * Full-text search through chat_search, with non-ASCII text and queries: accents folded
 * ("cafe" finds "Café"), Japanese found by its start and by a substring, only the
 * searcher's own threads searched, both orders, a cursor, and queries that look like
 * FTS5 syntax taken as plain words (README "Search": never an FTS5 error).
 */
private fun search(path: String) {
    Store.open(path, insecureFastPasswordHashingForTests = true).use { store ->
        store.login("ann@example.com", "correct horse").use { annS ->
            store.login("bob@example.com", "battery staple").use { bobS ->
                store.login("eve@example.com", "outsider pass").use { eveS ->
                    val ann = annS.me()
                    val bob = bobS.me()
                    val eve = eveS.me()
                    val thread = annS.openThread(ann.id, bob.id).thread
                    val cafe = annS.send(thread.id, "Café au lait tomorrow?")
                    val tokyo = annS.send(thread.id, "東京タワーで会いましょう")
                    annS.send(thread.id, "the quarterly report is attached")
                    // A thread bob is not in, with a Café of its own (sent last: the newest).
                    val eveThread = eveS.openThread(eve.id, ann.id).thread
                    val eveCafe = eveS.send(eveThread.id, "Café crème at the cafeteria, 東京 style?")

                    val found = bobS.search("cafe", order = SearchOrder.RELEVANCE)
                    val hit = found.items.singleOrNull()
                    check(
                        "search: bob finds \"cafe\" in ann's \"Café au lait tomorrow?\" only (relevance)",
                        hit != null && hit.message == cafe && hit.message.threadId == thread.id &&
                            hit.message.senderId == ann.id && hit.other == ann && !found.hasMore && found.nextCursor == null,
                    ) { "$found" }
                    val match = hit?.matches?.singleOrNull()
                    check(
                        "search: the match covers \"Café\" (UTF-8 bytes), marked by the caller in the snippet",
                        hit != null && match != null && match.end - match.start == "Café".encodeToByteArray().size.toLong() &&
                            hit.matchedText(match) == "Café" && "Café au lait" in hit.snippet &&
                            "<b>Café</b> au lait" in hit.marked("<b>", "</b>"),
                    ) { "$hit -> ${hit?.marked("<b>", "</b>")}" }

                    val cjk = bobS.search("東京", order = SearchOrder.RECENT)
                    val cjkHit = cjk.items.singleOrNull()
                    check(
                        "search: \"東京\" (CJK, recent) finds the Tokyo message, match at its start",
                        cjkHit != null && cjkHit.message == tokyo && cjkHit.other == ann && cjkHit.matches.isNotEmpty() &&
                            cjkHit.matchedText(cjkHit.matches.first()).startsWith("東京") &&
                            cjkHit.marked("[", "]").startsWith("[東京"),
                    ) { "$cjk -> ${cjkHit?.marked("[", "]")}" }
                    val inside = bobS.search("タワー", threadId = thread.id).items.singleOrNull()
                    check(
                        "search: \"タワー\" (3 CJK characters) matches inside the word, in one thread",
                        inside != null && inside.message == tokyo && inside.marked("[", "]").contains("東京[タワー]"),
                    ) { "$inside -> ${inside?.marked("[", "]")}" }

                    val eveCjk = eveS.search("東京")
                    check(
                        "search: eve's \"東京\" finds only her own thread, never ann and bob's",
                        eveCjk.items.map { it.message } == listOf(eveCafe) && eveCjk.items.single().other == ann,
                    ) { "$eveCjk" }
                    check("search: eve's \"タワー\" (only in ann and bob's thread) finds nothing", eveS.search("タワー").items.isEmpty())
                    expectError("search: eve cannot search ann and bob's thread by its id", "not_participant") {
                        eveS.search("cafe", threadId = thread.id)
                    }

                    // ann is in both threads: newest first, one a page, through the cursor.
                    val first = annS.search("CAFE", limit = 1, order = SearchOrder.RECENT)
                    val second = first.nextCursor?.let { annS.search("CAFE", limit = 1, cursor = it, order = SearchOrder.RECENT) }
                    check(
                        "search: recent order pages newest first through next_cursor",
                        first.items.map { it.message } == listOf(eveCafe) && first.hasMore && first.items.single().other == eve &&
                            second != null && second.items.map { it.message } == listOf(cafe) && !second.hasMore &&
                            second.nextCursor == null,
                    ) { "$first / $second" }

                    // FTS5 syntax is plain text: an unclosed quote is a phrase to the end, operators and
                    // brackets are words and separators (README "Search"); no FTS5 error.
                    val unbalanced = bobS.search("\"unbalanced")
                    val near = bobS.search("NEAR(")
                    val openPhrase = bobS.search("\"café AU")
                    check(
                        "search: \"unbalanced and NEAR( are plain words (no hits, no error)",
                        unbalanced.items.isEmpty() && near.items.isEmpty(),
                    ) { "$unbalanced / $near" }
                    check("search: an unclosed quote is a phrase to the end (\"café AU)", openPhrase.items.map { it.message } == listOf(cafe)) {
                        "$openPhrase"
                    }
                    expectError("search: punctuation alone (^:*( \"\") is refused with a message", "invalid_argument") {
                        bobS.search("^:*( \"\"")
                    }
                    expectError("search: only an exclusion (-cafe) is refused with a message", "invalid_argument") {
                        bobS.search("-cafe")
                    }
                    expectError("search: a cursor the store never gave is refused", "invalid_argument") {
                        bobS.search("cafe", cursor = "not a cursor")
                    }
                }
            }
        }
    }
}

fun main(args: Array<String>) {
    val dir = if (args.isEmpty()) Files.createTempDirectory("chatcore-kotlin") else null
    val path = args.firstOrNull() ?: dir!!.resolve("walkthrough.db").toString()
    try {
        scenario(path)
    } catch (e: Throwable) {
        failed++
        println("FAIL unexpected ${e::class.simpleName}: ${e.message}")
        e.printStackTrace()
    } finally {
        dir?.toFile()?.deleteRecursively()
    }
    println("kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed >= 12) 0 else 1)
}
