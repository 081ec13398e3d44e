// Search.kt: full-text search (chat_search) for the Kotlin/JVM binding in ChatCore.kt,
// written the same way: the structs are mirrored with MemoryLayout.structLayout (and
// compared with chatcore.h by the walkthrough's first check, through
// mirroredSearchLayouts), the page is copied into Kotlin data classes and freed with
// chat_search_hit_list_free in a `finally`, and the pointer goes through NativeOwnership
// like every other. It needs ChatCore.kt; ChatCore.kt does not need it.
//
// What a query means (words match as prefixes, case and accents folded, "quoted
// words" a phrase, a leading `-` excludes, Chinese/Japanese/Thai found by any 3 or
// more characters, and by 1 or 2 only at the start of a run of such characters, the
// match then covering the whole run) is chatcore's; see chatcore.h and the README's
// "Search". chatcore's C ABI returns the snippet without marks: SearchHit.marked puts
// the caller's marks in from the byte ranges.
package chatcore

import java.lang.foreign.Arena
import java.lang.foreign.MemoryLayout
import java.lang.foreign.MemorySegment
import java.lang.foreign.StructLayout
import java.lang.foreign.ValueLayout.ADDRESS
import java.lang.foreign.ValueLayout.JAVA_BOOLEAN
import java.lang.foreign.ValueLayout.JAVA_BYTE
import java.lang.foreign.ValueLayout.JAVA_INT
import java.lang.foreign.ValueLayout.JAVA_LONG
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction

/** The `order` of chat_search: [RELEVANCE] (bm25, newer first among equals) or [RECENT] (newest first). */
enum class SearchOrder(internal val code: Int) {
    /** CHAT_SEARCH_RELEVANCE */
    RELEVANCE(0),

    /** CHAT_SEARCH_RECENT */
    RECENT(1),
}

/** Where one match is in [SearchHit.snippet]: bytes `[start, end)` of its UTF-8 text (chat_search_match). */
data class SearchMatch(val start: Long, val end: Long)

/**
 * One message found by [search]: the [message] (its thread is `message.threadId`), the
 * thread's [other] participant, an excerpt of the text around the matches ([snippet],
 * without marks, `…` where cut) and where the matches are in it ([matches], UTF-8 byte
 * ranges, checked on arrival to lie on character boundaries inside the snippet).
 */
data class SearchHit(val message: Message, val other: User, val snippet: String, val matches: List<SearchMatch>) {
    /** The text of [match] in the snippet. */
    fun matchedText(match: SearchMatch): String =
        snippet.encodeToByteArray().decodeToString(match.start.toInt(), match.end.toInt())

    /** The snippet with every match between [open] and [close] (chatcore's C ABI leaves marking to the caller). */
    fun marked(open: String, close: String): String {
        val bytes = snippet.encodeToByteArray()
        val out = StringBuilder()
        var at = 0
        for (match in matches) {
            out.append(bytes.decodeToString(at, match.start.toInt())).append(open)
            out.append(bytes.decodeToString(match.start.toInt(), match.end.toInt())).append(close)
            at = match.end.toInt()
        }
        return out.append(bytes.decodeToString(at, bytes.size)).toString()
    }
}

/** A page of hits in the order asked; on the last page [hasMore] is false and [nextCursor] null. */
data class SearchPage(val items: List<SearchHit>, val hasMore: Boolean, val nextCursor: String?)

/** chat_search_match, chat_search_hit and chat_search_hit_list as chatcore.h lays them out (LP64). */
internal object SearchLayouts {
    val MATCH: StructLayout = MemoryLayout.structLayout(
        JAVA_LONG.withName("start"),
        JAVA_LONG.withName("end"),
    ).withName("chat_search_match")
    val HIT: StructLayout = MemoryLayout.structLayout(
        ADDRESS.withName("message"),
        ADDRESS.withName("other"),
        ADDRESS.withName("snippet"),
        ADDRESS.withName("matches"),
        JAVA_LONG.withName("matches_len"),
    ).withName("chat_search_hit")
    val HIT_LIST: StructLayout = MemoryLayout.structLayout(
        ADDRESS.withName("items"),
        JAVA_LONG.withName("len"),
        JAVA_BOOLEAN.withName("has_more"),
        MemoryLayout.paddingLayout(7),
        ADDRESS.withName("next_cursor"),
    ).withName("chat_search_hit_list")

    val all = listOf(MATCH, HIT, HIT_LIST)
}

/**
 * The size and named field offsets of the search structs, keyed as layouts.c prints
 * them; the walkthrough compares them with chatcore.h along with [mirroredLayouts].
 */
fun mirroredSearchLayouts(): Map<String, Long> = layoutOffsets(SearchLayouts.all)

/** The downcall handles of search. */
private object SearchC {
    val search = C.fn(
        "chat_search",
        C.status(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
    )
    val hitListFree = C.fn("chat_search_hit_list_free", C.void(ADDRESS))
}

/** The bytes of a NUL-terminated string owned by someone else. */
private fun MemorySegment.cBytes(): ByteArray {
    val all = reinterpret(Long.MAX_VALUE)
    var len = 0L
    while (all.get(JAVA_BYTE, len) != 0.toByte()) len++
    return all.asSlice(0, len).toArray(JAVA_BYTE)
}

private fun isUtf8Boundary(bytes: ByteArray, at: Long): Boolean =
    at == bytes.size.toLong() || (bytes[at.toInt()].toInt() and 0xC0) != 0x80

private fun readHit(pointer: MemorySegment): SearchHit {
    val s = pointer.reinterpret(SearchLayouts.HIT.byteSize())
    val l = SearchLayouts.HIT
    // Everything a hit points to belongs to the list: read, never freed here.
    val message = s.get(ADDRESS, l.offset("message"))
    val other = s.get(ADDRESS, l.offset("other"))
    check(message != MemorySegment.NULL && other != MemorySegment.NULL) { "chat_search returned a hit with a NULL message or other" }
    val snippetBytes = s.get(ADDRESS, l.offset("snippet")).cBytes()
    val snippet = try {
        Charsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(snippetBytes)).toString()
    } catch (e: CharacterCodingException) {
        throw IllegalStateException("chat_search returned a snippet that is not UTF-8", e)
    }
    val matches = readItems(
        s.get(ADDRESS, l.offset("matches")), s.get(JAVA_LONG, l.offset("matches_len")),
        SearchLayouts.MATCH.byteSize(),
    ) { m ->
        SearchMatch(m.get(JAVA_LONG, SearchLayouts.MATCH.offset("start")), m.get(JAVA_LONG, SearchLayouts.MATCH.offset("end")))
    }
    var previousEnd = 0L
    for (match in matches) {
        check(
            match.start in previousEnd..<match.end && match.end <= snippetBytes.size &&
                isUtf8Boundary(snippetBytes, match.start) && isUtf8Boundary(snippetBytes, match.end),
        ) { "chat_search returned match $match, not in order on character boundaries of a ${snippetBytes.size}-byte snippet" }
        previousEnd = match.end
    }
    return SearchHit(readMessage(message), readUser(other), snippet, matches)
}

/**
 * Searches the messages of this session's user's threads for [query] (what a person
 * typed); [threadId] 0 searches every thread, else only that one. Pass the previous
 * page's [SearchPage.nextCursor] (same query, thread and order) for the next page. A
 * query with nothing to find fails with status "invalid_argument" and a message for people.
 */
fun Session.search(
    query: String,
    threadId: Long = 0,
    limit: Int = 50,
    cursor: String? = null,
    order: SearchOrder = SearchOrder.RELEVANCE,
): SearchPage = Arena.ofConfined().use { arena ->
    val out = arena.allocate(ADDRESS)
    call(
        SearchC.search, live(), arena.allocateFrom(query), threadId, limit, arena.cStringOrNull(cursor),
        order.code, out,
    )
    consume(out, "chat_search_hit_list", SearchC.hitListFree) { pointer ->
        val s = pointer.reinterpret(SearchLayouts.HIT_LIST.byteSize())
        val l = SearchLayouts.HIT_LIST
        SearchPage(
            items = readItems(
                s.get(ADDRESS, l.offset("items")), s.get(JAVA_LONG, l.offset("len")),
                SearchLayouts.HIT.byteSize(), ::readHit,
            ),
            hasMore = s.get(JAVA_BOOLEAN, l.offset("has_more")),
            nextCursor = s.get(ADDRESS, l.offset("next_cursor")).cStringOrNull(),
        )
    }
}
