/// Which cells of one table may be shown, so that no cell below the minimum size can be worked out
/// from what is shown — neither read directly nor got by subtracting the shown cells from a total.
public enum Disclosure {
    public enum Cell: Sendable, Hashable {
        case shown
        /// Fewer answers than the minimum.
        case small
        /// Enough answers, withheld so that the small cells cannot be recovered from the total.
        case withheld
    }

    /// Primary suppression of cells under `minCell`, then complementary suppression: while the hidden
    /// cells together hold between 1 and `minCell − 1` answers (the total minus the shown cells
    /// would then expose them), the smallest shown cell is withheld too. `totalShown` is false when
    /// even hiding every cell leaves the total under the minimum: then the total is withheld as well.
    public static func protect(_ sizes: [Int], minCell: Int) -> (cells: [Cell], totalShown: Bool) {
        var cells = sizes.map { $0 < minCell ? Cell.small : .shown }
        var hidden = zip(sizes, cells).filter { $0.1 != .shown }.reduce(0) { $0 + $1.0 }
        while hidden > 0 && hidden < minCell {
            // The smallest shown cell, the first of equals, so the choice is the same on every run.
            guard
                let next = cells.indices.filter({ cells[$0] == .shown }).min(by: { (sizes[$0], $0) < (sizes[$1], $1) })
            else { return (cells, false) }
            cells[next] = .withheld
            hidden += sizes[next]
        }
        return (cells, true)
    }
}
