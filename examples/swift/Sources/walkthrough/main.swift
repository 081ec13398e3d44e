// main.swift: the seed's scenarios through the Swift wrapper, one line per
// check, ending with "swift: N passed, M failed"; exits non-zero on any failure.
// Built and run by examples/swift/check.sh wherever swiftc exists.
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

var passed = 0
var failed = 0

func expect(_ name: String, _ ok: Bool, _ detail: @autoclosure () -> String = "") {
    if ok {
        passed += 1
        print("ok   \(name)")
    } else {
        failed += 1
        print("FAIL \(name): \(detail())")
    }
}

func expectError<T>(_ name: String, _ status: String, _ body: () throws -> T) {
    do {
        let result = try body()
        expect(name, false, "expected \(status), got \(result)")
    } catch let error as ChatError {
        expect(name, error.status == status && !error.detail.isEmpty, "expected \(status), got \(error)")
    } catch {
        expect(name, false, "expected \(status), got \(error)")
    }
}

func scenario(path: String) throws {
    let store = try ChatStore(path: path, insecureFastPasswordHashingForTests: true)
    expect("library \(libraryVersion()) opened \(path)", true)

    let ann = try store.register(email: "ann@example.com", username: "ann", password: "correct horse", firstName: "Ann")
    let bob = try store.register(email: "bob@example.com", username: "bob", password: "battery staple")
    _ = try store.register(email: "eve@example.com", username: "eve", password: "outsider pass")
    expect("register; a NULL last name reads back empty", ann.id > 0 && ann.firstName == "Ann" && ann.lastName == "")
    expectError("a taken email is refused", "email_taken") {
        try store.register(email: "ANN@example.com", username: "ann2", password: "correct horse")
    }
    expectError("a wrong password is refused", "invalid_credentials") {
        try store.login(email: "ann@example.com", password: "wrong horse")
    }

    let annS = try store.login(email: "ann@example.com", password: "correct horse")
    let bobS = try store.login(email: "bob@example.com", password: "battery staple")
    let eveS = try store.login(email: "eve@example.com", password: "outsider pass")
    let annId = try annS.userId()
    let bobMe = try bobS.me()
    expect("login: each session acts as its user", annId == ann.id && bobMe == bob)

    let first = try annS.openThread(ann.id, bob.id)
    let again = try bobS.openThread(bob.id, ann.id)
    expect("open the thread twice: same id, created once",
           first.created && !again.created && first.thread.id == again.thread.id)
    let thread = first.thread

    let texts = ["hi Bob", "lunch at noon?", "the usual place — grüße 👋"]
    let sent = try texts.map { try annS.send(thread.id, $0) }
    expect("send three; text round-trips as UTF-8", sent.map(\.text) == texts)

    let newest = try bobS.messages(thread.id, limit: 2)
    let older = try bobS.messages(thread.id, before: newest.items[0].id, limit: 2)
    expect("page history backwards, two at a time",
           newest.items.map(\.id) == sent.dropFirst().map(\.id) && newest.hasMore
               && older.items.map(\.id) == [sent[0].id] && !older.hasMore)

    expectError("the outsider cannot read the thread", "not_participant") { try eveS.messages(thread.id) }
    expectError("the outsider cannot send to it", "not_participant") { try eveS.send(thread.id, "let me in") }

    let bobUnread = try bobS.unreadCount()
    let annUnread = try annS.unreadCount()
    expect("unread: bob 3, ann 0 (own never counted)", bobUnread == 3 && annUnread == 0, "bob \(bobUnread) ann \(annUnread)")
    expectError("the sender cannot mark her own message read", "not_recipient") { try annS.markRead(sent[0].id) }
    let read = try bobS.markRead(sent[0].id)
    expect("the recipient marks one read", read.readAt > 0)
    let marked = try bobS.markThreadRead(thread.id)
    let unreadAfter = try bobS.unreadCount()
    expect("mark the thread read: 2 newly, 0 unread", marked == 2 && unreadAfter == 0, "\(marked) \(unreadAfter)")

    let inbox = try annS.threads(limit: 50)
    expect("ann's inbox: the thread with bob and its last message",
           inbox.items.count == 1 && inbox.items[0].other == bob
               && inbox.items[0].lastMessage?.id == sent[2].id && inbox.items[0].lastMessage?.text == texts[2])

    try annS.deleteThread(thread.id)
    expectError("after delete the thread is gone for both", "thread_not_found") { try bobS.thread(thread.id) }

    let resumed = try store.resume(token: bobS.token)
    let resumedId = try resumed.userId()
    expect("resume a session from its token", resumedId == bob.id)
    try annS.logout()
    expectError("a logged-out session is refused", "session_invalid") { try annS.unreadCount() }

    store.close()
    let stillBob = try bobS.me()
    expect("a session outlives closing its store", stillBob.username == "bob")
    // The sessions are freed by their deinit when this function returns.
}

let path = CommandLine.arguments.count > 1
    ? CommandLine.arguments[1]
    : "/tmp/chatcore-swift-\(getpid()).db"
do {
    try scenario(path: path)
} catch {
    failed += 1
    print("FAIL unexpected: \(error)")
}
if CommandLine.arguments.count <= 1 {
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
}
print("swift: \(passed) passed, \(failed) failed")
exit(failed == 0 && passed >= 12 ? 0 : 1)
