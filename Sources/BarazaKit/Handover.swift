/// Hands a value that is not `Sendable` to exactly one other thread, which alone uses it from then
/// on, and back once that thread is joined (the reader and coder of an import move to the reading
/// thread; the report's second scan hands its tallies back).
public final class Handover<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}
