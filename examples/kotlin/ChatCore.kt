// ChatCore.kt: a thin Kotlin/JVM binding over chatcore's C ABI (include/chatcore.h),
// through Java's foreign function API (java.lang.foreign, final since Java 22).
//
// Shape: `Store` and `Session` own the two opaque handles and are AutoCloseable;
// every other result is copied out of its native struct into a Kotlin data class
// and the struct is freed with its chat_*_free in a `finally`, so no native
// memory outlives the call that returned it. A failed call throws ChatException
// with the chat_status code, its stable name (SPEC §4) and chat_last_error().
//
// Only the functions the walkthrough needs are bound; full-text search
// (chat_search) is in Search.kt, next to this file. Page limits are always
// passed explicitly (default 50 here): a limit of 0 is being retired from the
// C ABI, and this binding never sends one.
//
// The struct layouts below mirror chatcore.h for an LP64 platform (size_t and
// pointers are 8 bytes: Linux/macOS on x86_64 and arm64). Building them with
// MemoryLayout.structLayout checks the alignment of every field, and run.sh
// compares them with the header itself (layouts.c prints what the C compiler
// makes of chatcore.h; the walkthrough's first check compares).
//
// Loading: the library is found through the system property `chatcore.lib`
// (a full path), else the environment variable CHATCORE_LIB (a full path),
// else by name (libchatcore_ffi.so on the loader's search path).
package chatcore

import java.lang.foreign.Arena
import java.lang.foreign.FunctionDescriptor
import java.lang.foreign.Linker
import java.lang.foreign.MemoryLayout
import java.lang.foreign.MemoryLayout.PathElement.groupElement
import java.lang.foreign.MemorySegment
import java.lang.foreign.StructLayout
import java.lang.foreign.SymbolLookup
import java.lang.foreign.ValueLayout.ADDRESS
import java.lang.foreign.ValueLayout.JAVA_BOOLEAN
import java.lang.foreign.ValueLayout.JAVA_BYTE
import java.lang.foreign.ValueLayout.JAVA_INT
import java.lang.foreign.ValueLayout.JAVA_LONG
import java.lang.invoke.MethodHandle
import java.nio.file.Path

/** The ABI version whose struct layouts this file mirrors (CHAT_ABI_VERSION). */
const val CHAT_ABI_VERSION = 3

/** Pass as `after` to [Session.messages] for a thread's oldest page (CHAT_FROM_OLDEST). */
const val CHAT_FROM_OLDEST = -1L

/** The stable names of the chat_status codes (SPEC §4); unknown codes keep their number. */
object Status {
    const val OK = 0
    private val names = mapOf(
        1 to "invalid_argument", 2 to "invalid_email", 3 to "invalid_username",
        4 to "weak_password", 5 to "invalid_text", 6 to "email_taken",
        7 to "username_taken", 8 to "invalid_credentials", 9 to "session_invalid",
        10 to "session_expired", 11 to "user_not_found", 12 to "thread_not_found",
        13 to "message_not_found", 14 to "wrong_participant_count",
        15 to "duplicate_participant", 16 to "not_participant", 17 to "not_recipient",
        18 to "busy", 19 to "storage", 20 to "schema_too_new", 21 to "invalid_import",
        22 to "ambiguous_user", 23 to "changes_expired", 24 to "not_sender", 25 to "wrong_key", 99 to "internal",
    )

    /** The stable name of [code]; a code newer than this file is `status_<n>`. */
    fun name(code: Int): String = names[code] ?: "status_$code"
}

/** A failed chatcore call: the chat_status [code], its [status] name and the library's [detail]. */
class ChatException(val code: Int, val status: String, val detail: String) :
    Exception("$status ($code): $detail")

data class User(
    val id: Long,
    val email: String,
    val username: String,
    val firstName: String,
    val lastName: String,
    val createdAt: Long,
)

data class Message(
    val id: Long,
    val threadId: Long,
    val senderId: Long,
    val text: String,
    val createdAt: Long,
    /** ms since the Unix epoch; 0 = unread. */
    val readAt: Long,
)

/** A two-person thread; [other], [lastMessage] and [unreadCount] are filled for inbox entries only. */
data class ChatThread(
    val id: Long,
    val participants: List<Long>,
    val createdAt: Long,
    val lastActivityAt: Long,
    val other: User?,
    val lastMessage: Message?,
    val unreadCount: Long,
)

/** A page of history, oldest first; [hasMore]: more lie beyond it in the direction paged. */
data class MessagePage(val items: List<Message>, val hasMore: Boolean)

/** A page of the inbox, newest activity first; on the last page [hasMore] is false and [nextCursor] null. */
data class ThreadPage(val items: List<ChatThread>, val hasMore: Boolean, val nextCursor: String?)

/** The result of opening the thread between two users. */
data class OpenedThread(val thread: ChatThread, val created: Boolean)

/**
 * One entry of the user's change feed (chat_change). [kind] is a CHAT_CHANGE_KIND_* number
 * ([ChangeKind]); ids are 0 when not involved; [message] for sent and read messages.
 */
data class Change(
    val cursor: Long,
    val kind: Int,
    val at: Long,
    val threadId: Long,
    val messageId: Long,
    val actorId: Long,
    val message: Message?,
)

/** A page of the feed: pass [nextCursor] as `after` for what follows. */
data class ChangePage(val items: List<Change>, val hasMore: Boolean, val nextCursor: Long)

/** The chat_change_kind numbers. */
object ChangeKind {
    const val MESSAGE_SENT = 1
    const val MESSAGE_READ = 2
    const val THREAD_READ = 3
    const val THREAD_CREATED = 4
    const val THREAD_DELETED = 5
    const val PASSWORD_CHANGED = 6
    const val IMPORTED = 7
}

/**
 * The bookkeeping that proves every native pointer handed out is freed once,
 * by the matching free function. Every owned pointer goes through [take] when
 * it arrives and [release] just before its chat_*_free; [live] is what has not
 * been freed yet. A double free, or a free with the wrong function, throws
 * before reaching C.
 */
object NativeOwnership {
    private val live = HashMap<Long, String>()
    private var taken = 0L

    internal fun take(pointer: MemorySegment, kind: String): MemorySegment {
        check(pointer != MemorySegment.NULL) { "chatcore returned CHAT_OK with a NULL $kind" }
        synchronized(live) {
            val previous = live.put(pointer.address(), kind)
            check(previous == null) { "$kind at 0x%x is already owned as $previous".format(pointer.address()) }
            taken++
        }
        return pointer
    }

    internal fun release(pointer: MemorySegment, kind: String) {
        synchronized(live) {
            val owned = live.remove(pointer.address())
            check(owned == kind) {
                "freeing a $kind at 0x%x that is ${owned ?: "not live"}".format(pointer.address())
            }
        }
    }

    /** Native objects handed out and not yet freed, by kind. */
    fun live(): Map<String, Int> = synchronized(live) { live.values.groupingBy { it }.eachCount() }

    /** How many native objects were handed out so far. */
    fun taken(): Long = synchronized(live) { taken }
}

private object Layouts {
    val OPTIONS: StructLayout = MemoryLayout.structLayout(
        JAVA_INT.withName("busy_timeout_ms"),
        MemoryLayout.paddingLayout(4),
        JAVA_LONG.withName("session_ttl_seconds"),
        JAVA_LONG.withName("max_text_bytes"),
        JAVA_BOOLEAN.withName("full_durability"),
        JAVA_BOOLEAN.withName("insecure_fast_password_hashing_for_tests"),
        JAVA_BOOLEAN.withName("inline_checkpoints"),
        MemoryLayout.paddingLayout(5),
        ADDRESS.withName("key"),
        JAVA_LONG.withName("key_len"),
        JAVA_BOOLEAN.withName("key_is_passphrase"),
        MemoryLayout.paddingLayout(7),
    ).withName("chat_options")
    val USER: StructLayout = MemoryLayout.structLayout(
        JAVA_LONG.withName("id"),
        ADDRESS.withName("email"),
        ADDRESS.withName("username"),
        ADDRESS.withName("first_name"),
        ADDRESS.withName("last_name"),
        JAVA_LONG.withName("created_at"),
    ).withName("chat_user")
    val MESSAGE: StructLayout = MemoryLayout.structLayout(
        JAVA_LONG.withName("id"),
        JAVA_LONG.withName("thread_id"),
        JAVA_LONG.withName("sender_id"),
        ADDRESS.withName("text"),
        JAVA_LONG.withName("created_at"),
        JAVA_LONG.withName("read_at"),
        JAVA_LONG.withName("edited_at"),
        JAVA_LONG.withName("deleted_at"),
    ).withName("chat_message")
    val THREAD: StructLayout = MemoryLayout.structLayout(
        JAVA_LONG.withName("id"),
        MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("participants"),
        JAVA_LONG.withName("created_at"),
        JAVA_LONG.withName("last_activity_at"),
        ADDRESS.withName("other"),
        ADDRESS.withName("last_message"),
        JAVA_LONG.withName("unread_count"),
    ).withName("chat_thread")
    val THREAD_LIST: StructLayout = MemoryLayout.structLayout(
        ADDRESS.withName("items"),
        JAVA_LONG.withName("len"),
        JAVA_BOOLEAN.withName("has_more"),
        MemoryLayout.paddingLayout(7),
        ADDRESS.withName("next_cursor"),
    ).withName("chat_thread_list")
    val MESSAGE_LIST: StructLayout = MemoryLayout.structLayout(
        ADDRESS.withName("items"),
        JAVA_LONG.withName("len"),
        JAVA_BOOLEAN.withName("has_more"),
        MemoryLayout.paddingLayout(7),
    ).withName("chat_message_list")
    val CHANGE: StructLayout = MemoryLayout.structLayout(
        JAVA_LONG.withName("cursor"),
        JAVA_INT.withName("kind"),
        MemoryLayout.paddingLayout(4),
        JAVA_LONG.withName("at"),
        JAVA_LONG.withName("thread_id"),
        JAVA_LONG.withName("message_id"),
        JAVA_LONG.withName("actor_id"),
        ADDRESS.withName("message"),
    ).withName("chat_change")
    val CHANGE_LIST: StructLayout = MemoryLayout.structLayout(
        ADDRESS.withName("items"),
        JAVA_LONG.withName("len"),
        JAVA_BOOLEAN.withName("has_more"),
        MemoryLayout.paddingLayout(7),
        JAVA_LONG.withName("next_cursor"),
    ).withName("chat_change_list")

    val all = listOf(OPTIONS, USER, MESSAGE, THREAD, THREAD_LIST, MESSAGE_LIST, CHANGE, CHANGE_LIST)
}

internal fun StructLayout.offset(field: String): Long = byteOffset(groupElement(field))

/** A NUL-terminated UTF-8 string owned by someone else, copied into a Kotlin String. */
private fun MemorySegment.cString(): String = reinterpret(Long.MAX_VALUE).getString(0)

internal fun MemorySegment.cStringOrNull(): String? =
    if (this == MemorySegment.NULL) null else cString()

internal fun Arena.cStringOrNull(s: String?): MemorySegment =
    if (s == null) MemorySegment.NULL else allocateFrom(s)

/** The downcall handles, one per bound C function (search's are in Search.kt). */
internal object C {
    private val linker = Linker.nativeLinker()
    private val lib: SymbolLookup = run {
        val path = System.getProperty("chatcore.lib") ?: System.getenv("CHATCORE_LIB")
        if (path != null) {
            SymbolLookup.libraryLookup(Path.of(path), Arena.global())
        } else {
            SymbolLookup.libraryLookup(System.mapLibraryName("chatcore_ffi"), Arena.global())
        }
    }

    internal fun fn(name: String, descriptor: FunctionDescriptor): MethodHandle =
        linker.downcallHandle(
            lib.find(name).orElseThrow { UnsatisfiedLinkError("libchatcore_ffi has no $name") },
            descriptor,
        )

    internal fun status(vararg args: java.lang.foreign.MemoryLayout) = FunctionDescriptor.of(JAVA_INT, *args)
    internal fun void(vararg args: java.lang.foreign.MemoryLayout) = FunctionDescriptor.ofVoid(*args)

    val version = fn("chat_version", FunctionDescriptor.of(ADDRESS))
    val abiVersion = fn("chat_abi_version", FunctionDescriptor.of(JAVA_INT))
    val lastError = fn("chat_last_error", FunctionDescriptor.of(ADDRESS))
    val openWith = fn("chat_open_with", status(ADDRESS, ADDRESS, ADDRESS))
    val close = fn("chat_close", void(ADDRESS))
    val register = fn("chat_register", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS))
    val login = fn("chat_login", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS))
    val resume = fn("chat_session_resume", status(ADDRESS, ADDRESS, ADDRESS))
    val sessionToken = fn("chat_session_token", FunctionDescriptor.of(ADDRESS, ADDRESS))
    val sessionUserId = fn("chat_session_user_id", status(ADDRESS, ADDRESS))
    val logout = fn("chat_logout", status(ADDRESS))
    val sessionFree = fn("chat_session_free", void(ADDRESS))
    val userMe = fn("chat_user_me", status(ADDRESS, ADDRESS))
    val userFind = fn("chat_user_find", status(ADDRESS, ADDRESS, ADDRESS))
    val threadCreate = fn("chat_thread_create", status(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS))
    val threadGet = fn("chat_thread_get", status(ADDRESS, JAVA_LONG, ADDRESS))
    val threadDelete = fn("chat_thread_delete", status(ADDRESS, JAVA_LONG))
    val threadsList = fn("chat_threads_list", status(ADDRESS, ADDRESS, JAVA_INT, ADDRESS))
    val threadMarkRead = fn("chat_thread_mark_read", status(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS))
    val messageSend = fn("chat_message_send", status(ADDRESS, JAVA_LONG, ADDRESS, ADDRESS))
    val messagesList = fn("chat_messages_list", status(ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS))
    val messageMarkRead = fn("chat_message_mark_read", status(ADDRESS, JAVA_LONG, ADDRESS))
    val unreadCount = fn("chat_unread_count", status(ADDRESS, ADDRESS))
    val userFree = fn("chat_user_free", void(ADDRESS))
    val threadFree = fn("chat_thread_free", void(ADDRESS))
    val threadListFree = fn("chat_thread_list_free", void(ADDRESS))
    val messageFree = fn("chat_message_free", void(ADDRESS))
    val messageListFree = fn("chat_message_list_free", void(ADDRESS))
    val changesList = fn("chat_changes_list", status(ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS))
    val changeCursor = fn("chat_change_cursor", status(ADDRESS, ADDRESS))
    val waitChanges = fn("chat_wait_changes", status(ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS))
    val interruptWaits = fn("chat_interrupt_waits", status(ADDRESS))
    val changeListFree = fn("chat_change_list_free", void(ADDRESS))
}

/**
 * Calls a status-returning function and throws on failure. chat_last_error()
 * is per OS thread, so it is read right here, by the thread that made the
 * failing call, before any other chatcore call.
 */
internal fun call(function: MethodHandle, vararg args: Any) {
    val code = function.invokeWithArguments(*args) as Int
    if (code != Status.OK) {
        val message = (C.lastError.invokeWithArguments() as MemorySegment).cStringOrNull()
        throw ChatException(code, Status.name(code), message ?: "(no message)")
    }
}

/** Takes ownership of the pointer in [out], reads it, and frees it with [free] whatever happens. */
internal inline fun <T> consume(out: MemorySegment, kind: String, free: MethodHandle, read: (MemorySegment) -> T): T {
    val pointer = NativeOwnership.take(out.get(ADDRESS, 0), kind)
    try {
        return read(pointer)
    } finally {
        NativeOwnership.release(pointer, kind)
        free.invokeWithArguments(pointer)
    }
}

internal fun readUser(pointer: MemorySegment): User {
    val s = pointer.reinterpret(Layouts.USER.byteSize())
    val l = Layouts.USER
    return User(
        id = s.get(JAVA_LONG, l.offset("id")),
        email = s.get(ADDRESS, l.offset("email")).cString(),
        username = s.get(ADDRESS, l.offset("username")).cString(),
        firstName = s.get(ADDRESS, l.offset("first_name")).cString(),
        lastName = s.get(ADDRESS, l.offset("last_name")).cString(),
        createdAt = s.get(JAVA_LONG, l.offset("created_at")),
    )
}

internal fun readMessage(pointer: MemorySegment): Message {
    val s = pointer.reinterpret(Layouts.MESSAGE.byteSize())
    val l = Layouts.MESSAGE
    return Message(
        id = s.get(JAVA_LONG, l.offset("id")),
        threadId = s.get(JAVA_LONG, l.offset("thread_id")),
        senderId = s.get(JAVA_LONG, l.offset("sender_id")),
        text = s.get(ADDRESS, l.offset("text")).cString(),
        createdAt = s.get(JAVA_LONG, l.offset("created_at")),
        readAt = s.get(JAVA_LONG, l.offset("read_at")),
    )
}

private fun readThread(pointer: MemorySegment): ChatThread {
    val s = pointer.reinterpret(Layouts.THREAD.byteSize())
    val l = Layouts.THREAD
    val participants = l.offset("participants")
    // `other` and `last_message` belong to the thread (or its list): read, never freed here.
    val other = s.get(ADDRESS, l.offset("other"))
    val last = s.get(ADDRESS, l.offset("last_message"))
    return ChatThread(
        id = s.get(JAVA_LONG, l.offset("id")),
        participants = listOf(s.get(JAVA_LONG, participants), s.get(JAVA_LONG, participants + 8)),
        createdAt = s.get(JAVA_LONG, l.offset("created_at")),
        lastActivityAt = s.get(JAVA_LONG, l.offset("last_activity_at")),
        other = if (other == MemorySegment.NULL) null else readUser(other),
        lastMessage = if (last == MemorySegment.NULL) null else readMessage(last),
        unreadCount = s.get(JAVA_LONG, l.offset("unread_count")),
    )
}

private fun readChange(pointer: MemorySegment): Change {
    val s = pointer.reinterpret(Layouts.CHANGE.byteSize())
    val l = Layouts.CHANGE
    // `message` belongs to the list: read, never freed here.
    val message = s.get(ADDRESS, l.offset("message"))
    return Change(
        cursor = s.get(JAVA_LONG, l.offset("cursor")),
        kind = s.get(JAVA_INT, l.offset("kind")),
        at = s.get(JAVA_LONG, l.offset("at")),
        threadId = s.get(JAVA_LONG, l.offset("thread_id")),
        messageId = s.get(JAVA_LONG, l.offset("message_id")),
        actorId = s.get(JAVA_LONG, l.offset("actor_id")),
        message = if (message == MemorySegment.NULL) null else readMessage(message),
    )
}

/** Reads `items[0..len]` of a list struct, each item `itemSize` bytes apart. */
internal fun <T> readItems(items: MemorySegment, len: Long, itemSize: Long, read: (MemorySegment) -> T): List<T> {
    if (len == 0L) return emptyList()
    val all = items.reinterpret(len * itemSize)
    return (0 until len).map { i -> read(all.asSlice(i * itemSize, itemSize)) }
}

/**
 * The size and named field offsets of every struct this file mirrors, keyed
 * as examples/kotlin/layouts.c prints them from chatcore.h ("chat_user.email").
 */
fun mirroredLayouts(): Map<String, Long> = layoutOffsets(Layouts.all)

/** [layouts]' sizes and named field offsets, keyed as layouts.c prints them. */
internal fun layoutOffsets(layouts: List<StructLayout>): Map<String, Long> = buildMap {
    for (layout in layouts) {
        val struct = layout.name().get()
        put("$struct.size", layout.byteSize())
        for (member in layout.memberLayouts()) {
            member.name().ifPresent { field -> put("$struct.$field", layout.offset(field)) }
        }
    }
}

/** The library's version string, e.g. "0.1.0". */
fun libraryVersion(): String = (C.version.invokeWithArguments() as MemorySegment).cString()

/** The ABI version of the loaded library; this file mirrors [CHAT_ABI_VERSION]. */
fun libraryAbiVersion(): Int = C.abiVersion.invokeWithArguments() as Int

/** An open chat store (one SQLite file). Close it when done; open sessions stay usable. */
class Store private constructor(private var handle: MemorySegment) : AutoCloseable {
    companion object {
        /**
         * Opens (creating if needed) the store at [path]. [insecureFastPasswordHashingForTests]
         * uses the cheapest argon2 parameters: for tests only, never for real accounts.
         * With [key] the store is encrypted: 32 raw key bytes (from the Android Keystore,
         * say), or a UTF-8 passphrase with [keyIsPassphrase]; a key that does not open
         * the file fails with status "wrong_key" (25).
         */
        fun open(
            path: String,
            insecureFastPasswordHashingForTests: Boolean = false,
            key: ByteArray? = null,
            keyIsPassphrase: Boolean = false,
        ): Store {
            val abi = libraryAbiVersion()
            if (abi != CHAT_ABI_VERSION) {
                throw IllegalStateException(
                    "libchatcore_ffi has ABI $abi but this binding mirrors ABI $CHAT_ABI_VERSION",
                )
            }
            Arena.ofConfined().use { arena ->
                val options = arena.allocate(Layouts.OPTIONS) // zeroed: every field keeps its default
                options.set(
                    JAVA_BOOLEAN,
                    Layouts.OPTIONS.offset("insecure_fast_password_hashing_for_tests"),
                    insecureFastPasswordHashingForTests,
                )
                if (key != null) {
                    val keyBytes = arena.allocate(key.size.toLong().coerceAtLeast(1))
                    MemorySegment.copy(key, 0, keyBytes, JAVA_BYTE, 0, key.size)
                    options.set(ADDRESS, Layouts.OPTIONS.offset("key"), keyBytes)
                    options.set(JAVA_LONG, Layouts.OPTIONS.offset("key_len"), key.size.toLong())
                    options.set(JAVA_BOOLEAN, Layouts.OPTIONS.offset("key_is_passphrase"), keyIsPassphrase)
                }
                val out = arena.allocate(ADDRESS)
                call(C.openWith, arena.allocateFrom(path), options, out)
                return Store(NativeOwnership.take(out.get(ADDRESS, 0), "chat_store"))
            }
        }
    }

    private fun live(): MemorySegment {
        check(handle != MemorySegment.NULL) { "the store is closed" }
        return handle
    }

    fun register(
        email: String,
        username: String,
        password: String,
        firstName: String? = null,
        lastName: String? = null,
    ): User = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(
            C.register, live(), arena.allocateFrom(email), arena.allocateFrom(username),
            arena.allocateFrom(password), arena.cStringOrNull(firstName), arena.cStringOrNull(lastName), out,
        )
        consume(out, "chat_user", C.userFree, ::readUser)
    }

    fun login(email: String, password: String): Session = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.login, live(), arena.allocateFrom(email), arena.allocateFrom(password), out)
        Session(NativeOwnership.take(out.get(ADDRESS, 0), "chat_session"))
    }

    /** Ends every [Session.waitChanges] running now, from any thread (shutdown). */
    fun interruptWaits() = call(C.interruptWaits, live())

    /** Picks up a session from its [Session.token]. */
    fun resume(token: String): Session = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.resume, live(), arena.allocateFrom(token), out)
        Session(NativeOwnership.take(out.get(ADDRESS, 0), "chat_session"))
    }

    override fun close() {
        if (handle == MemorySegment.NULL) return
        val h = handle
        handle = MemorySegment.NULL
        NativeOwnership.release(h, "chat_store")
        C.close.invokeWithArguments(h)
    }
}

/** A logged-in user's session. Closing frees the handle; it does not log out. */
class Session internal constructor(private var handle: MemorySegment) : AutoCloseable {
    internal fun live(): MemorySegment {
        check(handle != MemorySegment.NULL) { "the session is closed" }
        return handle
    }

    /** The secret token for [Store.resume]; treat it as a password. */
    val token: String
        get() = (C.sessionToken.invokeWithArguments(live()) as MemorySegment).cString()

    val userId: Long
        get() = Arena.ofConfined().use { arena ->
            val out = arena.allocate(JAVA_LONG)
            call(C.sessionUserId, live(), out)
            out.get(JAVA_LONG, 0)
        }

    /** Ends the session everywhere; the handle must still be closed. */
    fun logout() = call(C.logout, live())

    fun me(): User = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.userMe, live(), out)
        consume(out, "chat_user", C.userFree, ::readUser)
    }

    /** Finds a user by email or username (exact, case-insensitive) or by id as text. */
    fun findUser(query: String): User = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.userFind, live(), arena.allocateFrom(query), out)
        consume(out, "chat_user", C.userFree, ::readUser)
    }

    /** Returns the thread between [a] and [b] (one of them this session's user), creating it if needed. */
    fun openThread(a: Long, b: Long): OpenedThread = Arena.ofConfined().use { arena ->
        val pair = arena.allocateFrom(JAVA_LONG, a, b)
        val out = arena.allocate(ADDRESS)
        val created = arena.allocate(JAVA_BOOLEAN)
        call(C.threadCreate, live(), pair, 2L, out, created)
        val thread = consume(out, "chat_thread", C.threadFree, ::readThread)
        OpenedThread(thread, created.get(JAVA_BOOLEAN, 0))
    }

    fun thread(id: Long): ChatThread = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.threadGet, live(), id, out)
        consume(out, "chat_thread", C.threadFree, ::readThread)
    }

    fun deleteThread(id: Long) = call(C.threadDelete, live(), id)

    /** A page of the inbox; pass the previous page's [ThreadPage.nextCursor] for the next one. */
    fun threads(cursor: String? = null, limit: Int = 50): ThreadPage = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.threadsList, live(), arena.cStringOrNull(cursor), limit, out)
        consume(out, "chat_thread_list", C.threadListFree) { pointer ->
            val s = pointer.reinterpret(Layouts.THREAD_LIST.byteSize())
            val l = Layouts.THREAD_LIST
            ThreadPage(
                items = readItems(
                    s.get(ADDRESS, l.offset("items")), s.get(JAVA_LONG, l.offset("len")),
                    Layouts.THREAD.byteSize(), ::readThread,
                ),
                hasMore = s.get(JAVA_BOOLEAN, l.offset("has_more")),
                nextCursor = s.get(ADDRESS, l.offset("next_cursor")).cStringOrNull(),
            )
        }
    }

    fun send(threadId: Long, text: String): Message = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.messageSend, live(), threadId, arena.allocateFrom(text), out)
        consume(out, "chat_message", C.messageFree, ::readMessage)
    }

    /**
     * A page of history, oldest first: the newest [limit] below [before], or the
     * oldest [limit] above [after] (0 = not given; give at most one;
     * [CHAT_FROM_OLDEST] for the thread's oldest page).
     */
    fun messages(threadId: Long, before: Long = 0, after: Long = 0, limit: Int = 50): MessagePage =
        Arena.ofConfined().use { arena ->
            val out = arena.allocate(ADDRESS)
            call(C.messagesList, live(), threadId, before, after, limit, out)
            consume(out, "chat_message_list", C.messageListFree) { pointer ->
                val s = pointer.reinterpret(Layouts.MESSAGE_LIST.byteSize())
                val l = Layouts.MESSAGE_LIST
                MessagePage(
                    items = readItems(
                        s.get(ADDRESS, l.offset("items")), s.get(JAVA_LONG, l.offset("len")),
                        Layouts.MESSAGE.byteSize(), ::readMessage,
                    ),
                    hasMore = s.get(JAVA_BOOLEAN, l.offset("has_more")),
                )
            }
        }

    /** Marks one message read (its recipient only); returns it as stored. */
    fun markRead(messageId: Long): Message = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.messageMarkRead, live(), messageId, out)
        consume(out, "chat_message", C.messageFree, ::readMessage)
    }

    /** Marks the other participant's messages read up to [upTo] (0 = all); returns how many were newly marked. */
    fun markThreadRead(threadId: Long, upTo: Long = 0): Long = Arena.ofConfined().use { arena ->
        val out = arena.allocate(JAVA_LONG)
        call(C.threadMarkRead, live(), threadId, upTo, out)
        out.get(JAVA_LONG, 0)
    }

    /** The feed's cursor of "now", for a host that just loaded its screens. */
    fun changeCursor(): Long = Arena.ofConfined().use { arena ->
        val out = arena.allocate(JAVA_LONG)
        call(C.changeCursor, live(), out)
        out.get(JAVA_LONG, 0)
    }

    /** The feed's entries after [after] ([CHAT_FROM_OLDEST]: from the oldest kept), oldest first. */
    fun changes(after: Long, limit: Int = 50): ChangePage = Arena.ofConfined().use { arena ->
        val out = arena.allocate(ADDRESS)
        call(C.changesList, live(), after, limit, out)
        consume(out, "chat_change_list", C.changeListFree) { pointer ->
            val s = pointer.reinterpret(Layouts.CHANGE_LIST.byteSize())
            val l = Layouts.CHANGE_LIST
            ChangePage(
                items = readItems(
                    s.get(ADDRESS, l.offset("items")), s.get(JAVA_LONG, l.offset("len")),
                    Layouts.CHANGE.byteSize(), ::readChange,
                ),
                hasMore = s.get(JAVA_BOOLEAN, l.offset("has_more")),
                nextCursor = s.get(JAVA_LONG, l.offset("next_cursor")),
            )
        }
    }

    /**
     * Blocks this thread until the user has an entry after [after] (from any process on
     * the file): true; false at the timeout or on [Store.interruptWaits]. Call it on a
     * thread of its own.
     */
    fun waitChanges(after: Long, timeoutMs: Int): Boolean = Arena.ofConfined().use { arena ->
        val out = arena.allocate(JAVA_BOOLEAN)
        call(C.waitChanges, live(), after, timeoutMs, out)
        out.get(JAVA_BOOLEAN, 0)
    }

    fun unreadCount(): Long = Arena.ofConfined().use { arena ->
        val out = arena.allocate(JAVA_LONG)
        call(C.unreadCount, live(), out)
        out.get(JAVA_LONG, 0)
    }

    override fun close() {
        if (handle == MemorySegment.NULL) return
        val h = handle
        handle = MemorySegment.NULL
        NativeOwnership.release(h, "chat_session")
        C.sessionFree.invokeWithArguments(h)
    }
}
