/// Sees a file's bytes in the whole chunks a reader reads, shared rather than copied: an import's
/// hashing thread reads each chunk while the reading thread parses it (the copy into the hasher's
/// own buffers was a pass over every byte of the file).
///
/// The reader never writes to an array it has handed over: it fills arrays that `spare` gives back
/// or new ones. (Were it to write to one still shared, copy-on-write would copy it: a cost, never
/// a wrong byte.)
public protocol ChunkObserver: AnyObject, Sendable {
    /// The next `count` bytes of the file: the first `count` of `chunk`. May wait while the
    /// observer is behind, so that memory stays bounded.
    func observe(_ chunk: [UInt8], count: Int)
    /// An array handed over before that the observer has done with, to be filled again (nil: none).
    func spare() -> [UInt8]?
    /// The next bytes of the file, copied (readers that read into buffers of their own: XML).
    func observe(copying bytes: UnsafeRawBufferPointer)
}
