import Foundation

/// A bounded first-in first-out hand-off from one producing thread to one consuming thread. The
/// producer blocks while `capacity` items wait, so memory stays bounded whichever side is slower.
final class Channel<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var cancelled = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room, then adds `item`; false when the consumer has cancelled (stop producing).
    func put(_ item: Item) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// No more items will come.
    func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }

    /// The consumer stops early (an error): a waiting producer is released.
    func cancel() {
        condition.lock(); cancelled = true; items.removeAll(); condition.broadcast(); condition.unlock()
    }

    /// The next item, waiting for one; nil once the channel is closed and drained.
    func take() -> Item? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !closed && !cancelled { condition.wait() }
        if items.isEmpty || cancelled { return nil }
        let item = items.removeFirst()  // at most `capacity` items: cheap, and nothing taken stays referenced
        condition.broadcast()
        return item
    }
}

/// Hands a value that is not `Sendable` to exactly one other thread, which alone uses it from then
/// on (the reader and coder of an import move to the reading thread and back after it is joined).
final class Handover<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
