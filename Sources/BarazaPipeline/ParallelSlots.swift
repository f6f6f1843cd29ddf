import Foundation

/// Fixed slots that parallel workers fill, one slot each, read after they have all finished.
/// Each slot is written by one worker only, and read only after `concurrentPerform` returns; the
/// lock makes that hand-over explicit to the compiler and to the thread sanitizer.
final class ParallelSlots<Value: Sendable>: @unchecked Sendable {
    private var values: [Value?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ v: Value) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> Value? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
