import Foundation

/// A folder for this test process's files (one per process, shared by every test module), removed
/// when the process exits.
public let scratchDirectory: String = {
    func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("baraza-tests-\(getpid())").path
    }
    try? FileManager.default.createDirectory(atPath: path(), withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: path()) }
    return path()
}()
