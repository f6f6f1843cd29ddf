import BarazaKit
import BarazaTestSupport
import Foundation
import Testing

@testable import BarazaIngest

/// The running digest hashes on a thread of its own, in 1 MiB buffers: pieces of every size,
/// cut anywhere, then the rest of the file read by `finish`, give the file's SHA-256 as
/// `sha256sum` computes it.
@Test func runningDigestMatchesTheFileWhereverTheReaderStops() throws {
    let path = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("digest-\(UUID().uuidString).bin").path
    var rng = SplitMix64(seed: 11)
    let size = 6 * FileDigest.Running.bufferSize + 12_345  // more buffers than the four in flight
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { b, n in
        for i in 0..<size { b[i] = UInt8(truncatingIfNeeded: rng.next() >> 17) }
        n = size
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    process.waitUntilExit()
    let reference = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
    #expect(reference.count == 64)
    let whole = FileDigest.Running.bufferSize
    // Where the reader stops: nothing read, inside the first buffer, on a buffer's edge, far in, the end.
    for stop in [0, 1000, whole, 2 * whole, 5 * whole + 77, size] {
        let running = FileDigest.Running()
        var at = 0
        bytes.withUnsafeBytes { all in
            while at < stop {
                let n = min(stop - at, Int(rng.next() % 300_000) + 1)
                running.update(UnsafeRawBufferPointer(rebasing: all[at..<at + n]))
                at += n
            }
        }
        let d = try running.finish(path: path)
        #expect(d.hex == String(reference) && d.size == Int64(size), "stopped at \(stop)")
    }
    // Chunks shared by the reader (`observe`), copied pieces between them, and the arrays it gets
    // back to fill again (`spare`): the same digest; a spare is never one still waiting.
    for stop in [whole / 2, 3 * whole + 5, 5 * whole + 1, size] {
        let running = FileDigest.Running()
        var at = 0
        var spares = 0
        bytes.withUnsafeBytes { all in
            while at < stop {
                let n = min(stop - at, Int(rng.next() % UInt64(2 * whole)) + 1)
                if rng.next() % 3 == 0 {
                    running.update(UnsafeRawBufferPointer(rebasing: all[at..<at + n]))
                } else {
                    var chunk = running.spare() ?? []
                    if !chunk.isEmpty { spares += 1 }
                    // Filled past the bytes it shows: only the first `n` count.
                    chunk = Array(all[at..<at + n]) + [0xAA, 0xBB]
                    running.observe(chunk, count: n)
                }
                at += n
            }
        }
        let d = try running.finish(path: path)
        #expect(
            d.hex == String(reference) && d.size == Int64(size),
            "stopped at \(stop), shared, \(spares) spares taken"
        )
    }
    // A shared chunk comes back as a spare once hashed.
    do {
        let running = FileDigest.Running()
        running.observe([UInt8](repeating: 7, count: 1000), count: 1000)
        var back: [UInt8]?
        for _ in 0..<500 where back == nil {
            back = running.spare()
            if back == nil { usleep(10_000) }
        }
        #expect(back == [UInt8](repeating: 7, count: 1000))
    }
    // Given up halfway (an import that failed): nothing hangs, nothing leaks into the next one.
    do {
        let abandoned = FileDigest.Running()
        bytes.withUnsafeBytes { abandoned.update(UnsafeRawBufferPointer(rebasing: $0[..<(3 * whole + 5)])) }
    }
    #expect(try FileDigest.sha256(path: path).hex == String(reference))
}
