// swift-tools-version:6.1
import PackageDescription

// Release builds optimise across modules, so that generic code of one module is specialised for
// another's types: the coder (BarazaCoding) codes straight into the store's packer (BarazaStore)
// through a generic sink, which without it ran unspecialised, every call through a witness table
// (200k-row XML import: 1.87 → 1.83 s median, cycles −3%).
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6), .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "Baraza",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baraza", targets: ["baraza"]), .library(name: "BarazaPipeline", targets: ["BarazaPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        // zlib for .gz exports and the deflated parts of workbooks (Debian zlib1g-dev, which
        // ZIPFoundation needs on Linux too).
        .systemLibrary(name: "CBarazaZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // The domain-free speed kit: byte views of records, memo and slot tables, channels between
        // threads, the hand-over box; Model and the stages build on it.
        .target(name: "BarazaKit", swiftSettings: strict),
        .target(name: "BarazaModel", dependencies: ["BarazaKit"], swiftSettings: strict),
        // Files Baraza creates: by directory handle, never through a link, flushed before they count.
        .target(name: "CBarazaFiles"),
        .target(name: "BarazaFiles", dependencies: ["CBarazaFiles"], swiftSettings: strict),
        // SSE2 byte scans of the import's hot loops (open-text words, JSON escapes, character counts).
        .target(name: "CBarazaText"),
        .target(name: "CSQLiteSetup", dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(
            name: "BarazaIngest",
            dependencies: [
                "BarazaModel", "BarazaKit", "CLibXML2", "CBarazaText", "CBarazaZlib", "ZIPFoundation",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BarazaCoding",
            dependencies: ["BarazaModel", "BarazaKit", "BarazaFiles", "BarazaIngest", "CBarazaText", "Yams"],
            swiftSettings: strict
        ),
        .target(
            name: "BarazaStore",
            dependencies: [
                "BarazaModel", "BarazaKit", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"), "CSQLiteSetup", "CBarazaText",
            ],
            swiftSettings: strict
        ), .target(name: "BarazaAnalysis", dependencies: ["BarazaModel", "BarazaKit"], swiftSettings: strict),
        .target(
            name: "BarazaReporting",
            dependencies: ["BarazaModel", "BarazaFiles", "BarazaAnalysis", "ZIPFoundation"],
            swiftSettings: strict
        ), .target(name: "BarazaSynth", dependencies: ["BarazaModel", "BarazaKit"], swiftSettings: strict),
        .target(
            name: "BarazaPipeline",
            dependencies: [
                "BarazaModel", "BarazaKit", "BarazaFiles", "BarazaIngest", "BarazaCoding", "BarazaStore",
                "BarazaAnalysis", "BarazaReporting", "BarazaSynth",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "baraza",
            dependencies: ["BarazaPipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // Helpers shared by the test modules (a scratch folder removed at exit).
        .target(name: "BarazaTestSupport", path: "Tests/BarazaTestSupport", swiftSettings: strict),
        .testTarget(name: "BarazaModelTests", dependencies: ["BarazaModel", "BarazaKit"], swiftSettings: strict),
        .testTarget(
            name: "BarazaIngestTests",
            dependencies: ["BarazaTestSupport", "BarazaIngest", "BarazaKit", "ZIPFoundation"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BarazaCodingTests",
            dependencies: ["BarazaTestSupport", "BarazaCoding", "BarazaKit", "BarazaIngest"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BarazaStoreTests",
            dependencies: ["BarazaTestSupport", "BarazaStore", "BarazaKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BarazaAnalysisTests",
            dependencies: ["BarazaAnalysis"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BarazaReportingTests",
            dependencies: ["BarazaTestSupport", "BarazaReporting", "BarazaAnalysis", "BarazaFiles"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BarazaPipelineTests",
            dependencies: [
                "BarazaTestSupport", "BarazaPipeline", "BarazaKit", "BarazaIngest", "BarazaCoding", "BarazaStore",
                "BarazaSynth", "BarazaAnalysis", .product(name: "GRDB", package: "GRDB.swift"), "ZIPFoundation",
            ],
            swiftSettings: strict
        ),
    ]
)
