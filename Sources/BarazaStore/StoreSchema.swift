import GRDB

/// The store's schema, built and evolved only through GRDB migrations.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
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
                CREATE INDEX responses_respondent ON responses(respondent_id);
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
                """)
        }
        m.registerMigration("v2") { db in
            // Person-assigned codes (a review queue coded by hand) take precedence over the rules'
            // codes for the same answer; the index serves the report's per-question scans.
            try db.execute(sql: """
                CREATE TABLE person_codes (
                  respondent_id TEXT NOT NULL,
                  question TEXT NOT NULL,
                  code TEXT NOT NULL,
                  coder TEXT,
                  PRIMARY KEY (respondent_id, question, code)
                ) WITHOUT ROWID;
                CREATE INDEX answers_question ON answers(question);
                """)
        }
        return m
    }
}
