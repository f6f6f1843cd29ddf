// swift-tools-version:6.1
// Fuzz targets for Baraza's readers. Build and run with ./run.sh (libFuzzer through
// -sanitize=fuzzer); built without -DBARAZA_FUZZ, each target replays the files it is given.
import PackageDescription

let package = Package(
    name: "BarazaFuzz",
    dependencies: [.package(name: "Baraza", path: "..")],
    targets: [
        // One target for both readers; BARAZA_FUZZ_FORMAT=csv|xml picks which.
        .executableTarget(name: "FuzzReaders", dependencies: [.product(name: "BarazaPipeline", package: "Baraza")],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
