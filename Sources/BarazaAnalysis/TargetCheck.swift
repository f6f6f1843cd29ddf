import BarazaModel

/// A target of the consultation file checked against the data: its value with the 95% interval, and
/// for a target at a later wave the value at the first wave.
public struct TargetResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case met
        case notMet = "not_met"
        case notMeasurable = "not_measurable"
    }

    public var target: Target
    public var status: Status
    public var value: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    /// The first wave's value, when the target is for a later wave.
    public var baseline: Double?
    public var baselineWave: String?
    /// Why the target could not be measured.
    public var why: String?
}

extension Analyzer {
    /// Each target's status: met when the estimate reaches the threshold (the interval says how sure
    /// that is); not measurable when its group is hidden in the report or its base is under
    /// `min_cell`. `byWave` holds the cells by wave, for targets that name one.
    func checkTargets(_ data: AggregatedData, byWave: AggregatedData?, shownGroups: Set<String>) -> [TargetResult] {
        plan.targets.map { t in
            var result = TargetResult(target: t, status: .notMeasurable)
            if let g = t.group, !shownGroups.contains(g) {
                result.why = "the group is not shown in this report (too few respondents)"
                return result
            }
            if t.wave != nil && byWave == nil {
                result.why = "the data has no waves to compare"
                return result
            }
            guard let summary = estimate(t, in: t.wave == nil ? data : byWave, wave: t.wave) else {
                result.why = "fewer than \(plan.minCell) answers"
                return result
            }
            let value = t.measure == .mean ? summary.stats?.mean : summary.topBox?.share
            let low = t.measure == .mean ? summary.stats?.ciLow : summary.topBox?.low
            let high = t.measure == .mean ? summary.stats?.ciHigh : summary.topBox?.high
            guard let value else {
                result.why = "no answers to measure"
                return result
            }
            result.value = value
            result.ciLow = low
            result.ciHigh = high
            let met = t.atMost ? value <= t.threshold : value >= t.threshold
            result.status = met ? .met : .notMet
            if let w = t.wave, let first = plan.waves.first, first != w, let base = estimate(t, in: byWave, wave: first)
            {
                result.baseline = t.measure == .mean ? base.stats?.mean : base.topBox?.share
                result.baselineWave = first
            }
            return result
        }
    }

    /// The target's measure over the cells of its group (all groups when it names none) and wave;
    /// nil under `min_cell` answers.
    private func estimate(_ t: Target, in data: AggregatedData?, wave: String?) -> CellSummary? {
        guard let data else { return nil }
        var counts = ValueCounts()
        let cells: [CellKey: ValueCounts]
        var scale: Scale?
        var reverse = false
        var lo = 1.0
        var hi = 5.0
        if let item = t.item, let q = plan.questions.first(where: { $0.id == item }) {
            cells = data.items[item] ?? [:]
            scale = q.scale.flatMap { plan.scales[$0] }
            reverse = q.reverse
            lo = Double(scale?.minValue ?? 1)
            hi = Double(scale?.maxValue ?? 5)
        } else if let theme = t.theme {
            cells = data.themeScores[theme] ?? [:]
            if let q = plan.questions.first(where: { $0.theme == theme && $0.type == .likert }),
                let s = q.scale.flatMap({ plan.scales[$0] })
            {
                lo = Double(s.minValue)
                hi = Double(s.maxValue)
            }
        } else {
            return nil
        }
        for (k, c) in cells.sorted(by: { $0.key < $1.key }) where k.group != nil {
            if let g = t.group, k.group != g { continue }
            if let wave, k.wave != wave { continue }
            counts.merge(c)
        }
        guard counts.answered >= plan.minCell else { return nil }
        return summarize(
            counts,
            cell: CellKey(group: t.group, wave: wave),
            scale: scale,
            min: lo,
            max: hi,
            reverse: reverse
        )
    }
}
