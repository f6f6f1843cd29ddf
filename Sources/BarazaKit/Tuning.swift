import Foundation

/// How the import and the report cut their work up and how much of it waits in memory: every knob
/// in one place. The values are the measured defaults (docs/performance-log.md); a change here is
/// a change to benchmark with `Benchmarks/compare.sh`.
public struct Tuning: Sendable {
    /// Records per chunk the reading thread hands to the coding workers.
    public var recordsPerChunk = 512
    /// Coding threads per import: two on two cores or more (coding is the heaviest stage of a CSV
    /// import), one on one core.
    public var codingWorkers = ProcessInfo.processInfo.activeProcessorCount > 1 ? 2 : 1
    /// Chunks that may wait between two stages, per coding worker (plus two): memory stays bounded
    /// whichever stage is slower.
    public var chunksWaitingPerWorker = 2
    /// The most cells (group × country × wave) a report builds: each holds 256 counts per question,
    /// so a country column pointed at free text by mistake would take gigabytes.
    public var reportCellLimit = 1000

    public init() {}

    /// The chunks that may wait between two stages with `workers` coding threads.
    public func channelCapacity(workers: Int) -> Int { chunksWaitingPerWorker * workers + 2 }

    public static let standard = Tuning()
}
