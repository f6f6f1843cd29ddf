import GRDB

/// Small integer ids for question, option and code names, so packed answers stay compact.
/// Loaded once per import or report; an import's `ResponsePacker` gives new names the next indices.
struct Registry: Sendable {
    var questionIndex: [String: Int] = [:]
    var questionName: [Int: String] = [:]
    var optionName: [Int: (question: String, option: String)] = [:]
    var codeIndex: [String: Int] = [:]
    var codeName: [Int: String] = [:]

    static func load(_ db: Database) throws -> Registry {
        var r = Registry()
        for row in try Row.fetchAll(db, sql: "SELECT idx, question FROM questions") {
            r.questionIndex[row[1]] = row[0]
            r.questionName[row[0]] = row[1]
        }
        for row in try Row.fetchAll(db, sql: "SELECT idx, question, option FROM options") {
            r.optionName[row[0]] = (row[1], row[2])
        }
        for row in try Row.fetchAll(db, sql: "SELECT idx, code FROM code_ids") {
            r.codeIndex[row[1]] = row[0]
            r.codeName[row[0]] = row[1]
        }
        return r
    }
}
