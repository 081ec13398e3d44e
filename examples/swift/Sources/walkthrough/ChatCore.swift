// ChatCore.swift: a thin Swift wrapper over chatcore's C ABI, imported as the
// clang module `ChatCore` (include/module.modulemap over include/chatcore.h).
//
// Shape: ChatStore and ChatSession are classes owning the two opaque handles
// (freed in deinit, or earlier with close()); every other result is copied
// into a Swift struct and its native struct freed with its chat_*_free in a
// `defer`. A failed call throws ChatError with the chat_status code, its
// stable name (SPEC §4) and chat_last_error().
//
// Page limits are always passed explicitly (default 50): a limit of 0 is being
// retired from the C ABI, and this wrapper never sends one.
//
// NOT COMPILED ON THE MACHINES THAT WROTE IT: no Swift toolchain there. The
// C names it uses are type-checked by clang through the same module map
// (examples/swift/module-check.m); examples/swift/check.sh compiles and runs it
// wherever swiftc exists.
import ChatCore

public struct ChatError: Error, CustomStringConvertible {
    public let code: Int
    public let status: String
    public let detail: String
    public var description: String { "\(status) (\(code)): \(detail)" }

    static let names: [Int: String] = [
        1: "invalid_argument", 2: "invalid_email", 3: "invalid_username",
        4: "weak_password", 5: "invalid_text", 6: "email_taken",
        7: "username_taken", 8: "invalid_credentials", 9: "session_invalid",
        10: "session_expired", 11: "user_not_found", 12: "thread_not_found",
        13: "message_not_found", 14: "wrong_participant_count",
        15: "duplicate_participant", 16: "not_participant", 17: "not_recipient",
        18: "busy", 19: "storage", 20: "schema_too_new", 21: "invalid_import",
        22: "ambiguous_user", 99: "internal",
    ]
}

/// Throws unless `status` is CHAT_OK; chat_last_error() is read at once, on this thread.
@inline(__always)
func check(_ status: chat_status) throws {
    guard status != CHAT_OK else { return }
    let code = Int(status.rawValue)
    let detail = chat_last_error().map { String(cString: $0) } ?? "(no message)"
    throw ChatError(code: code, status: ChatError.names[code] ?? "status_\(code)", detail: detail)
}

/// Passes `s` as a C string, or NULL for nil.
func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let s else { return try body(nil) }
    return try s.withCString { try body($0) }
}

public struct User: Equatable {
    public let id: Int64
    public let email, username, firstName, lastName: String
    public let createdAt: Int64

    init(_ u: chat_user) {
        id = u.id
        email = String(cString: u.email)
        username = String(cString: u.username)
        firstName = String(cString: u.first_name)
        lastName = String(cString: u.last_name)
        createdAt = u.created_at
    }
}

public struct Message: Equatable {
    public let id, threadId, senderId: Int64
    public let text: String
    public let createdAt: Int64
    /// ms since the Unix epoch; 0 = unread.
    public let readAt: Int64

    init(_ m: chat_message) {
        id = m.id
        threadId = m.thread_id
        senderId = m.sender_id
        text = String(cString: m.text)
        createdAt = m.created_at
        readAt = m.read_at
    }
}

/// A two-person thread; `other`, `lastMessage` and `unreadCount` are filled for inbox entries only.
public struct ChatThread: Equatable {
    public let id: Int64
    public let participants: [Int64]
    public let createdAt, lastActivityAt: Int64
    public let other: User?
    public let lastMessage: Message?
    public let unreadCount: UInt64

    init(_ t: chat_thread) {
        id = t.id
        participants = [t.participants.0, t.participants.1]
        createdAt = t.created_at
        lastActivityAt = t.last_activity_at
        other = t.other.map { User($0.pointee) }
        lastMessage = t.last_message.map { Message($0.pointee) }
        unreadCount = t.unread_count
    }
}

public struct MessagePage { public let items: [Message]; public let hasMore: Bool }
public struct ThreadPage { public let items: [ChatThread]; public let hasMore: Bool; public let nextCursor: String? }

public func libraryVersion() -> String { String(cString: chat_version()) }

/// An open chat store (one SQLite file). Sessions made from it stay usable after it is closed.
public final class ChatStore {
    private var handle: OpaquePointer?

    /// `insecureFastPasswordHashingForTests`: the cheapest argon2 cost, for tests only.
    public init(path: String, insecureFastPasswordHashingForTests: Bool = false) throws {
        // The macro imports as Int32 and the function returns UInt32: compare as Int.
        guard Int(chat_abi_version()) == Int(CHAT_ABI_VERSION) else {
            throw ChatError(code: 0, status: "abi_mismatch",
                            detail: "library ABI \(chat_abi_version()), header \(CHAT_ABI_VERSION)")
        }
        var options = chat_options()  // zeroed: every field keeps its default
        options.insecure_fast_password_hashing_for_tests = insecureFastPasswordHashingForTests
        try check(chat_open_with(path, &options, &handle))
    }

    deinit { close() }

    public func close() {
        chat_close(handle)
        handle = nil
    }

    public func register(email: String, username: String, password: String,
                         firstName: String? = nil, lastName: String? = nil) throws -> User {
        var out: UnsafeMutablePointer<chat_user>?
        try withOptionalCString(firstName) { first in
            try withOptionalCString(lastName) { last in
                try check(chat_register(handle, email, username, password, first, last, &out))
            }
        }
        defer { chat_user_free(out) }
        return User(out!.pointee)
    }

    public func login(email: String, password: String) throws -> ChatSession {
        var out: OpaquePointer?
        try check(chat_login(handle, email, password, &out))
        return ChatSession(out!)
    }

    public func resume(token: String) throws -> ChatSession {
        var out: OpaquePointer?
        try check(chat_session_resume(handle, token, &out))
        return ChatSession(out!)
    }
}

/// A logged-in user's session. Freeing it (deinit or close()) does not log out.
public final class ChatSession {
    private var handle: OpaquePointer?

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { close() }

    public func close() {
        chat_session_free(handle)
        handle = nil
    }

    /// The secret token for ChatStore.resume; treat it as a password.
    public var token: String { String(cString: chat_session_token(handle)) }

    public func userId() throws -> Int64 {
        var id: Int64 = 0
        try check(chat_session_user_id(handle, &id))
        return id
    }

    public func logout() throws { try check(chat_logout(handle)) }

    public func me() throws -> User {
        var out: UnsafeMutablePointer<chat_user>?
        try check(chat_user_me(handle, &out))
        defer { chat_user_free(out) }
        return User(out!.pointee)
    }

    public func findUser(_ query: String) throws -> User {
        var out: UnsafeMutablePointer<chat_user>?
        try check(chat_user_find(handle, query, &out))
        defer { chat_user_free(out) }
        return User(out!.pointee)
    }

    /// The thread between `a` and `b` (one of them this session's user), created if needed.
    public func openThread(_ a: Int64, _ b: Int64) throws -> (thread: ChatThread, created: Bool) {
        var out: UnsafeMutablePointer<chat_thread>?
        var created = false
        let pair: [Int64] = [a, b]
        try check(chat_thread_create(handle, pair, pair.count, &out, &created))
        defer { chat_thread_free(out) }
        return (ChatThread(out!.pointee), created)
    }

    public func thread(_ id: Int64) throws -> ChatThread {
        var out: UnsafeMutablePointer<chat_thread>?
        try check(chat_thread_get(handle, id, &out))
        defer { chat_thread_free(out) }
        return ChatThread(out!.pointee)
    }

    public func deleteThread(_ id: Int64) throws { try check(chat_thread_delete(handle, id)) }

    public func threads(cursor: String? = nil, limit: UInt32 = 50) throws -> ThreadPage {
        var out: UnsafeMutablePointer<chat_thread_list>?
        try withOptionalCString(cursor) { try check(chat_threads_list(handle, $0, limit, &out)) }
        defer { chat_thread_list_free(out) }
        let list = out!.pointee
        let items = UnsafeBufferPointer(start: list.items, count: list.len).map(ChatThread.init)
        return ThreadPage(items: items, hasMore: list.has_more, nextCursor: list.next_cursor.map { String(cString: $0) })
    }

    public func send(_ threadId: Int64, _ text: String) throws -> Message {
        var out: UnsafeMutablePointer<chat_message>?
        try check(chat_message_send(handle, threadId, text, &out))
        defer { chat_message_free(out) }
        return Message(out!.pointee)
    }

    /// The newest `limit` messages below `before`, or the oldest above `after` (0 = not given), oldest first.
    public func messages(_ threadId: Int64, before: Int64 = 0, after: Int64 = 0,
                         limit: UInt32 = 50) throws -> MessagePage {
        var out: UnsafeMutablePointer<chat_message_list>?
        try check(chat_messages_list(handle, threadId, before, after, limit, &out))
        defer { chat_message_list_free(out) }
        let list = out!.pointee
        let items = UnsafeBufferPointer(start: list.items, count: list.len).map(Message.init)
        return MessagePage(items: items, hasMore: list.has_more)
    }

    public func markRead(_ messageId: Int64) throws -> Message {
        var out: UnsafeMutablePointer<chat_message>?
        try check(chat_message_mark_read(handle, messageId, &out))
        defer { chat_message_free(out) }
        return Message(out!.pointee)
    }

    /// Marks the other participant's messages read up to `upTo` (0 = all); returns how many were newly marked.
    public func markThreadRead(_ threadId: Int64, upTo: Int64 = 0) throws -> UInt64 {
        var marked: UInt64 = 0
        try check(chat_thread_mark_read(handle, threadId, upTo, &marked))
        return marked
    }

    public func unreadCount() throws -> UInt64 {
        var count: UInt64 = 0
        try check(chat_unread_count(handle, &count))
        return count
    }
}
