import GRDB

/// Small integer ids for question, option and code names, so packed answers stay compact.
/// Loaded once per import or report; new names are added inside the import's transaction.
struct Registry {
    var questionIndex: [String: Int] = [:]
    var questionName: [Int: String] = [:]
    var optionIndex: [String: Int] = [:]
    var optionName: [Int: (question: String, option: String)] = [:]
    var codeIndex: [String: Int] = [:]
    var codeName: [Int: String] = [:]

    static func load(_ db: Database) throws -> Registry {
        var r = Registry()
        for row in try Row.fetchAll(db, sql: "SELECT idx, question FROM questions") {
            r.questionIndex[row[1]] = row[0]; r.questionName[row[0]] = row[1]
        }
        for row in try Row.fetchAll(db, sql: "SELECT idx, question, option FROM options") {
            let q: String = row[1], o: String = row[2]
            r.optionIndex[q + "\u{1}" + o] = row[0]; r.optionName[row[0]] = (q, o)
        }
        for row in try Row.fetchAll(db, sql: "SELECT idx, code FROM code_ids") {
            r.codeIndex[row[1]] = row[0]; r.codeName[row[0]] = row[1]
        }
        return r
    }

    mutating func question(_ q: String, _ db: Database) throws -> Int {
        if let i = questionIndex[q] { return i }
        try db.execute(sql: "INSERT INTO questions (question) VALUES (?)", arguments: [q])
        let i = Int(db.lastInsertedRowID)
        questionIndex[q] = i; questionName[i] = q
        return i
    }

    mutating func option(_ q: String, _ o: String, _ db: Database) throws -> Int {
        let key = q + "\u{1}" + o
        if let i = optionIndex[key] { return i }
        try db.execute(sql: "INSERT INTO options (question, option) VALUES (?, ?)", arguments: [q, o])
        let i = Int(db.lastInsertedRowID)
        optionIndex[key] = i; optionName[i] = (q, o)
        return i
    }

    mutating func code(_ c: String, _ db: Database) throws -> Int {
        if let i = codeIndex[c] { return i }
        try db.execute(sql: "INSERT INTO code_ids (code) VALUES (?)", arguments: [c])
        let i = Int(db.lastInsertedRowID)
        codeIndex[c] = i; codeName[i] = c
        return i
    }
}
