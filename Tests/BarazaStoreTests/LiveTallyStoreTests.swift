import BarazaModel
import Foundation
import GRDB
import Testing
@testable import BarazaStore

/// When the report's live tallies (`LiveAggregates`) stand for the store, and when they are left
/// to the pass over the responses.
struct LiveTallyStoreTests {
    static let request = AggregateRequest(by: ["group"], themes: ["t": ["q1"]], quotesPerCode: 3)

    static func armed() throws -> SQLiteStore {
        let store = try StoreTests.tempStore()
        store.tallyWhileImporting([request])
        return store
    }

    static func live(_ store: SQLiteStore) throws -> Bool {
        try store.db.read { db in try store.liveScan(for: request, db) } != nil
    }

    @Test func batchesThatOnlyAddRowsKeepThem() throws {
        let store = try Self.armed()
        try StoreTests.importBatch(
            store,
            "a",
            [StoreTests.response("r1"), StoreTests.response("r2", group: "government", value: 2)]
        )
        #expect(try Self.live(store))
        try StoreTests.importBatch(store, "b", [StoreTests.response("r3", value: 5)])
        #expect(try Self.live(store))
        let kept = try store.aggregate(Self.request)
        #expect(kept.items["q1"]?[CellKey(group: "cso")]?.values.mapValues(\.count) == [4: 1, 5: 1])
        #expect(kept.themeScores["t"]?[CellKey(group: "government")]?.values.mapValues(\.count) == [2: 1])
        #expect(try kept.items == store.aggregate(Self.request, halvesFrom: 1, live: false).items)
        // Another request: the pass.
        #expect(
            try store.db.read { db in
                try store.liveScan(for: AggregateRequest(by: ["group", "wave"], themes: [:], quotesPerCode: 3), db)
            } == nil
        )
        // Turned off.
        store.tallyWhileImporting([])
        #expect(try !Self.live(store))
    }

    @Test func supersedingOrDuplicatesLeaveThem() throws {
        var store = try Self.armed()
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1"), StoreTests.response("r2")])
        try StoreTests.importBatch(store, "c", [StoreTests.response("r1", value: 2)])
        #expect(try !Self.live(store))
        #expect(
            try store.aggregate(Self.request).items["q1"]?[CellKey(group: "cso")]?.values.mapValues(\.count) == [
                4: 1, 2: 1,
            ]
        )
        // Nor does the next batch take them up again.
        try StoreTests.importBatch(store, "d", [StoreTests.response("r7")])
        #expect(try !Self.live(store))
        store = try Self.armed()
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1"), StoreTests.response("r1", value: 1)])
        #expect(try !Self.live(store))
        #expect(
            try store.aggregate(Self.request).items["q1"]?[CellKey(group: "cso")]?.values.mapValues(\.count) == [1: 1]
        )
    }

    @Test func anyWriteSinceTheirBatchLeavesThem() throws {
        // Through this store object.
        var store = try Self.armed()
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1")])
        let b = try StoreTests.importBatch(store, "b", [StoreTests.response("r2")])
        _ = try store.rollback(batch: b.id)
        #expect(try !Self.live(store))
        #expect(try store.aggregate(Self.request).respondents[CellKey(group: "cso")]?.count == 1)
        // Through another connection.
        store = try Self.armed()
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1")])
        _ = try SQLiteStore(path: store.path).responseCounts()  // a read changes nothing
        #expect(try Self.live(store))
        try SQLiteStore(path: store.path).db
            .write { db in try db.execute(sql: "UPDATE responses SET grp = 'government'") }
        #expect(try !Self.live(store))
        #expect(try store.aggregate(Self.request).respondents.keys.map(\.group) == ["government"])
    }

    /// Past the cell limit the import stops keeping them (its memory stays bounded); the report
    /// then reads the store.
    @Test func tooManyCellsLeaveThem() throws {
        var store = try Self.armed()
        try StoreTests.importBatch(
            store,
            "a",
            (0..<LiveAggregates.cellLimit).map { StoreTests.response("r\($0)", group: "g\($0)") }
        )
        #expect(try Self.live(store))
        store = try Self.armed()
        try StoreTests.importBatch(
            store,
            "a",
            (0...LiveAggregates.cellLimit).map { StoreTests.response("r\($0)", group: "g\($0)") }
        )
        #expect(try !Self.live(store))
        #expect(try store.aggregate(Self.request).respondents.count == LiveAggregates.cellLimit + 1)
    }

    @Test func aFailedBatchOrAPersonsCodesLeaveThem() throws {
        var store = try Self.armed()
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1")])
        #expect(throws: (any Error).self) {
            try store.importBatch(StoreTests.input("b")) { sink in
                try sink.add(StoreTests.response("r2"))
                throw StoreError.database("stop")
            }
        }
        #expect(try !Self.live(store))
        #expect(try store.aggregate(Self.request).respondents[CellKey(group: "cso")]?.count == 1)
        // An empty store's first batch starts them afresh, unless the store holds a person's codes.
        store = try Self.armed()
        try store.db.write { db in
            try db.execute(sql: "INSERT INTO person_codes (respondent_id, question, code) VALUES ('r1', 'open', 'x')")
        }
        try StoreTests.importBatch(store, "a", [StoreTests.response("r1")])
        #expect(try !Self.live(store))
    }
}
