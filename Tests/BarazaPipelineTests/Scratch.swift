import Foundation

/// A folder for this test process's files, removed when the process exits.
let scratchDirectory: String = {
    func path() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("baraza-pipeline-tests-\(getpid())").path }
    try? FileManager.default.createDirectory(atPath: path(), withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: path()) }
    return path()
}()
