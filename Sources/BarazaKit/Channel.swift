import Foundation

/// A bounded first-in first-out hand-off from one producing thread to one consuming thread. The
/// producer blocks while `capacity` items wait, so memory stays bounded whichever side is slower.
public final class Channel<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var cancelled = false
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    /// Waits for room, then adds `item`; false when the consumer has cancelled (stop producing).
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// No more items will come.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops early (an error): a waiting producer is released.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, waiting for one; nil once the channel is closed and drained.
    public func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed && !cancelled { condition.wait() }
        if items.isEmpty || cancelled { return nil }
        let item = items.removeFirst()  // at most `capacity` items: cheap, and nothing taken stays referenced
        condition.broadcast()
        return item
    }
}

/// A count shared by threads, taken down one at a time under a lock.
/// Buffers handed back by the thread that is done with them to the one that fills them, so their
/// memory is used again instead of freed and allocated (and faulted in) once per chunk. Holds at
/// most `limit`; `take` gives nil when it holds none.
public final class Spares<Item: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []
    private let limit: Int
    public init(limit: Int) { self.limit = limit }

    public func put(_ item: consuming Item) {
        lock.lock()
        defer { lock.unlock() }
        if items.count < limit { items.append(item) }
    }

    public func take() -> Item? {
        lock.lock()
        defer { lock.unlock() }
        return items.popLast()
    }
}

public final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int
    public init(_ count: Int) { self.count = count }

    /// Takes one off; the count left.
    public func decrement() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count -= 1
        return count
    }
}

/// A bounded hand-off from several producing threads to one consumer, in sequence order: items are
/// put with their sequence numbers (0, 1, 2, … each once) in any order and taken in order. A
/// producer waits while its item is `capacity` or more ahead of the next to be taken, so memory
/// stays bounded and a slow item holds back at most that many.
public final class OrderedChannel<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [Int: Item] = [:]
    private var next = 0
    private var closed = false
    private var cancelled = false
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    /// Waits for room, then adds item number `sequence`; false when the consumer has cancelled.
    public func put(_ sequence: Int, _ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while sequence - next >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        waiting[sequence] = item
        condition.broadcast()
        return true
    }

    /// No more items will come (every producer has finished).
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops early (an error): waiting producers are released.
    public func cancel() {
        condition.lock()
        cancelled = true
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// The next item in sequence, waiting for it; nil once the channel is closed without it.
    public func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while waiting[next] == nil && !closed && !cancelled { condition.wait() }
        guard !cancelled, let item = waiting.removeValue(forKey: next) else { return nil }
        next += 1
        condition.broadcast()
        return item
    }
}
