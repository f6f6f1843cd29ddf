import BarazaModel
import Foundation
import GRDB

/// The store's schema, built and evolved only through GRDB migrations.
enum StoreSchema {
    /// The index on respondent ids (schema v1). A batch into an empty store is written without it
    /// and builds it only when it repeats an id; the first later write that needs it builds it
    /// (`SQLiteStore.ensureRespondentIndex`). Reads work without it (a look-up scans the table).
    static let respondentIndex = "CREATE INDEX responses_respondent ON responses(respondent_id)"

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE batches (
                      id INTEGER PRIMARY KEY,
                      path TEXT NOT NULL,
                      size INTEGER NOT NULL,
                      sha256 TEXT NOT NULL UNIQUE,
                      format TEXT NOT NULL,
                      imported_at TEXT NOT NULL,
                      wave TEXT,
                      country TEXT,
                      records INTEGER NOT NULL DEFAULT 0,
                      responses INTEGER NOT NULL DEFAULT 0,
                      rejected INTEGER NOT NULL DEFAULT 0,
                      duplicates INTEGER NOT NULL DEFAULT 0,
                      superseded INTEGER NOT NULL DEFAULT 0,
                      status TEXT NOT NULL
                    );
                    CREATE TABLE responses (
                      id INTEGER PRIMARY KEY,
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      respondent_id TEXT NOT NULL,
                      replaces TEXT,
                      source_file TEXT NOT NULL,
                      source_line INTEGER NOT NULL,
                      grp TEXT,
                      raw_group TEXT NOT NULL,
                      country TEXT,
                      wave TEXT,
                      submitted_at REAL,
                      weight REAL NOT NULL DEFAULT 1,
                      superseded_by INTEGER REFERENCES responses(id) ON DELETE SET NULL
                    );
                    CREATE INDEX responses_batch ON responses(batch_id);
                    \(respondentIndex);
                    CREATE INDEX responses_replaces ON responses(replaces) WHERE replaces IS NOT NULL;
                    CREATE INDEX responses_superseded_by ON responses(superseded_by) WHERE superseded_by IS NOT NULL;
                    CREATE TABLE answers (
                      response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
                      question TEXT NOT NULL,
                      value REAL,
                      missing TEXT,
                      raw TEXT NOT NULL,
                      PRIMARY KEY (response_id, question)
                    ) WITHOUT ROWID;
                    CREATE TABLE choices (
                      response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
                      question TEXT NOT NULL,
                      option TEXT,
                      missing TEXT
                    );
                    CREATE INDEX choices_response ON choices(response_id);
                    CREATE TABLE texts (
                      response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
                      question TEXT NOT NULL,
                      text TEXT NOT NULL,
                      PRIMARY KEY (response_id, question)
                    ) WITHOUT ROWID;
                    CREATE TABLE codes (
                      response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
                      question TEXT NOT NULL,
                      code TEXT NOT NULL,
                      rule TEXT NOT NULL,
                      span_start INTEGER NOT NULL,
                      span_end INTEGER NOT NULL,
                      source TEXT NOT NULL
                    );
                    CREATE INDEX codes_response ON codes(response_id);
                    CREATE TABLE diagnostics (
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      severity TEXT NOT NULL,
                      file TEXT,
                      line INTEGER,
                      col INTEGER,
                      message TEXT NOT NULL,
                      expected TEXT
                    );
                    CREATE INDEX diagnostics_batch ON diagnostics(batch_id);
                    CREATE TABLE rejects (
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      file TEXT NOT NULL,
                      line INTEGER NOT NULL,
                      reason TEXT NOT NULL,
                      raw_values TEXT NOT NULL
                    );
                    CREATE INDEX rejects_batch ON rejects(batch_id);
                    CREATE TABLE unknown_labels (
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      question TEXT NOT NULL,
                      raw TEXT NOT NULL,
                      count INTEGER NOT NULL
                    );
                    CREATE TABLE unmapped_groups (
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      raw TEXT NOT NULL,
                      count INTEGER NOT NULL
                    );
                    """
            )
        }
        m.registerMigration("v2") { db in
            // Person-assigned codes (a review queue coded by hand) take precedence over the rules'
            // codes for the same answer; the index serves the report's per-question scans.
            try db.execute(
                sql: """
                    CREATE TABLE person_codes (
                      respondent_id TEXT NOT NULL,
                      question TEXT NOT NULL,
                      code TEXT NOT NULL,
                      coder TEXT,
                      PRIMARY KEY (respondent_id, question, code)
                    ) WITHOUT ROWID;
                    CREATE INDEX answers_question ON answers(question);
                    """
            )
        }
        m.registerMigration("v3") { db in
            // Packed answers (see PackedAnswers): one row per response instead of one per answer.
            try db.execute(
                sql: """
                    CREATE TABLE questions (idx INTEGER PRIMARY KEY, question TEXT NOT NULL UNIQUE);
                    CREATE TABLE options (idx INTEGER PRIMARY KEY, question TEXT NOT NULL, option TEXT NOT NULL, UNIQUE (question, option));
                    CREATE TABLE code_ids (idx INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
                    ALTER TABLE responses ADD COLUMN closed BLOB;
                    ALTER TABLE responses ADD COLUMN chosen BLOB;
                    ALTER TABLE responses ADD COLUMN coded BLOB;
                    CREATE TABLE raw_records (
                      response_id INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,
                      raw TEXT NOT NULL
                    );
                    """
            )
            try StoreSchema.packV2Rows(db)
            try db.execute(sql: "DROP TABLE choices; DROP TABLE codes")
        }
        m.registerMigration("v4") { db in
            // Open texts kept once per response, as a blob beside the raw record (one row per
            // response instead of one per text: four of six inserts per response on the reference
            // workload). Raw is NULL for responses stored before v3 kept raw records.
            try db.execute(
                sql: """
                    CREATE TABLE records (
                      response_id INTEGER PRIMARY KEY REFERENCES responses(id) ON DELETE CASCADE,
                      raw TEXT,
                      texts BLOB
                    );
                    INSERT INTO records (response_id, raw) SELECT response_id, raw FROM raw_records ORDER BY response_id;
                    """
            )
            try StoreSchema.packTexts(db)
            try db.execute(sql: "DROP TABLE raw_records; DROP TABLE texts")
        }
        // A folder of submission files is one batch; each file's digest is kept so that a file
        // is never imported twice.
        m.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE TABLE batch_files (
                      batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
                      path TEXT NOT NULL,
                      sha256 TEXT NOT NULL UNIQUE,
                      size INTEGER NOT NULL
                    );
                    CREATE INDEX batch_files_batch ON batch_files(batch_id);
                    """
            )
        }
        return m
    }

    /// Moves the texts table's rows (schema v1–v3) into the records' texts blobs.
    static func packTexts(_ db: Database) throws {
        var packer = ResponsePacker(try Registry.load(db))
        var blobs: [(Int64, [UInt8])] = []
        for row in try Row.fetchAll(
            db,
            sql: "SELECT response_id, question, text FROM texts ORDER BY response_id, question"
        ) {
            let rid: Int64 = row[0]
            if blobs.last?.0 != rid { blobs.append((rid, [])) }
            PackedAnswers.appendText(packer.question(row[1]), row[2], to: &blobs[blobs.count - 1].1)
        }
        for name in packer.takeNewNames() { try name.write(db) }
        for (rid, blob) in blobs {
            try db.execute(
                sql: """
                    INSERT INTO records (response_id, texts) VALUES (?, ?) ON CONFLICT (response_id) DO UPDATE SET texts = excluded.texts
                    """,
                arguments: [rid, Data(blob)]
            )
        }
    }

    /// Moves answers, choices and codes written by schema v1/v2 (one row each) into the packed
    /// columns. Closed answers that do not fit a byte stay in `answers`.
    static func packV2Rows(_ db: Database) throws {
        var packer = ResponsePacker(try Registry.load(db))
        var closed: [Int64: [UInt8]] = [:]
        var packed: [(Int64, String)] = []
        for row in try Row.fetchAll(
            db,
            sql: "SELECT response_id, question, value, missing FROM answers ORDER BY response_id, question"
        ) {
            let rid: Int64 = row[0]
            let q: String = row[1]
            let value: Double? = row[2]
            let missing = (row[3] as String?).flatMap(MissingKind.init(rawValue:))
            guard let byte = PackedAnswers.closedByte(value: value, missing: missing) else { continue }
            let idx = packer.question(q)
            var b = closed[rid, default: []]
            if b.count < idx { b += Array(repeating: 0, count: idx - b.count) }
            b[idx - 1] = byte
            closed[rid] = b
            packed.append((rid, q))
        }
        for (rid, b) in closed {
            try db.execute(sql: "UPDATE responses SET closed = ? WHERE id = ?", arguments: [Data(b), rid])
        }
        for (rid, q) in packed {
            try db.execute(sql: "DELETE FROM answers WHERE response_id = ? AND question = ?", arguments: [rid, q])
        }
        var chosen: [Int64: [String: (options: [String], missing: MissingKind?)]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT response_id, question, option, missing FROM choices ORDER BY response_id, question, option"
        ) {
            let rid: Int64 = row[0]
            let q: String = row[1]
            var entry = chosen[rid, default: [:]][q] ?? ([], nil)
            if let o: String = row[2] { entry.options.append(o) }
            if let m: String = row[3] { entry.missing = MissingKind(rawValue: m) }
            chosen[rid, default: [:]][q] = entry
        }
        for (rid, qs) in chosen {
            var b: [UInt8] = []
            for (q, e) in qs.sorted(by: { $0.key < $1.key }) {
                PackedAnswers.append16(packer.question(q), to: &b)
                if e.options.isEmpty, let m = e.missing {
                    b.append(255)
                    b.append(PackedAnswers.missingByte(m))
                    continue
                }
                b.append(UInt8(min(254, e.options.count)))
                for o in e.options.prefix(254) { PackedAnswers.append32(packer.option(q, o), to: &b) }
            }
            try db.execute(sql: "UPDATE responses SET chosen = ? WHERE id = ?", arguments: [Data(b), rid])
        }
        var coded: [Int64: [(String, Int, [String])]] = [:]
        for row in try Row.fetchAll(
            db,
            sql:
                "SELECT t.response_id, t.question, length(t.text), group_concat(c.code, char(1)) FROM texts t LEFT JOIN codes c ON c.response_id = t.response_id AND c.question = t.question GROUP BY 1, 2 ORDER BY 1, 2"
        ) {
            let codes = (row[3] as String?)?.split(separator: "\u{1}").map(String.init) ?? []
            coded[row[0], default: []].append((row[1], row[2], Array(Set(codes)).sorted()))
        }
        for (rid, entries) in coded {
            var b: [UInt8] = []
            for (q, len, codes) in entries {
                PackedAnswers.append16(packer.question(q), to: &b)
                PackedAnswers.append32(len, to: &b)
                b.append(UInt8(min(254, codes.count)))
                for c in codes.prefix(254) { PackedAnswers.append32(packer.code(c), to: &b) }
            }
            try db.execute(sql: "UPDATE responses SET coded = ? WHERE id = ?", arguments: [Data(b), rid])
        }
        for name in packer.takeNewNames() { try name.write(db) }
    }
}
